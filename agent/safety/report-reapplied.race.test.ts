/**
 * addToReport reads, in the transaction that writes the report, whether the removal is queued
 * already (reports.ts `notForReport`: the task holding the operation's key). On two PostgreSQL
 * connections (two replicas): a deprovision pass's commit has read "nothing queued, the seat
 * listed" and put Nina's removal on a report; before it commits, an owner's explicit removal of
 * her (here: its forced removal queued, as an offboarding queues it) commits on the other one. The
 * pass's read no longer holds (postgres/read-set.ts): it runs again, sees the removal queued, and
 * writes no report asking an owner for it. On the memory store (one connection) the removal
 * committed just before is seen at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { testHub, testSeat } from '../grants/grant-fixtures.ts';
import { removeMemberOperation } from '../plan/removal.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { collect, type Store } from '../store/store.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import { defineHeldIndexes } from './held-indexes.ts';
import { addToReport } from './reports.ts';

const db = await postgresForTests();
const freshSchema = db.skip ? () => '' : freshSchemas(db);
const NOW = new Date('2026-12-08T09:00:00Z');
const at = NOW.toISOString();
const hub = testHub({ safety: { confirmDeprovisioning: true, settleSeconds: 0 } });
const nina = removeMemberOperation({ id: 'm-nina', role: 'EMPLOYEE', email: 'nina@example.com' }, { reason: 'deactivated', because: 'deactivated in the directory', directoryUserId: 'u-nina' });
const owner = { type: 'admin' as const, actor: 'boss@example.com' };

async function seed(store: Store): Promise<void> {
  await store.transact(async (tx) => tx.put('appMembers', hub.id, 'm-nina', testSeat('m-nina', 'nina@example.com', 'EMPLOYEE', at)));
}

/** An owner's removal of Nina's seat, queued (forced) in its own transaction. */
const queueRemoval = (store: Store) => store.transact((tx) => enqueueOperation(tx, { hub, op: nina, trigger: owner, force: true, now: NOW }));

async function assertNotReported(store: Store): Promise<void> {
  assert.deepEqual(await collect(store.list('reports', hub.id)), [], 'no report asks an owner for a removal already queued');
  assert.equal((await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member').length, 1, 'one removal queued');
}

test('the memory store: a removal queued just before the pass commits is not reported', async () => {
  const store = new MemoryStore();
  defineHeldIndexes(store);
  await seed(store);
  await queueRemoval(store);
  const { report, added } = await store.transact((tx) => addToReport(tx, hub.id, [nina], NOW));
  assert.deepEqual(added, []);
  assert.equal(report, undefined);
  await assertNotReported(store);
});

test('PostgreSQL: a removal queued on another connection between the report\'s reads and its commit runs the pass\'s commit again, which reports nothing', { skip: db.skip }, async (t) => {
  const schema = freshSchema('report-reapplied');
  const replica = async () => {
    const s = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    defineHeldIndexes(s);
    await s.open();
    return s;
  };
  const a = await replica();
  const b = await replica();
  t.after(() => Promise.all([a.close(), b.close()]));
  await seed(a);
  let read!: () => void;
  const firstRead = new Promise<void>((r) => (read = r));
  let committed!: () => void;
  const queued = new Promise<void>((r) => (committed = r));
  const runs: string[][] = [];
  const reporting = b.transact(async (tx) => {
    const out = await addToReport(tx, hub.id, [nina], NOW);
    runs.push(out.added);
    if (runs.length === 1) {
      read();
      await queued;
    }
    return out;
  });
  await Promise.race([firstRead, reporting.catch(() => {})]);
  await queueRemoval(a);
  committed();
  const { added } = await reporting;
  assert.deepEqual(runs, [['m-nina'], []], 'reported on the first run, nothing once the removal queued is seen');
  assert.deepEqual(added, []);
  assert.ok(b.stats().reRuns > 0, 'the commit ran again');
  await assertNotReported(a);
});
