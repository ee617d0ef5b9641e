/**
 * A SCIM dispatch that plans people reads the hub's pending approvals and open deprovisioning
 * report (approval-kept.ts, claimed-seats.ts), not every approval and report the hub ever had
 * (safety/held-indexes.ts). Before, it listed both partitions whole at every push: its cost grew
 * with the hub's history (an applied report can hold hundreds of items), and on PostgreSQL the
 * whole partitions were in its read set, so a write to any other approval or report of the hub
 * ran the dispatch again. The live records are still read and acted on: the pending approval
 * holding the pushed person's removal is withdrawn as before.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { recordDesiredChange } from '../outbox.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { removeMemberOperation } from '../plan/removal.ts';
import type { ApprovalRecord } from '../safety/approvals.ts';
import type { ReportRecord } from '../safety/reports.ts';
import type { CollectionName } from '../store/collections.ts';
import type { Store, Transaction } from '../store/store.ts';
import type { TaskLog } from '../tasks/handler.ts';
import { suiteStores } from '../../test/suite-stores.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { twoReplicas } from '../safety/held-race-fixtures.ts';
import { Dispatcher } from './dispatcher.ts';

const silent: TaskLog = { debug() {}, info() {}, warn() {}, error() {} };
const at = '2026-01-01T00:00:00.000Z';
const HISTORY = 40;
const ITEMS = 25;
const HELD: ReadonlySet<string> = new Set(['approvals', 'reports']);

/**
 * The store, its transactions noting the id of each approval and report record they are given by
 * any read; `beforeCommit` runs once, after the reads and writes of the first run that read one.
 */
function readsOfHeld(store: Store, beforeCommit?: () => Promise<void>): { store: Store; read: string[] } {
  const read: string[] = [];
  const note = (c: unknown, r: unknown) => { if (HELD.has(c as string) && r && typeof r === 'object') read.push(`${c as string}/${(r as { id?: string }).id ?? '?'}`); };
  const wrap = (tx: Transaction): Transaction => ({
    ...tx,
    get: (async (c: CollectionName, p: string, id: string) => { const r = await tx.get(c, p, id); note(c, r); return r; }) as Transaction['get'],
    getMany: (async (c: CollectionName, p: string, ids: readonly string[]) => { const rs = await tx.getMany(c, p, ids); for (const r of rs) note(c, r); return rs; }) as Transaction['getMany'],
    lookup: (async (c: CollectionName, i: string, v: string) => { const rs = await tx.lookup(c, i, v); for (const r of rs) note(c, r); return rs; }) as Transaction['lookup'],
    lookupFields: (async (c: CollectionName, i: string, v: string, f: never[]) => { const rs = await tx.lookupFields(c, i, v, f); for (const r of rs) note(c, r); return rs; }) as Transaction['lookupFields'],
    list: ((c: CollectionName, p: string, range?: { offset?: number; limit?: number }) => ({
      async *[Symbol.asyncIterator]() { for await (const r of tx.list(c, p, range)) { note(c, r); yield r; } },
    })) as Transaction['list'],
  });
  const wrapped = new Proxy(store, {
    get(target, name) {
      if (name === 'transact') return (fn: (tx: Transaction) => unknown, options?: unknown) => target.transact(async (tx) => {
        const before = read.length;
        const out = await fn(wrap(tx));
        const gate = read.length > before ? beforeCommit : undefined;
        if (gate) { beforeCommit = undefined; await gate(); }
        return out;
      }, options as never);
      const value = Reflect.get(target, name) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, read };
}

/** A hub with HISTORY decided approvals and applied reports of ITEMS removals each, a pending approval of Jane's removal, an open report, and a push of Jane back in her group. */
async function seed(base: Store) {
  const hub = testHub({ safety: { confirmDeprovisioning: true, settleSeconds: 0 } });
  const removal = (n: number, user = `u-old-${n}`) => removeMemberOperation({ id: `m-${user}`, role: 'EMPLOYEE', email: `${user}@example.com` }, { reason: 'deactivated', because: 'deactivated in the directory', directoryUserId: user });
  // Jane's removal waits on a pending approval (a halted pass); the IdP has her back in her group.
  const pending: ApprovalRecord = { id: 'a-pending', hubId: hub.id, createdAt: at, plannedAt: at, status: 'pending', explanation: 'halted', taskId: 't-halted',
    planned: [removal(0, 'u1')], operations: [{ kind: 'remove-member', summary: 'remove jane' }] };
  const open: ReportRecord = { id: 'r-open', hubId: hub.id, createdAt: at, status: 'open', items: [{ memberId: 'm-u-gone', email: 'gone@example.com', directoryUserId: 'u-gone', action: 'remove-member', reason: 'deactivated' }],
    operations: { 'm-u-gone': removal(0, 'u-gone') } };
  await base.transact((tx) => {
    for (let n = 0; n < HISTORY; n++) {
      const planned = Array.from({ length: ITEMS }, (_, k) => removal(n * ITEMS + k));
      tx.put('approvals', hub.id, `a-${n}`, { id: `a-${n}`, hubId: hub.id, createdAt: at, status: n % 2 ? 'approved' : 'withdrawn', explanation: 'old', taskId: `t-${n}`, planned, operations: planned.map((o) => ({ kind: o.kind, summary: o.summary })), decidedAt: at });
      tx.put('reports', hub.id, `r-${n}`, { id: `r-${n}`, hubId: hub.id, createdAt: at, status: 'applied',
        items: planned.map((o) => ({ memberId: o.key, email: o.email, directoryUserId: o.directoryUserId, action: 'remove-member' as const, reason: 'deactivated', appliedAt: at })), operations: {} });
    }
    tx.put('approvals', hub.id, pending.id, pending);
    tx.put('reports', hub.id, open.id, open);
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'u1@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', ['u1'], at));
    tx.put('appMembers', hub.id, 'm-u1', testSeat('m-u1', 'u1@example.com', 'EMPLOYEE', at));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
    recordDesiredChange(tx, { hubId: hub.id, trigger: { type: 'scim', idp: 'okta' }, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: ['u1'], removed: [] }] });
  });
  return { hub, pending, open };
}

