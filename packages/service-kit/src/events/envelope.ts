import { z } from 'zod';
import { eventCatalog, type EventData, type EventType } from './catalog';

/** What travels between services, as ARCHITECTURE.md defines it. */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  version: number;
  /** ISO 8601, when the change committed in the producer's transaction. */
  occurredAt: string;
  producer: string;
  /** The id of the thing the event is about (a user, an order…). */
  subject: string;
  data: EventData<T>;
}

/** Thrown for an event no retry can fix (unknown type or version, a payload off its schema). */
export class PoisonEventError extends Error {
  override name = 'PoisonEventError';
}

const envelopeShape = z.object({
  id: z.uuid(),
  type: z.string(),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  producer: z.string().min(1),
  subject: z.string().min(1),
  data: z.unknown(),
});

/** Checks an envelope and its payload against the catalog; a clear PoisonEventError when it does not fit. */
export function parseEnvelope(value: unknown): EventEnvelope {
  const envelope = envelopeShape.safeParse(value);
  if (!envelope.success) throw new PoisonEventError(`malformed event envelope: ${z.prettifyError(envelope.error)}`);
  const { type, version } = envelope.data;
  const entry = eventCatalog[type as EventType];
  if (!entry) throw new PoisonEventError(`unknown event type "${type}"`);
  if (version !== entry.version) throw new PoisonEventError(`${type} version ${version} is not known here (this build reads version ${entry.version})`);
  const data = entry.schema.safeParse(envelope.data.data);
  if (!data.success) throw new PoisonEventError(`${type} v${version} payload does not match its schema: ${z.prettifyError(data.error)}`);
  return { ...envelope.data, type: type as EventType, data: data.data } as EventEnvelope;
}

/** Validates a payload about to be recorded: a mismatch is a bug in the producer, so it throws at once. */
export function checkPayload<T extends EventType>(producer: string, type: T, data: EventData<T>): EventData<T> {
  const entry = eventCatalog[type];
  if (entry.producer !== producer) throw new Error(`${producer} may not produce ${type}; its producer is ${entry.producer}`);
  const parsed = entry.schema.safeParse(data);
  if (!parsed.success) throw new Error(`${type} payload does not match its schema: ${z.prettifyError(parsed.error)}`);
  return parsed.data as EventData<T>;
}
