/**
 * `applyReport`'s `within` (agent/api.ts ReportApplyOptions) sees whom each applied item's seat is
 * matched to in the applying transaction, and the check and the apply commit together. On two
 * PostgreSQL connections (two replicas): an owner's re-match of the seat commits on the other one
 * after the apply's check read the seat's holders and before the apply commits. The apply's read no
 * longer holds (postgres/read-set.ts): it runs again, its check sees the new holder and refuses,
 * and nothing is applied. On the memory store (one connection), the re-match committed just
 * before the apply is seen by its check at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import type { ReportItemApplied } from '../api.ts';
import { createAgentApi } from '../agent-api.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { matchToDirectoryUser } from '../members/member-decisions.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { defineHeldIndexes } from './held-indexes.ts';
import { removeMemberOperation } from '../plan/removal.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { collect, type Store } from '../store/store.ts';
import { parentsOf } from '../tasks/parent-tasks.ts';
import { addToReport } from './reports.ts';

const db = await postgresForTests();
const freshSchema = db.skip ? () => '' : freshSchemas(db);
const NOW = new Date('2026-12-07T09:00:00Z');
const at = NOW.toISOString();
const hub = testHub({ safety: { confirmDeprovisioning: true, settleSeconds: 0 } });
const admin = { type: 'admin' as const, actor: 'boss@example.com' };
const manager = { type: 'dashboard' as const, actor: 'max@example.com' };
const OWNER = 'u-oscar';

function indexed<S extends Store>(s: S): S {
  defineDirectoryIndexes(s);
  definePersonIndexes(s);
  defineHeldIndexes(s);
  s.defineIndex('tasks', 'tasks.parent', parentsOf);
  return s;
}

/** Nina's seat (m-1), matched to her by email; she is deactivated and its removal waits in a report. Oscar is an owner. */
async function seed(store: Store): Promise<string> {
  await store.transact(async (tx) => {
    tx.put('directoryUsers', hub.id, 'u-nina', testUser('u-nina', 'nina@example.com', false));
    tx.put('directoryUsers', hub.id, OWNER, testUser(OWNER, 'oscar@example.com', false));
    tx.put('directoryGroups', hub.id, 'g-admins', testGroup('g-admins', 'Meta Admins', [OWNER], at));
    tx.put('appMembers', hub.id, 'm-1', testSeat('m-1', 'nina@example.com', 'EMPLOYEE', at));
    tx.put('memberMatches', hub.id, 'm-1', { hubId: hub.id, memberId: 'm-1', outcome: 'onboarded', manual: false, directoryUserId: 'u-nina', at });
    tx.put('appImports', hub.id, hub.id, completeImport(at));
    await addToReport(tx, hub.id, [removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'nina@example.com' }, { reason: 'deactivated', because: 'deactivated in the IdP', directoryUserId: 'u-nina' })], NOW);
  });
  const [report] = await collect(store.list('reports', hub.id));
  return report!.id;
}

/** The caller's check: refuses an item whose recorded person or seat holder is the owner. */
const notTheOwners = (seen: string[][]) => (_tx: unknown, items: readonly ReportItemApplied[]) => {
  for (const { item, holders } of items) {
    seen.push(holders);
    if (item.directoryUserId === OWNER || holders.includes(OWNER)) throw new Error(`refused: item ${item.memberId} is the owner's seat`);
  }
};

async function assertNothingApplied(store: Store, reportId: string): Promise<void> {
  const report = await store.get('reports', hub.id, reportId);
  assert.equal(report!.items[0]!.appliedAt, undefined, 'the item stays open');
  assert.equal((await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member').length, 0, 'no removal queued');
  assert.equal((await collect(store.list('audit', hub.id))).filter((e) => e.action === 'apply-report').length, 0, 'no apply audited');
}

test("the memory store: a re-match committed as the apply begins is seen by the apply's check", async () => {
  const store = indexed(new MemoryStore());
  const reportId = await seed(store);
  const api = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() + 1_000 });
  await store.transact((tx) => matchToDirectoryUser(tx, hub, 'm-1', { directoryUserId: OWNER }, admin, NOW));
  const seen: string[][] = [];
  await assert.rejects(api.applyReport(reportId, ['m-1'], manager, { within: notTheOwners(seen) }), /refused: item m-1 is the owner's seat/);
  assert.deepEqual(seen, [[OWNER]]);
  await assertNothingApplied(store, reportId);
});

test('PostgreSQL: a re-match committed on another connection between the check and the commit runs the apply again, and its check refuses', { skip: db.skip }, async (t) => {
  const schema = freshSchema('report-within');
  const replica = async () => {
    const s = indexed(new PostgresStore({ url: db.url, schema, poolSize: 2 }));
    await s.open();
    return s;
  };
  const a = await replica();
  const b = await replica();
  t.after(() => Promise.all([a.close(), b.close()]));
  const reportId = await seed(a);
  const api = createAgentApi({ store: b, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() + 1_000 });
  const seen: string[][] = [];
  const check = notTheOwners(seen);
  // The apply's first run has read the seat (Nina's) and waits; the administrator's re-match
  // commits on the other replica then, before the apply commits.
  let read!: () => void;
  const firstRead = new Promise<void>((r) => (read = r));
  let committed!: () => void;
  const rematch = new Promise<void>((r) => (committed = r));
  let runs = 0;
  const applying = api.applyReport(reportId, ['m-1'], manager, {
    async within(tx, items) {
      check(tx, items);
      if (++runs === 1) {
        read();
        await rematch;
      }
    },
  });
  await Promise.race([firstRead, applying.catch(() => {})]); // an apply that never checks ends here (and fails below)
  await a.transact((atx) => matchToDirectoryUser(atx, hub, 'm-1', { directoryUserId: OWNER }, admin, NOW));
  committed();
  await assert.rejects(applying, /refused: item m-1 is the owner's seat/);
  assert.deepEqual(seen, [['u-nina'], [OWNER]], 'checked as Nina\'s, then again as the owner\'s');
  assert.ok(b.stats().reRuns > 0, 'the apply ran again');
  await assertNothingApplied(a, reportId);
});
