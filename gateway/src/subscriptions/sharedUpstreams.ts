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

/**
 * One subscriber of a topic: it is told each event as it arrives, in order, synchronously (so a
 * topic's N subscribers cost N calls, not N queues), and how the topic ended.
 */
export interface TopicSubscriber {
  event(event: UpstreamEvent): void;
  /** The upstream subscription completed. */
  end(): void;
  /** The upstream subscription failed (the subgraph refused it, or could not be reached). */
  fail(error: unknown): void;
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

interface Topic {
  key: string;
  upstream: UpstreamClient;
  events: AsyncIterator<UpstreamEvent>;
  subscribers: Set<TopicSubscriber>;
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

  /** Joins the request's topic (opening it if it is new). Returns the leave, which takes effect at once. */
  subscribe(request: UpstreamRequest, subscriber: TopicSubscriber): () => void {
    // Variables come coerced, in the operation's declaration order, so equal requests print alike.
    const key = JSON.stringify([request.subgraph, request.authorization, request.query, request.operationName ?? null, request.variables]);
    const topic = this.topics.get(key) ?? this.open(key, request);
    topic.subscribers.add(subscriber);
    return () => this.leave(topic, subscriber);
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
        for (const topic of upstream.topics) for (const subscriber of topic.subscribers) subscriber.interrupted();
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
        for (const subscriber of topic.subscribers) subscriber.event(step.value);
      }
      for (const subscriber of topic.subscribers) subscriber.end();
    } catch (error) {
      for (const subscriber of topic.subscribers) subscriber.fail(error);
    } finally {
      this.close(topic);
    }
  }

  private leave(topic: Topic, subscriber: TopicSubscriber) {
    if (!topic.subscribers.delete(subscriber)) return;
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