for (const kind of await suiteStores('memory', 'lowdb', 'postgres')) {
  describe(`a SCIM dispatch reads a hub's live approvals and report, not its history (${kind.kind})`, { skip: kind.skip }, () => {
    const opened: Array<() => Promise<void>> = [];
    after(async () => { for (const d of opened) await d(); });

    test('applied reports and decided approvals are not read; the pending approval is still released', async () => {
      const { store: base, dispose } = await kind.open();
      opened.push(dispose);
      defineDirectoryIndexes(base);
      definePersonIndexes(base);
      const { hub, pending, open } = await seed(base);
      const { store, read } = readsOfHeld(base);
      await new Dispatcher({ store, hubs: () => new Map([[hub.id, hub]]), log: silent, windowMs: 50 }).drain();

      assert.equal((await base.partitions('outbox')).length, 0, 'the push was dispatched');
      assert.equal((await base.get('approvals', hub.id, pending.id))?.status, 'withdrawn', 'the pending approval holding Jane\'s removal is released, as before');
      assert.equal((await base.get('reports', hub.id, open.id))?.status, 'open', 'the open report is left alone (its item is someone else\'s)');
      const history = read.filter((r) => r !== `approvals/${pending.id}` && r !== `reports/${open.id}`);
      assert.deepEqual(history, [], `the dispatch read ${read.length} approval and report records, ${history.length} of them decided or applied ones`);
      assert.ok(read.includes(`approvals/${pending.id}`) && read.includes(`reports/${open.id}`), 'the live ones are read');
    });
  });
}

const db = await postgresForTests();
const freshSchema = db.skip ? () => '' : freshSchemas(db);

test('PostgreSQL: another replica writing a decided approval and an applied report of the hub while a dispatch plans does not run the dispatch again', { skip: db.skip }, async (t) => {
  const schema = freshSchema('dispatch-live-held');
  const [a, b] = await twoReplicas(t, db.url, schema);
  const { hub, pending } = await seed(a);
  // Committed on b after the dispatch on a read the hub's approvals and report, before its commit
  // (outside the dispatch's transaction: a transaction function may not start another).
  let reached!: () => void;
  const read = new Promise<void>((r) => (reached = r));
  let edited!: () => void;
  const written = new Promise<void>((r) => (edited = r));
  const edit = read.then(() => b.transact(async (tx) => {
    const old = (await tx.get('approvals', hub.id, 'a-0'))!;
    tx.put('approvals', hub.id, old.id, { ...old, explanation: `${old.explanation} (noted)` });
    const applied = (await tx.get('reports', hub.id, 'r-0'))!;
    tx.put('reports', hub.id, applied.id, { ...applied, items: applied.items.slice(1) });
  })).finally(edited);
  const reRuns = a.stats().reRuns;
  const { store } = readsOfHeld(a, () => (reached(), written));
  const errors: string[] = [];
  await new Dispatcher({ store, hubs: () => new Map([[hub.id, hub]]), log: { ...silent, error: (m: string) => void errors.push(m) }, windowMs: 50 }).drain();
  await edit;
  assert.deepEqual(errors, []);
  assert.equal((await a.get('approvals', hub.id, 'a-0'))?.explanation, 'old (noted)', 'the other replica\'s write committed');
  assert.equal((await a.get('approvals', hub.id, pending.id))?.status, 'withdrawn', 'the dispatch committed');
  assert.equal(a.stats().reRuns - reRuns, 0, 'the dispatch did not conflict with a write to the hub\'s history');
});
