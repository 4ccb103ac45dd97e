import { AsyncResource } from 'node:async_hooks';
import type { Logger } from '../logger';
import { PoisonEventError, type EventEnvelope } from './envelope';
import { defaultRetryPolicy, errorMessage, retryDelay, type DeadLetter, type EventTransport, type RetryPolicy, type Subscription } from './transport';

interface Group {
  types: Set<string>;
  /** Events waiting for delivery, oldest first; they wait here while no instance is subscribed. */
  queue: { event: EventEnvelope; attempts: number }[];
  subscribers: Pick<Subscription, 'handle' | 'deadLettered'>[];
  next: number;
  working: boolean;
  timers: Set<NodeJS.Timeout>;
}

/**
 * The single-process event log (`npm start` without REDIS_URL): the same guarantees as Redis Streams
 * within one process. A group that subscribes late first gets the events retained before it
 * joined, as a new Redis consumer group reads its stream from the start.
 */
export function createInProcessTransport(logger: Logger, options: { retry?: Partial<RetryPolicy>; retain?: number } = {}): EventTransport {
  const retry = { ...defaultRetryPolicy, ...options.retry };
  const retain = options.retain ?? 10_000;
  const log: EventEnvelope[] = [];
  const groups = new Map<string, Group>();
  const dead: DeadLetter[] = [];
  let closed = false;

  async function work(name: string, group: Group) {
    if (group.working) return;
    group.working = true;
    try {
      while (!closed && group.subscribers.length > 0 && group.queue.length > 0) {
        const item = group.queue.shift()!;
        const subscriber = group.subscribers[group.next++ % group.subscribers.length];
        item.attempts += 1;
        try {
          await subscriber.handle(item.event);
        } catch (error) {
          fail(name, group, item, error, subscriber);
        }
      }
    } finally {
      group.working = false;
    }
  }

  function fail(name: string, group: Group, item: Group['queue'][number], error: unknown, subscriber: Group['subscribers'][number]) {
    if (error instanceof PoisonEventError || item.attempts >= retry.maxAttempts) {
      dead.push({ group: name, event: item.event, attempts: item.attempts, error: errorMessage(error), at: new Date().toISOString() });
      logger.error({ group: name, eventId: item.event.id, type: item.event.type, attempts: item.attempts, err: errorMessage(error) }, 'event dead-lettered');
      subscriber.deadLettered?.();
      return;
    }
    logger.warn({ group: name, eventId: item.event.id, type: item.event.type, attempts: item.attempts, err: errorMessage(error) }, 'event handler failed; will retry');
    const timer = setTimeout(() => {
      group.timers.delete(timer);
      group.queue.push(item);
      void work(name, group);
    }, retryDelay(retry, item.attempts));
    group.timers.add(timer);
  }

  return {
    kind: 'in-process',
    async ping() {
      if (closed) throw new Error('the event bus is closed');
    },
    async publish(events) {
      if (closed) throw new Error('the event bus is closed');
      for (const event of events) {
        log.push(event);
        for (const [name, group] of groups) {
          if (!group.types.has(event.type)) continue;
          group.queue.push({ event, attempts: 0 });
          void work(name, group);
        }
      }
      if (log.length > retain) log.splice(0, log.length - retain);
    },
    async subscribe({ group: name, types, handle, deadLettered }) {
      let group = groups.get(name);
      if (!group) {
        group = { types: new Set(types), queue: [], subscribers: [], next: 0, working: false, timers: new Set() };
        for (const event of log) if (group.types.has(event.type)) group.queue.push({ event, attempts: 0 });
        groups.set(name, group);
      }
      const joined = group;
      // Handlers run in the subscriber's async context, not inside the publisher's transaction.
      const subscriber = { handle: AsyncResource.bind(handle), deadLettered };
      joined.subscribers.push(subscriber);
      void work(name, joined);
      return {
        async close() {
          joined.subscribers = joined.subscribers.filter((s) => s !== subscriber);
        },
      };
    },
    async deadLetters(limit = 100) {
      return dead.slice(-limit).reverse();
    },
    async close() {
      closed = true;
      for (const group of groups.values()) for (const timer of group.timers) clearTimeout(timer);
    },
  };
}
