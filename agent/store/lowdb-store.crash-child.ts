/**
 * Child process of lowdb-store.crash.test.ts: writes into the store at argv[2] from 8 concurrent
 * loops until killed, printing `ack <id>` once each write's transaction has resolved (durable).
 * Each write also stages an audit entry (an archived collection) in its transaction.
 *
 * argv[5], optional, `op|path part|n`: the n-th file operation `op` (open, write, datasync, sync,
 * rename, unlink) on a path containing `path part` (for a rename, its source) never finishes,
 * and `stopped` is printed, so the test kills the process at that exact step.
 */
import { LowdbStore } from './lowdb-store.ts';
import { nodeFiles, type StoreFiles } from './store-files.ts';

declare module './collections.ts' {
  interface Collections {
    crashTestItems: { id: string; payload: string };
  }
}

const checkpointBytes = process.argv[4] ? Number(process.argv[4]) : undefined;
const files = process.argv[5] ? stoppingAt(process.argv[5]) : undefined;
const store = new LowdbStore(process.argv[2]!, { checkpointBytes, files });
await store.open();
process.stdout.write('ready\n');
let next = 0;
const payload = 'x'.repeat(2000); // big enough that a write takes a while and a kill can land mid-write
async function loop(): Promise<never> {
  for (;;) {
    const id = `${process.argv[3] ?? 'w'}${next++}`;
    await store.transact((tx) => {
      tx.put('crashTestItems', '', id, { id, payload });
      tx.put('audit', '', id, { seq: 0, at: '', trigger: { type: 'admin', actor: 'crash-test' }, action: 'crash-test', why: id, outcome: 'ok' } as never);
    });
    process.stdout.write(`ack ${id}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, loop));

/** nodeFiles, except that the chosen operation hangs once reached (see above). */
function stoppingAt(spec: string): StoreFiles {
  const [op, part, nth] = spec.split('|') as [string, string, string];
  let left = Number(nth);
  const reached = async (kind: string, path: string): Promise<void> => {
    if (kind !== op || !path.includes(part) || --left !== 0) return;
    process.stdout.write('stopped\n');
    await new Promise(() => {}); // killed here
  };
  return {
    ...nodeFiles,
    async open(path, flags, mode) {
      await reached('open', path);
      const real = await nodeFiles.open(path, flags, mode);
      return {
        write: async (...args) => (await reached('write', path), real.write(...args)),
        datasync: async () => (await reached('datasync', path), real.datasync()),
        sync: async () => (await reached('sync', path), real.sync()),
        truncate: (n) => real.truncate(n),
        stat: () => real.stat(),
        close: () => real.close(),
      };
    },
    rename: async (from, to) => (await reached('rename', from), nodeFiles.rename(from, to)),
    unlink: async (path) => (await reached('unlink', path), nodeFiles.unlink(path)),
  };
}
