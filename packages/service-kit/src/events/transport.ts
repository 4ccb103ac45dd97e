import type { EventType } from './catalog';
import type { EventEnvelope } from './envelope';

/**
 * Where relayed events go and consumers read them: Redis Streams when REDIS_URL is set, an
 * in-process log otherwise. Both give each consumer group every event at least once, retry a
 * failed delivery with backoff, and move an event that keeps failing to a dead-letter list.
 */
export interface EventTransport {
  readonly kind: 'redis' | 'in-process';
  /** Rejects when the log cannot be reached (readiness). */
  ping(): Promise<void>;
  /** Resolves once every event is stored in the log; rejects when the log cannot be reached. */
  publish(events: EventEnvelope[]): Promise<void>;
  /** Joins `group` (one per consuming service; its instances share the work) for these event types. */
  subscribe(subscription: Subscription): Promise<{ close(): Promise<void> }>;
  /** The newest dead letters first. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

export interface Subscription {
  group: string;
  types: readonly EventType[];
  /**
   * Applies one event. Throwing leaves it undelivered: it comes again after a backoff, to this
   * instance or another; a PoisonEventError sends it to the dead letters at once.
   */
  handle(event: unknown): Promise<void>;
  /** Told each time this subscriber's failure moves an event to the dead letters (metrics). */
  deadLettered?(): void;
}

export interface DeadLetter {
  group: string;
  event: EventEnvelope | unknown;
  attempts: number;
  error: string;
  at: string;
}

export interface RetryPolicy {
  /** Deliveries before an event is dead-lettered. */
  maxAttempts: number;
  /** Wait after the first failure; doubled after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 };

/** The wait before delivery number `attempts + 1`. */
export const retryDelay = (policy: RetryPolicy, attempts: number): number =>
  Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
