export interface MapOptions<T, U> {
  map(value: T): Promise<U> | U;
  /** Turns a failure of the source into one last value; without it the failure is thrown. */
  lastValueOnError?(error: unknown): U;
  /** Runs once, however the iteration ends. */
  onEnd?(): void;
}

/**
 * Maps an async iterator. Unlike an async generator, `return()` takes effect at once even while a
 * `next()` is waiting for the source: graphql-ws calls it when a client leaves, and it must reach
 * the upstream subscription right away, not after the next event that may never come.
 */
export function mapAsyncIterator<T, U>(source: AsyncIterator<T>, options: MapOptions<T, U>): AsyncIterableIterator<U> {
  let finished = false;
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
      if (finished) return { value: undefined, done: true };
      let step: IteratorResult<T>;
      try {
        step = await source.next();
      } catch (error) {
        await finish();
        if (!options.lastValueOnError) throw error;
        return { value: options.lastValueOnError(error), done: false };
      }
      if (step.done || finished) return finish();
      return { value: await options.map(step.value), done: false };
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
