import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { runSlot, SLOT_LEASE_MS, startSlotTimer } from './run-once.ts';

/** A round longer than its schedule's period: the next slot waits for it, never runs beside it (slot-claim.ts). */
class SharedMemoryStore extends MemoryStore {
  readonly shared = true;
}

const HOUR = 3_600_000;
const T0 = Date.parse('2025-01-01T10:00:00Z');
const settle = async () => { for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r)); };

test('a slot reached while the previous slot\'s run goes on under a live lease is not claimed beside it', async () => {
  const store = new SharedMemoryStore();
  let release!: () => void;
  const runs: string[] = [];
  const first = runSlot(store, 'watchdog', new Date(T0), async () => { runs.push('10:00'); await new Promise<void>((r) => { release = r; }); }, { clock: () => T0 + HOUR - 1, leaseMs: 2 * HOUR });
  await settle();
  assert.equal(await runSlot(store, 'watchdog', new Date(T0 + HOUR), () => { runs.push('11:00'); }, { clock: () => T0 + HOUR + 1, leaseMs: 2 * HOUR }), false, 'the 10:00 round still runs');
  release();
  await first;
  assert.equal(await runSlot(store, 'watchdog', new Date(T0 + HOUR), () => { runs.push('11:00'); }, { clock: () => T0 + HOUR + 2 }), true, 'run once the 10:00 round is done');
  assert.deepEqual(runs, ['10:00', '11:00']);
});

test('two replicas\' timers: a round outlasting its hour delays the next slot\'s round to its end, run once, never beside it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 - 5_000 });
  const store = new SharedMemoryStore();
  const runs: Array<{ replica: string; at: number }> = [];
  let inFlight = 0;
  let most = 0;
  let release: (() => void) | undefined;
  const run = (replica: string) => async () => {
    runs.push({ replica, at: Date.now() });
    most = Math.max(most, ++inFlight);
    // The first round hangs (a slow app) until released; later rounds are quick.
    if (runs.length === 1) await new Promise<void>((r) => { release = r; });
    inFlight--;
  };
  const timers = ['a', 'b'].map((replica) => startSlotTimer({ store, name: 'watchdog', everyMs: HOUR, run: run(replica), onError: (err) => { throw err; } }));
  t.after(() => timers.forEach((x) => x.stop()));
  const advance = async (ms: number) => { for (let done = 0; done < ms; done += 5_000) { t.mock.timers.tick(5_000); await settle(); } };
  await advance(HOUR + 10 * 60_000); // 11:10: the 10:00 round still runs (its lease renewed)
  assert.deepEqual(runs.map((r) => r.at), [T0], 'the 11:00 slot did not start beside the 10:00 round');
  release!();
  const releasedAt = Date.now();
  await advance(45 * 60_000); // 11:55
  assert.equal(runs.length, 2, `the 11:00 slot runs once after the round that outlasted it: ${JSON.stringify(runs)}`);
  assert.ok(runs[1]!.at >= releasedAt && runs[1]!.at <= releasedAt + SLOT_LEASE_MS + 6_000, 'within a lease of its end');
  await advance(HOUR); // 12:55
  assert.equal(runs.length, 3, 'the 12:00 slot on time');
  assert.equal(runs[2]!.at, T0 + 2 * HOUR);
  assert.equal(most, 1, 'never two rounds at once');
});
