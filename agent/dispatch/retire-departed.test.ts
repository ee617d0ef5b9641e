import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, type Store } from '../store/store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { addToReport } from '../safety/reports.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';
import { removeMemberOperation } from '../plan/removal.ts';
import { suiteStores } from '../../test/suite-stores.ts';
import { DEPARTED_RETIRED, retireDeparted, type RetireInput } from './retire-departed.ts';

/**
 * When a departed-user record may be retired (retire-departed.ts): never on an incomplete
 * listing, never on one that started before the person left, never while a row of theirs is
 * listed (under their email, or under an old email matched to them), and never while a removal
 * for them is queued, running or waiting in an owner's report. Otherwise retired, and audited.
 */
const HUB = 'h1';
const LEFT = '2026-12-01T10:00:00.000Z';
const AFTER = '2026-12-01T11:00:00.000Z';
const trigger = { type: 'schedule' as const, detail: 'check' };
const base: RetireInput = { complete: true, startedAt: AFTER, members: [], invites: [], matches: [], trigger, taskId: 't-check', now: AFTER };

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`retiring departed-user records (${kind.kind})`, { skip: kind.skip }, () => {
    const opened: Array<() => Promise<void>> = [];
    after(async () => { for (const d of opened) await d(); });
    async function withDeparted(): Promise<Store> {
      const { store, dispose } = await kind.open();
      opened.push(dispose);
      defineHeldIndexes(store);
      await store.transact((tx) => tx.put('departedUsers', HUB, 'u-gus', { hubId: HUB, directoryUserId: 'u-gus', userName: 'gus@example.com', emails: ['Gus@example.com'], at: LEFT }));
      return store;
    }
    const retire = (store: Store, input: Partial<RetireInput>) => store.transact((tx) => retireDeparted(tx, HUB, { ...base, ...input }));
    const kept = async (store: Store) => (await store.get('departedUsers', HUB, 'u-gus')) !== undefined;

    test('kept while the listing is incomplete, or started before the person left', async () => {
      const store = await withDeparted();
      assert.deepEqual(await retire(store, { complete: false }), []);
      assert.deepEqual(await retire(store, { startedAt: '2026-12-01T09:59:00.000Z' }), []);
      assert.ok(await kept(store));
      assert.equal((await collect(store.list('audit', HUB))).length, 0);
    });

    test('kept while a row of theirs is listed: under their email, or under an old email matched to them; not for a row another user holds', async () => {
      const store = await withDeparted();
      assert.deepEqual(await retire(store, { invites: [{ id: 'i1', email: 'gus@EXAMPLE.com' }] }), [], 'an invite under their email');
      assert.deepEqual(await retire(store, {
        members: [{ id: 'm-old', email: 'gus.old@example.com' }],
        matches: [{ memberId: 'm-old', outcome: 'onboarded', directoryUserId: 'u-gus' }],
      }), [], 'a seat under an old email, matched to them');
      assert.ok(await kept(store));
      assert.deepEqual(await retire(store, {
        members: [{ id: 'm-new', email: 'gus@example.com' }],
        matches: [{ memberId: 'm-new', outcome: 'onboarded', directoryUserId: 'u-gus-again' }],
      }), ['u-gus'], 'the address is a live user\'s seat now: nothing of theirs is left');
    });

    test('kept while a removal for them is queued or running, or waits in an open report', async () => {
      const store = await withDeparted();
      const op = removeMemberOperation({ id: 'm1', role: 'R', email: 'gus@example.com' }, { reason: 'deleted', because: 'deleted in the directory', directoryUserId: 'u-gus' });
      const task = await store.transact((tx) => enqueueTask(tx, { hubId: HUB, kind: 'remove-member', payload: { op }, idempotencyKey: `op:${op.key}`, trigger, summary: op.summary }));
      assert.deepEqual(await retire(store, {}), [], 'queued');
      await store.transact(async (tx) => tx.put('tasks', HUB, task.id, { ...(await tx.get('tasks', HUB, task.id))!, status: 'running' }));
      assert.deepEqual(await retire(store, {}), [], 'running (the app may have removed the row before the task recorded it)');
      await store.transact(async (tx) => tx.put('tasks', HUB, task.id, { ...(await tx.get('tasks', HUB, task.id))!, status: 'completed' }));
      // Reported while the snapshot listed the seat (a removal of a seat no longer listed is not reported, reports.ts).
      const report = (await store.transact(async (tx) => {
        tx.put('appMembers', HUB, 'm1', { hubId: HUB, id: 'm1', email: 'gus@example.com', role: 'R', firstSeenAt: LEFT, lastSeenAt: LEFT });
        return addToReport(tx, HUB, [op], new Date(AFTER));
      })).report!;
      assert.deepEqual(await retire(store, {}), [], 'an open report item');
      await store.transact((tx) => tx.put('reports', HUB, report.id, { ...report, status: 'dismissed' }));
      assert.ok(await kept(store));

      assert.deepEqual(await retire(store, {}), ['u-gus']);
      assert.equal(await kept(store), false);
      const audit = (await collect(store.list('audit', HUB))).filter((e) => e.action === DEPARTED_RETIRED);
      assert.deepEqual(audit.map((e) => [e.subject?.directoryUserId, e.subject?.email, e.outcome, e.taskId, e.trigger.type]), [['u-gus', 'Gus@example.com', 'ok', 't-check', 'schedule']]);
    });
  });
}
