import type { Logger } from '@dorandoran/service-kit';
import { createBackgroundTasks } from '../src/background';

describe('createBackgroundTasks', () => {
  test('runs a task without the caller waiting, logs a failure instead of throwing it, and settled() waits for all', async () => {
    const logged: unknown[][] = [];
    const background = createBackgroundTasks({ error: (...args: unknown[]) => logged.push(args) } as unknown as Logger);
    const done: string[] = [];
    background.run('could not mail', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done.push('mailed');
    });
    background.run('could not store', async () => {
      throw new Error('database down');
    });
    expect(done).toEqual([]);
    await background.settled();
    expect(done).toEqual(['mailed']);
    expect(logged).toEqual([[{ err: expect.objectContaining({ message: 'database down' }) }, 'could not store']]);
  });
});
