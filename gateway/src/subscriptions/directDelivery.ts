import type { ExecutionResult } from 'graphql';
import WebSocket from 'ws';
import { dropIfBacklogged } from './socketGuard';

/**
 * graphql-ws runs a subscription as an async iterator and writes each value it yields: per
 * subscriber and event, a chain of promises, a copy of the result, its serialization and a write
 * callback. For 10,000 subscribers of one message that is most of the router's CPU. So the router
 * writes a federated subscription's `next` messages itself (the payload serialized once per shared
 * result, one write per subscriber), and graphql-ws runs an iterator that settles only when the
 * subscription ends: with a last value (an error result) or done, after which graphql-ws sends
 * `complete` as usual. `onEnd` runs once, when it ends either way or graphql-ws calls `return()` (the
 * client completed, or the socket closed).
 */
export class DirectDelivery {
  readonly iterator: AsyncIterableIterator<ExecutionResult>;
  private readonly prefix: string;
  private ended: { last?: ExecutionResult } | undefined;
  private waiting: ((step: IteratorResult<ExecutionResult>) => void) | undefined;
  private readonly onEnd: () => void;

  constructor(
    private readonly socket: WebSocket,
    id: string,
    onEnd: () => void,
  ) {
    this.onEnd = once(onEnd);
    this.prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    const settle = (): Promise<IteratorResult<ExecutionResult>> => {
      const ended = this.ended;
      if (!ended) return new Promise((resolve) => (this.waiting = resolve));
      if (ended.last) {
        const last = ended.last;
        ended.last = undefined;
        return Promise.resolve({ value: last, done: false });
      }
      return Promise.resolve({ value: undefined, done: true });
    };
    this.iterator = {
      next: settle,
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (error: unknown) => {
        void this.iterator.return!();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Writes one `next` message with this already serialized payload (an ExecutionResult's JSON). */
  send(payload: string): void {
    if (this.ended || this.socket.readyState !== WebSocket.OPEN || dropIfBacklogged(this.socket)) return;
    this.socket.send(this.prefix + payload + '}');
  }

  /** Ends the subscription: graphql-ws sends `last` (if any) as its final `next`, then `complete`. */
  end(last?: ExecutionResult): void {
    if (this.ended) return;
    this.ended = { last };
    this.onEnd();
    const waiting = this.waiting;
    this.waiting = undefined;
    if (!waiting) return;
    if (last) {
      this.ended.last = undefined;
      waiting({ value: last, done: false });
    } else waiting({ value: undefined, done: true });
  }
}

function once(run: () => void): () => void {
  let ran = false;
  return () => {
    if (ran) return;
    ran = true;
    run();
  };
}
