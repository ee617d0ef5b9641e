/**
 * Child process of lowdb-store.crash.test.ts: writes into the store at argv[2] from 8 concurrent
 * loops until killed, printing `ack <id>` once each write's transaction has resolved (durable).
 */
import { LowdbStore } from './lowdb-store.ts';

declare module './collections.ts' {
  interface Collections {
    crashTestItems: { id: string; payload: string };
  }
}

const checkpointBytes = process.argv[4] ? Number(process.argv[4]) : undefined;
const store = new LowdbStore(process.argv[2]!, { checkpointBytes });
await store.open();
process.stdout.write('ready\n');
let next = 0;
const payload = 'x'.repeat(2000); // big enough that a write takes a while and a kill can land mid-write
async function loop(): Promise<never> {
  for (;;) {
    const id = `${process.argv[3] ?? 'w'}${next++}`;
    await store.transact((tx) => tx.put('crashTestItems', '', id, { id, payload }));
    process.stdout.write(`ack ${id}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, loop));
