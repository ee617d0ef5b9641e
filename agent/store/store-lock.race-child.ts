/**
 * Child process of lowdb-store.test.ts: takes the store lock at argv[2], pausing while the lock is
 * being created (prints `creating`, goes on at a line on stdin), then prints `locked` or
 * `refused <message>` and waits to be killed.
 */
import { createInterface } from 'node:readline';
import { lockStore } from './store-lock.ts';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
try {
  await lockStore(process.argv[2]!, {
    creating: async () => {
      process.stdout.write('creating\n');
      await lines.next();
    },
  });
  process.stdout.write('locked\n');
} catch (err) {
  process.stdout.write(`refused ${(err as Error).message}\n`);
}
setInterval(() => {}, 60_000);
