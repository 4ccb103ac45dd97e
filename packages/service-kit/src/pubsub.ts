import type Redis from 'ioredis';
import type { Logger } from './logger';
import { connectRedis, connectRequestRedis, withinRequestTimeout } from './redis';

/**
 * Topic-based publish/subscribe for GraphQL subscriptions. With Redis every instance of every
 * service sees every event once; in-process serves one process (`npm start`, tests).
 */
export interface PubSub {
  publish(topic: string, payload: unknown): Promise<void>;
  /**
   * Events on the topic from the moment it resolves (with Redis: once the server confirmed the
   * subscription), until the iterator's `return()`, which graphql-js calls when the client leaves.
   */
  subscribe<T>(topic: string): Promise<AsyncIterableIterator<T>>;
  close(): Promise<void>;
}

type Listener = (payload: unknown) => void;

/** Fans one topic out to local listeners; the transport (memory or Redis) feeds `dispatch`. */
class Topics {
  private readonly listeners = new Map<string, Set<Listener>>();

  add(topic: string, listener: Listener): boolean {
    const set = this.listeners.get(topic) ?? new Set();
    set.add(listener);
    this.listeners.set(topic, set);
    return set.size === 1;
  }

  /** Returns true when the topic has no listener left. */
  remove(topic: string, listener: Listener): boolean {
    const set = this.listeners.get(topic);
    if (!set?.delete(listener) || set.size > 0) return false;
    this.listeners.delete(topic);
    return true;
  }

  dispatch(topic: string, payload: unknown) {
    for (const listener of this.listeners.get(topic) ?? []) listener(payload);
  }

  /** Listeners on one topic: tests wait on it before publishing, since a late listener misses the event. */
  count(topic: string): number {
    return this.listeners.get(topic)?.size ?? 0;
  }

  get size() {
    return this.listeners.size;
  }
}

/** An async iterator over pushed events; `return()` detaches and ends it. */
function iterate<T>(attach: (push: Listener) => () => void): AsyncIterableIterator<T> {
  const queue: T[] = [];
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  let done = false;
  const detach = attach((payload) => {
    const next = waiting.shift();
    if (next) next({ value: payload as T, done: false });
    else queue.push(payload as T);
  });
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      detach();
      for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
      queue.length = 0;
    }
    return { value: undefined, done: true };
  };
  return {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return: finish,
    throw: async (error) => {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export function createMemoryPubSub(): PubSub & { readonly topicCount: number; listenerCount(topic: string): number } {
  const topics = new Topics();
  return {
    async publish(topic, payload) {
      // Listeners get their own copy, as they would through Redis.
      topics.dispatch(topic, structuredClone(payload));
    },
    async subscribe<T>(topic: string) {
      return iterate<T>((push) => {
        topics.add(topic, push);
        return () => topics.remove(topic, push);
      });
    },
    async close() {},
    get topicCount() {
      return topics.size;
    },
    listenerCount: (topic: string) => topics.count(topic),
  };
}

/** One Redis connection publishes, one subscribes to each topic this process listens to. */
export function createRedisPubSub(url: string, logger: Logger, prefix = 'dorandoran:pubsub:'): PubSub {
  // Publishing happens inside a request (after its commit): a stalled Redis may cost it the
  // command timeout and the live delivery, which callers log, never the request itself.
  const publisher: Redis = connectRequestRedis(url, logger);
  const subscriber: Redis = connectRedis(url, logger);
  const topics = new Topics();
  subscriber.on('message', (channel: string, message: string) => {
    try {
      topics.dispatch(channel.slice(prefix.length), JSON.parse(message));
    } catch (error) {
      logger.warn({ channel, err: (error as Error).message }, 'dropped an unreadable pub/sub message');
    }
  });
  return {
    async publish(topic, payload) {
      await withinRequestTimeout(publisher.publish(prefix + topic, JSON.stringify(payload)));
    },
    async subscribe<T>(topic: string) {
      let first = false;
      const iterator = iterate<T>((push) => {
        first = topics.add(topic, push);
        return () => {
          if (topics.remove(topic, push)) subscriber.unsubscribe(prefix + topic).catch(() => undefined);
        };
      });
      if (first) await subscriber.subscribe(prefix + topic);
      return iterator;
    },
    async close() {
      await Promise.all([publisher.quit(), subscriber.quit()].map((quit) => quit.catch(() => undefined)));
    },
  };
}

/** Redis when configured, in-process otherwise. */
export const createPubSub = (redisUrl: string | undefined, logger: Logger): PubSub =>
  redisUrl ? createRedisPubSub(redisUrl, logger) : createMemoryPubSub();
