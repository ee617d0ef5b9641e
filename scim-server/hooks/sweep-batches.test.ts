import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect, type Transaction } from '../../agent/store/store.ts';
import { HOOK_EVENT_TTL_MS, type HookEventRecord } from './hook-event-record.ts';
import { HookEventLog } from './hook-events.ts';
import { SWEEP_BATCH } from './sweep-batches.ts';
import { givenUpAudit } from './hook-give-up.ts';

/** A MemoryStore counting its transactions. */
class CountingStore extends MemoryStore {
  transactions = 0;
  override transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    this.transactions++;
    return super.transact(fn);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function record(id: string, receivedAt: number, state: HookEventRecord['state'], source: HookEventRecord['source'] = 'okta'): HookEventRecord {
  return {
    id, source, idp: source === 'okta' ? 'okta' : 'entra', receivedAt: iso(receivedAt), expiresAt: iso(receivedAt + HOOK_EVENT_TTL_MS), state,
    event: { eventType: 'user.lifecycle.deactivate', person: { email: `${id}@example.com` } },
  };
}

test('a backlog of expired hook event records is swept in bounded transactions, and open records still needed are kept', async () => {
  const store = new CountingStore();
  const now = Date.parse('2026-03-01T12:00:00Z');
  const log = new HookEventLog(store, () => now);
  const received = now - HOOK_EVENT_TTL_MS - 3600_000;
  // After an outage or a burst (an Entra leaver wave, thousands of Okta events): more than two batches.
  const backlog = 2 * SWEEP_BATCH + 1;
  await store.transact((tx) => {
    for (let n = 0; n < backlog; n++) {
      const source = n % 2 === 0 ? 'okta' : 'entra-lifecycle';
      tx.put('hookEvents', source, `e${n}`, record(`e${n}`, received, 'done', source));
    }
    // Open and still needed: a callout waiting for its task (to resume), an event being acted on
    // here right now (its lease renewed while it works), and one received within the week.
    tx.put('hookEvents', 'entra-lifecycle', 'waiting', record('waiting', received, 'waiting', 'entra-lifecycle'));
    tx.put('hookEvents', 'okta', 'acting', record('acting', received, 'processing'));
    tx.put('hookEvents', 'okta', 'fresh', record('fresh', now - 60_000, 'processing'));
  });
  const release = log.keep('okta', ['acting']);
  const commits: number[] = [];
  const unsubscribe = store.subscribe((changes) => commits.push(changes.filter((c) => c.collection === 'hookEvents').length));
  store.transactions = 0;
  try {
    assert.equal(await log.sweep(true), backlog);
    assert.equal(store.transactions, 3, `${backlog} deletes in transactions of at most ${SWEEP_BATCH}, not one`);
    assert.ok(Math.max(...commits) <= SWEEP_BATCH, `each commit bounded: ${commits.join(', ')}`);
    const left = [...(await collect(store.list('hookEvents', 'okta'))), ...(await collect(store.list('hookEvents', 'entra-lifecycle')))];
    assert.deepEqual(left.map((r) => r.id).sort(), ['acting', 'fresh', 'waiting']);
  } finally {
    release();
    unsubscribe();
    log.close();
  }
  // Its work here over and still open (told "not now"), it is given up at a later sweep.
  assert.equal(await log.sweep(true), 1);
  assert.equal(await store.get('hookEvents', 'okta', 'acting'), undefined);
});

test('an expired record another replica holds the lease of is not swept under it: its outcome lands, and no give-up contradicts it', async () => {
  const store = new MemoryStore();
  let now = Date.parse('2026-03-01T12:00:00Z');
  const clock = () => now;
  const givenUp: string[] = [];
  // The replica that sweeps this hour, and the one acting on the record right now (it took its lease).
  const sweeper = new HookEventLog(store, clock, undefined, undefined, (r) => { givenUp.push(r.id); return givenUpAudit(r); });
  const other = new HookEventLog(store, clock);
  const received = now - HOOK_EVENT_TTL_MS - 3600_000;
  await store.transact((tx) => tx.put('hookEvents', 'okta', 'late', record('late', received, 'processing')));
  const { taken } = await other.take('okta', ['late']);
  assert.deepEqual(taken.map((r) => r.id), ['late']);
  const release = other.keep('okta', ['late']);
  try {
    assert.equal(await sweeper.sweep(true), 0, 'held by another replica, its lease not lapsed: kept');
    assert.deepEqual(givenUp, []);
    assert.ok(await store.get('hookEvents', 'okta', 'late'));
    // The other replica finishes: its outcome is written to the record, not to one that is gone.
    assert.equal(await other.update('okta', 'late', { state: 'done' }), true);
  } finally {
    release();
    other.close();
  }
  // Finished (its lease dropped), it goes at a later sweep, and is not given up.
  assert.equal(await sweeper.sweep(true), 1);
  assert.deepEqual(givenUp, []);

  // A holder that died: swept (and given up) once its lease has lapsed, not before.
  await store.transact((tx) => tx.put('hookEvents', 'okta', 'orphan', { ...record('orphan', received, 'processing'), lease: { owner: 'hooks-gone', until: new Date(now + 30_000).toISOString() } }));
  assert.equal(await sweeper.sweep(true), 0);
  now += 30_000;
  assert.equal(await sweeper.sweep(true), 1);
  assert.deepEqual(givenUp, ['orphan']);
  const audit = await collect(store.newestFirst('audit'));
  assert.deepEqual(audit.map((e) => (e as { outcome?: string }).outcome), ['failed'], 'one give-up (the orphan), none for the record finished elsewhere');
  sweeper.close();
});
