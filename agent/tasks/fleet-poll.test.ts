import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store/store.ts';
import { FleetPoll } from './fleet-poll.ts';
import { FLEET_INDEX } from './fleet-limits.ts';
import { OutageNote } from './outage-note.ts';
import { RunnableIndex } from './runnable-index.ts';
import type { TaskRecord } from './task-record.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A shared store's poll (fleet-poll.ts) over a store whose read of the open tasks takes
 * `readMs`: the reads of the open tasks it makes, and the feed-cut listener it subscribes.
 */
function pollOver(readMs: number, pollMs: number, clock: () => number = Date.now) {
  const reads: number[] = [];
  let missed: (() => void) | undefined;
  const task = { id: 't1', hubId: 'h', kind: 'invite', status: 'queued' } as TaskRecord;
  const store = {
    partitions: async () => [],
    list: async function* () {},
    lookup: async (collection: string, index: string, value: string) => {
      assert.deepEqual([collection, index, value], ['tasks', FLEET_INDEX, 'open']);
      reads.push(Date.now());
      // A 0 ms read resolves without a timer: a timer's lateness on a loaded machine would count
      // as the read's length and space the reads (20×) beyond what the test means to show.
      if (readMs > 0) await sleep(readMs);
      return [task];
    },
    subscribeMissed: (listener: () => void) => ((missed = listener), () => (missed = undefined)),
  } as unknown as Store;
  const indexed: string[] = [];
  const pumps = { n: 0 };
  const poll = new FleetPoll({
    store, pending: new RunnableIndex(), owner: 'r1', pollMs, log: quiet, outages: new OutageNote(quiet), clock,
    running: () => true, busy: () => false, index: (t) => indexed.push(t.id), noteBlock: () => {}, schedulePump: () => pumps.n++,
  });
  return { poll, reads, indexed, pumps, feedCut: () => missed?.() };
}

test('a long read of the open tasks is made again only after 20 times its length; a cut feed asks for one at the next tick', async () => {
  const { poll, reads, indexed, pumps, feedCut } = pollOver(40, 10);
  poll.start();
  try {
    await sleep(400);
    // Every 10 ms, a 40 ms read would run back to back (about eight in 400 ms): one, then not for 800 ms.
    assert.equal(reads.length, 1, `reads at ${reads.map((r) => r - reads[0]!).join(', ')} ms`);
    assert.deepEqual(indexed, ['t1']);
    // The ticks without the read still wake the runner (its shares were renewed).
    assert.ok(pumps.n >= 5, `${pumps.n} pumps in 400 ms`);
    feedCut();
    await sleep(100);
    assert.equal(reads.length, 2, 'read again after the feed was cut');
  } finally {
    poll.stop();
  }
});

test('a short read is made every pollMs, as before', async () => {
  const { poll, reads } = pollOver(0, 10);
  poll.start();
  try {
    await sleep(500);
    assert.ok(reads.length >= 5, `${reads.length} reads in 500 ms`);
  } finally {
    poll.stop();
  }
});

// The runner's clock may stand still (a simulated one, tests) or step back (NTP): the spacing is
// measured on a monotonic clock, or the open tasks were read once and then not for as long.
test('a runner clock that stands still or steps back does not stop the reads', async () => {
  for (const clock of [() => 1_000_000, (() => { let t = 1_000_000; return () => (t -= 3_600_000); })()]) {
    const { poll, reads } = pollOver(0, 10, clock);
    poll.start();
    try {
      await sleep(300);
      assert.ok(reads.length >= 5, `${reads.length} reads in 300 ms`);
    } finally {
      poll.stop();
    }
  }
});
