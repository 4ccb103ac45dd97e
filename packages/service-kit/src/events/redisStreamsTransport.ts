import { randomUUID } from 'node:crypto';
import os from 'node:os';
import Redis from 'ioredis';
import type { Logger } from '../logger';
import { PoisonEventError, type EventEnvelope } from './envelope';
import { defaultRetryPolicy, errorMessage, retryDelay, type EventTransport, type RetryPolicy, type Subscription } from './transport';

export interface RedisStreamsOptions {
  /** Stream keys are `<prefix>:<event type>`; dead letters go to `<prefix>:dead-letter`. */
  prefix?: string;
  retry?: Partial<RetryPolicy>;
  /** Approximate length each stream is trimmed to. */
  maxLength?: number;
  /** How long one read blocks waiting for new events. */
  blockMs?: number;
}

type StreamEntry = [id: string, fields: string[]];

/**
 * Redis Streams: one stream per event type, one consumer group per consuming service. A delivery
 * stays in the group's pending list until its handler succeeds; a sweep hands pending entries
 * whose backoff has passed (this instance's or a crashed one's) to this instance again, and
 * moves an entry delivered `maxAttempts` times to the dead-letter stream.
 */
export function createRedisStreamsTransport(url: string, logger: Logger, options: RedisStreamsOptions = {}): EventTransport {
  const prefix = options.prefix ?? 'dorandoran:events';
  const retry = { ...defaultRetryPolicy, ...options.retry };
  const maxLength = options.maxLength ?? 100_000;
  const blockMs = options.blockMs ?? 1000;
  const deadLetterStream = `${prefix}:dead-letter`;
  const streamOf = (type: string) => `${prefix}:${type}`;
  // No offline queue: while Redis is away a publish fails at once and its events stay in the outbox.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', (error) => logger.debug({ err: error.message }, 'event stream connection error'));
  const consumers = new Set<{ close(): Promise<void> }>();

  async function deadLetter(group: string, stream: string, entryId: string, fields: string[] | undefined, attempts: number, error: string) {
    const event = fields ? fieldValue(fields, 'event') : undefined;
    await redis.xadd(deadLetterStream, 'MAXLEN', '~', String(maxLength), '*', 'group', group, 'stream', stream, 'entry', entryId, 'event', event ?? 'null', 'attempts', String(attempts), 'error', error, 'at', new Date().toISOString());
    await redis.xack(stream, group, entryId);
    logger.error({ group, stream, entryId, attempts, err: error }, 'event dead-lettered');
  }

  return {
    kind: 'redis',
    async ping() {
      await redis.ping();
    },
    async publish(events) {
      if (events.length === 0) return;
      const pipeline = redis.pipeline();
      for (const event of events) pipeline.xadd(streamOf(event.type), 'MAXLEN', '~', String(maxLength), '*', 'event', JSON.stringify(event));
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed || results.length !== events.length) throw failed?.[0] ?? new Error('Redis did not store every event');
    },

    async subscribe({ group, types, handle, deadLettered }: Subscription) {
      const streams = types.map(streamOf);
      const consumer = `${group}-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
      const reader = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      reader.on('error', (error) => logger.debug({ err: error.message }, 'event stream reader error'));
      /** The last error per pending entry, for the dead letter (best effort: this instance's view). */
      const lastErrors = new Map<string, string>();
      let open = true;

      const ensureGroups = async () => {
        for (const stream of streams) {
          await reader.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((error: Error) => {
            if (!error.message.includes('BUSYGROUP')) throw error;
          });
        }
      };

      const deliver = async (stream: string, [entryId, fields]: StreamEntry, attempts: number) => {
        const key = `${stream} ${entryId}`;
        try {
          const raw = fieldValue(fields, 'event');
          let event: EventEnvelope;
          try {
            event = JSON.parse(raw ?? '');
          } catch {
            throw new PoisonEventError(`stream entry ${entryId} holds no JSON event`);
          }
          await handle(event);
          await reader.xack(stream, group, entryId);
          lastErrors.delete(key);
        } catch (error) {
          if (error instanceof PoisonEventError || attempts >= retry.maxAttempts) {
            lastErrors.delete(key);
            await deadLetter(group, stream, entryId, fields, attempts, errorMessage(error));
            deadLettered?.();
            return;
          }
          lastErrors.set(key, errorMessage(error));
          logger.warn({ group, stream, entryId, attempts, err: errorMessage(error) }, 'event handler failed; will retry');
        }
      };

      /** Pending entries whose backoff has passed: claim them (the delivery count goes up) and try again. */
      const sweep = async () => {
        for (const stream of streams) {
          const pending = (await reader.xpending(stream, group, 'IDLE', retry.baseDelayMs, '-', '+', 100)) as [string, string, number, number][];
          for (const [entryId, , idleMs, deliveries] of pending) {
            if (!open) return;
            if (idleMs < retryDelay(retry, deliveries)) continue;
            if (deliveries >= retry.maxAttempts) {
              const [entry] = (await reader.xrange(stream, entryId, entryId)) as StreamEntry[];
              await deadLetter(group, stream, entryId, entry?.[1], deliveries, lastErrors.get(`${stream} ${entryId}`) ?? 'failed on another instance');
              deadLettered?.();
              lastErrors.delete(`${stream} ${entryId}`);
              continue;
            }
            const claimed = (await reader.xclaim(stream, group, consumer, retryDelay(retry, deliveries), entryId)) as StreamEntry[];
            for (const entry of claimed) if (entry?.[1]) await deliver(stream, entry, deliveries + 1);
          }
        }
      };

      const loop = async () => {
        let lastSweep = 0;
        while (open) {
          try {
            await ensureGroups();
            while (open) {
              const reply = (await reader.xreadgroup('GROUP', group, consumer, 'COUNT', 50, 'BLOCK', blockMs, 'STREAMS', ...streams, ...streams.map(() => '>'))) as [string, StreamEntry[]][] | null;
              for (const [stream, entries] of reply ?? []) {
                for (const entry of entries) if (open) await deliver(stream, entry, 1);
              }
              if (Date.now() - lastSweep >= Math.min(retry.baseDelayMs, 1000)) {
                lastSweep = Date.now();
                await sweep();
              }
            }
          } catch (error) {
            if (!open) return;
            // Redis restarted (groups gone: NOGROUP) or unreachable: recreate the groups and read again.
            logger.warn({ group, err: errorMessage(error) }, 'event stream read failed; retrying');
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      };

      // The loop creates the groups first; while Redis is away it waits and retries instead of failing the start.
      const running = loop();
      const subscription = {
        async close() {
          open = false;
          consumers.delete(subscription);
          reader.disconnect();
          await running;
        },
      };
      consumers.add(subscription);
      return subscription;
    },

    async deadLetters(limit = 100) {
      const entries = (await redis.xrevrange(deadLetterStream, '+', '-', 'COUNT', limit)) as StreamEntry[];
      return entries.map(([, fields]) => ({
        group: fieldValue(fields, 'group') ?? '',
        event: JSON.parse(fieldValue(fields, 'event') ?? 'null'),
        attempts: Number(fieldValue(fields, 'attempts')),
        error: fieldValue(fields, 'error') ?? '',
        at: fieldValue(fields, 'at') ?? '',
      }));
    },

    async close() {
      for (const consumer of [...consumers]) await consumer.close();
      redis.disconnect();
    },
  };
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
