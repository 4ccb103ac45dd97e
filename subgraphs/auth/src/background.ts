import type { Logger } from '@dorandoran/service-kit';

/** Work a resolver starts but does not wait for, so that how long it takes never shows in the answer. */
export interface BackgroundTasks {
  /** Starts `task` after the current step; a failure is logged with `failure` as the message, never thrown. */
  run(failure: string, task: () => Promise<void>): void;
  /** Resolves once every task started so far has finished (shutdown waits for it before closing the database). */
  settled(): Promise<void>;
}

export function createBackgroundTasks(logger: Logger): BackgroundTasks {
  const pending = new Set<Promise<void>>();
  return {
    run(failure, task) {
      const running: Promise<void> = Promise.resolve()
        .then(task)
        .catch((error) => logger.error({ err: error }, failure))
        .finally(() => pending.delete(running));
      pending.add(running);
    },
    async settled() {
      await Promise.all(pending);
    },
  };
}
