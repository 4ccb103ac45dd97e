/** What to do with one value of the source. */
export type Decision = 'deliver' | 'skip' | 'end' | 'last';

export interface MapOptions<T, U> {
  map(value: T): Promise<U> | U;
  /** A value taken before the source's, as if the source had sent it first (decided and mapped like theirs). */
  first?: T;
  /** Per value: deliver it (the default), skip it, end before it, or deliver it as the last one. */
  decide?(value: T): Decision;
  /** Turns a failure of the source into one last value; without it the failure is thrown. */
  lastValueOnError?(error: unknown): U;
  /** Runs once, however the iteration ends. */
  onEnd?(): void;
}

/**
 * Maps an async iterator (a subscription's events). Unlike an async generator, `return()` takes
 * effect at once even while a `next()` is waiting for the source: graphql-ws calls it when a client
 * leaves, and it must reach the source (an upstream subscription, a pub/sub topic) right away, not
 * after the next event that may never come.
 */
export function mapAsyncIterator<T, U>(source: AsyncIterator<T>, options: MapOptions<T, U>): AsyncIterableIterator<U> {
  let finished = false;
  let firstTaken = options.first === undefined;
  let lastDelivered = false;
  const finish = async (): Promise<IteratorReturnResult<undefined>> => {
    if (!finished) {
      finished = true;
      options.onEnd?.();
      await source.return?.();
    }
    return { value: undefined, done: true };
  };
  return {
    async next(): Promise<IteratorResult<U>> {
      if (lastDelivered) return finish();
      while (!finished) {
        let step: IteratorResult<T>;
        try {
          step = firstTaken ? await source.next() : { value: options.first!, done: false };
          firstTaken = true;
        } catch (error) {
          await finish();
          if (!options.lastValueOnError) throw error;
          return { value: options.lastValueOnError(error), done: false };
        }
        if (step.done || finished) break;
        const decision = options.decide?.(step.value) ?? 'deliver';
        if (decision === 'skip') continue;
        if (decision === 'end') break;
        lastDelivered = decision === 'last';
        return { value: await options.map(step.value), done: false };
      }
      return finish();
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
