import type { Client } from 'graphql-ws';
import type { FormattedExecutionResult } from 'graphql';

/** One upstream event: the primary fetch's answer, as the subgraph sent it. */
export type UpstreamEvent = FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>;

/** A subscription the router would open on a subgraph for one client. */
export interface UpstreamRequest {
  subgraph: string;
  /**
   * The client's Authorization header value ('' when anonymous). The subgraph decides with it who
   * may subscribe and what each event holds, so only requests with the same one share a topic.
   */
  authorization: string;
  query: string;
  operationName?: string;
  variables: Record<string, unknown>;
}

/** What a topic tells one of its subscribers besides its events. */
export interface TopicSubscriber {
  /** The upstream socket the topic rides on was not continuous: events may have been lost. */
  interrupted(): void;
}

export interface SharedUpstreamsOptions {
  /**
   * Opens a graphql-ws client to the subgraph that presents `authorization`; it must call
   * `interrupted` when its feed stops being continuous (see server.ts).
   */
  connect(subgraph: string, authorization: string, interrupted: () => void): Client;
}

/**
 * Events a subscriber has not taken yet. Past this the subscriber is so far behind that it is
 * told it was cut off (as a subgraph restart tells it) rather than held in memory without bound.
 */
export const MAX_QUEUED_EVENTS = 1000;

interface Subscriber {
  push(event: UpstreamEvent): void;
  fail(error: unknown): void;
  end(): void;
  readonly outside: TopicSubscriber;
}

interface Topic {
  key: string;
  upstream: UpstreamClient;
  events: AsyncIterator<UpstreamEvent>;
  subscribers: Set<Subscriber>;
  closed: boolean;
}

interface UpstreamClient {
  key: string;
  client: Client;
  topics: Set<Topic>;
}

/**
 * One upstream subscription per topic — subgraph, operation, variables and the client's
 * Authorization — however many client subscriptions ask for it, and one graphql-ws socket per
 * subgraph and Authorization, however many client connections present it. Each event of a topic
 * goes to all its subscribers as one object (per-event fetches can be shared on it); the last
 * subscriber leaving completes the upstream subscription, and the socket closes with its last topic.
 */
export class SharedUpstreams {
  private readonly topics = new Map<string, Topic>();
  private readonly clients = new Map<string, UpstreamClient>();

  constructor(private readonly options: SharedUpstreamsOptions) {}

  /** Upstream sockets open (or opening) now. */
  get socketCount(): number {
    return this.clients.size;
  }

  /** Upstream subscriptions open now: one per topic. */
  get topicCount(): number {
    return this.topics.size;
  }

  subscribe(request: UpstreamRequest, outside: TopicSubscriber): AsyncIterableIterator<UpstreamEvent> {
    // Variables come coerced, in the operation's declaration order, so equal requests print alike.
    const key = JSON.stringify([request.subgraph, request.authorization, request.query, request.operationName ?? null, request.variables]);
    const topic = this.topics.get(key) ?? this.open(key, request);
    const { iterator, subscriber } = queue(outside, () => this.leave(topic, subscriber));
    topic.subscribers.add(subscriber);
    return iterator;
  }

  private open(key: string, request: UpstreamRequest): Topic {
    const upstream = this.clientFor(request.subgraph, request.authorization);
    const events = upstream.client.iterate<Record<string, unknown>, Record<string, unknown>>({
      query: request.query,
      operationName: request.operationName,
      variables: request.variables,
    });
    const topic: Topic = { key, upstream, events, subscribers: new Set(), closed: false };
    this.topics.set(key, topic);
    upstream.topics.add(topic);
    void this.pump(topic);
    return topic;
  }

  private clientFor(subgraph: string, authorization: string): UpstreamClient {
    const key = JSON.stringify([subgraph, authorization]);
    const existing = this.clients.get(key);
    if (existing) return existing;
    const upstream: UpstreamClient = {
      key,
      topics: new Set(),
      client: this.options.connect(subgraph, authorization, () => {
        for (const topic of upstream.topics) for (const subscriber of topic.subscribers) subscriber.outside.interrupted();
      }),
    };
    this.clients.set(key, upstream);
    return upstream;
  }

  private async pump(topic: Topic) {
    try {
      for (;;) {
        const step = await topic.events.next();
        if (step.done) break;
        for (const subscriber of topic.subscribers) subscriber.push(step.value);
      }
      for (const subscriber of topic.subscribers) subscriber.end();
    } catch (error) {
      for (const subscriber of topic.subscribers) subscriber.fail(error);
    } finally {
      this.close(topic);
    }
  }

  private leave(topic: Topic, subscriber: Subscriber) {
    topic.subscribers.delete(subscriber);
    if (topic.subscribers.size === 0) this.close(topic);
  }

  /** Completes the upstream subscription (once), and closes the socket with its last topic. */
  private close(topic: Topic) {
    if (topic.closed) return;
    topic.closed = true;
    if (this.topics.get(topic.key) === topic) this.topics.delete(topic.key);
    void topic.events.return?.();
    const upstream = topic.upstream;
    upstream.topics.delete(topic);
    if (upstream.topics.size === 0) {
      this.clients.delete(upstream.key);
      // A client still retrying a subgraph that is down rejects its dispose with the close event.
      void Promise.resolve(upstream.client.dispose()).catch(() => undefined);
    }
  }
}

/**
 * A subscriber's own queue of its topic's events, as an iterator graphql-ws can run: `return()`
 * takes effect at once (the client left), also while a `next()` waits.
 */
function queue(outside: TopicSubscriber, onLeave: () => void): { iterator: AsyncIterableIterator<UpstreamEvent>; subscriber: Subscriber } {
  const queued: UpstreamEvent[] = [];
  let waiting: { resolve: (step: IteratorResult<UpstreamEvent>) => void; reject: (error: unknown) => void } | undefined;
  let failure: { error: unknown } | undefined;
  let ended = false;
  let left = false;

  const leave = () => {
    if (left) return;
    left = true;
    onLeave();
  };
  const settle = () => {
    if (!waiting) return;
    const { resolve, reject } = waiting;
    if (queued.length) {
      waiting = undefined;
      resolve({ value: queued.shift()!, done: false });
    } else if (failure) {
      waiting = undefined;
      reject(failure.error);
    } else if (ended) {
      waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  };
  const subscriber: Subscriber = {
    outside,
    push(event) {
      if (ended || failure) return;
      if (queued.length >= MAX_QUEUED_EVENTS) {
        outside.interrupted();
        return;
      }
      queued.push(event);
      settle();
    },
    fail(error) {
      failure = { error };
      settle();
    },
    end() {
      ended = true;
      settle();
    },
  };
  const iterator: AsyncIterableIterator<UpstreamEvent> = {
    next() {
      if (left) return Promise.resolve({ value: undefined, done: true });
      if (queued.length) return Promise.resolve({ value: queued.shift()!, done: false });
      if (failure) {
        leave();
        return Promise.reject(failure.error);
      }
      if (ended) {
        leave();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      leave();
      ended = true;
      queued.length = 0;
      settle();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error: unknown) {
      leave();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { iterator, subscriber };
}
