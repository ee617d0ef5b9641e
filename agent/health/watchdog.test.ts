import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../config/schema.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { startWatchdog } from './watchdog.ts';
import '../app-state/records.ts';

/** A MemoryStore that says several replicas share it (Store.shared). */
class SharedMemoryStore extends MemoryStore {
  readonly shared = true;
}

const hubs = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1' } }] }).hubs;
const log = { warn() {}, error() {} };

test('the watchdog on three replicas sharing a store runs one round per interval between them', async () => {
  const store = new SharedMemoryStore();
  const rounds: string[] = [];
  const dogs = ['a', 'b', 'c'].map((replica) => startWatchdog({ store, hubs, log, intervalMs: 100, connectorFor: () => { rounds.push(replica); return undefined; } }));
  await new Promise((r) => setTimeout(r, 560));
  dogs.forEach((d) => d.stop());
  assert.ok(rounds.length >= 4 && rounds.length <= 6, `${rounds.length} rounds in 5.6 intervals: ${rounds.join('')}`);
});

test('on a store one process uses, each watchdog keeps its own interval (as before)', async () => {
  const store = new MemoryStore();
  const rounds: string[] = [];
  const dogs = ['a', 'b'].map((replica) => startWatchdog({ store, hubs, log, intervalMs: 100, connectorFor: () => { rounds.push(replica); return undefined; } }));
  await new Promise((r) => setTimeout(r, 350));
  dogs.forEach((d) => d.stop());
  assert.ok(rounds.filter((r) => r === 'a').length >= 3 && rounds.filter((r) => r === 'b').length >= 3, rounds.join(''));
});
