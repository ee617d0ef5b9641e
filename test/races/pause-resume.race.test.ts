/**
 * The hub's pause racing with a check for updates. The dispatcher pauses a hub when the app
 * refuses its credential (agent/tasks/attempt.ts); a check for updates that succeeds resumes it
 * (agent/check-for-updates/handler.ts). A pause recorded while the check was already reading
 * (on another replica on PostgreSQL, or in the same app on lowdb) is newer than anything the check
 * saw: the check must leave it, not resume the hub and audit "resumed: a full check succeeded with
 * its credential" on the strength of a credential check made before the refusal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendAudit } from '../../agent/audit/audit-log.ts';
import { pauseHub, resumeHub } from '../../agent/tasks/hub-state.ts';
import type { Store } from '../../agent/store/store.ts';
import { HUB, POSTGRES_SKIP, startFleet, until, type Fleet } from './two-replicas.ts';

/** The dispatcher's pause, as attempt.ts records it when a task's call is refused for the credential. */
const pauseAsDispatcher = (store: Store) => store.transact(async (tx) => {
  const now = new Date();
  await pauseHub(tx, HUB, 'the app refused the access token (code 190)', 'unauthenticated', now);
  appendAudit(tx, { hubId: HUB, trigger: { type: 'agent', detail: 'races' }, action: 'pause-hub', why: 'the app refused the access token (code 190)', outcome: 'failed', at: now.toISOString() });
});

for (const kind of ['postgres', 'lowdb'] as const) {
  describe(`a hub paused while a check for updates runs (${kind}${kind === 'postgres' ? ', two replicas' : ', one app'})`, { skip: kind === 'postgres' ? POSTGRES_SKIP : false }, () => {
    let f: Fleet;
    const check = async (r: typeof f.a) => {
      const res = await r.api(`/hubs/${HUB}/check-for-updates`, { method: 'POST', body: '{}' });
      assert.equal(res.status, 202);
      return (await res.json()).taskId as string;
    };
    const done = (id: string) => until('check done', async () => ['completed', 'failed'].includes((await f.a.agent.api.task(id))?.status ?? ''));
    before(async () => { f = await startFleet(kind); await done(await check(f.a)); await f.a.agent.idle(); await f.b.agent.idle(); });
    after(() => f?.close());

    test('a pause from before the check started is resumed by it', async () => {
      await pauseAsDispatcher(f.b.store);
      const id = await check(f.a);
      await done(id);
      assert.equal((await f.a.store.get('hubStates', '', HUB))?.paused, false);
      // On lowdb the audit log lists an entry once its commit is on disk, which the hub's state
      // (read from memory) may precede by a moment: waited for, then checked.
      const resumed = await until('the resumption audited', async () => (await f.a.agent.api.audit({ hubId: HUB, action: 'hub-resumed' })).items[0]);
      assert.equal(resumed.taskId, id);
    });

    test('a pause recorded while the check reads stays, and no resumption is audited', async () => {
      const resumedBefore = (await f.a.agent.api.audit({ hubId: HUB, action: 'hub-resumed' })).items.length;
      f.emulator.control.setFaults({ latencyMs: 250 });
      try {
        const calls = f.emulator.calls.length;
        const id = await check(f.a);
        // Past its credential check (debug_token) and reading: the dispatcher on the other replica is refused now.
        await until('the check reading', () => f.emulator.calls.slice(calls).some((c) => !c.path.includes('debug_token')) && f.emulator.calls.slice(calls).some((c) => c.path.includes('debug_token')));
        await pauseAsDispatcher(f.b.store);
        await done(id);
        assert.equal((await f.a.agent.api.task(id))?.status, 'completed');
      } finally {
        f.emulator.control.setFaults({});
      }
      const state = await f.a.store.get('hubStates', '', HUB);
      assert.equal(state?.paused, true, 'the newer pause stands');
      assert.equal((await f.a.agent.api.audit({ hubId: HUB, action: 'hub-resumed' })).items.length, resumedBefore, 'no resumption audited');
    });

    test('a hub paused already and refused again while the check reads stays paused', async () => {
      await f.a.store.transact(async (tx) => void (await resumeHub(tx, HUB)));
      await pauseAsDispatcher(f.b.store); // before the check: it alone would be lifted
      const resumedBefore = (await f.a.agent.api.audit({ hubId: HUB, action: 'hub-resumed' })).items.length;
      f.emulator.control.setFaults({ latencyMs: 250 });
      try {
        const calls = f.emulator.calls.length;
        const id = await check(f.a);
        await until('the check reading', () => f.emulator.calls.slice(calls).some((c) => !c.path.includes('debug_token')) && f.emulator.calls.slice(calls).some((c) => c.path.includes('debug_token')));
        // A task still running when the hub was paused is refused now, after the check's credential check.
        await pauseAsDispatcher(f.b.store);
        await done(id);
      } finally {
        f.emulator.control.setFaults({});
      }
      assert.equal((await f.a.store.get('hubStates', '', HUB))?.paused, true, 'the newer refusal stands');
      assert.equal((await f.a.agent.api.audit({ hubId: HUB, action: 'hub-resumed' })).items.length, resumedBefore, 'no resumption audited');
    });
  });
}
