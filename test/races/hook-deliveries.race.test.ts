/**
 * Hook deliveries racing: an Okta event hook delivery retried by Okta while the first copy is
 * still being processed (on the other replica on PostgreSQL, on the same app on lowdb), and an
 * Entra Lifecycle Workflows callout delivered twice at once. One offboarding, one decision audited,
 * one resume of the workflow; both copies answered (Okta 200, the relay 202 with `duplicate`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOOK, HUB, POSTGRES_SKIP, RELAY, startFleet, until, type Fleet } from './two-replicas.ts';

for (const kind of ['postgres', 'lowdb'] as const) {
  describe(`hook deliveries racing (${kind}${kind === 'postgres' ? ', two replicas' : ', one app'})`, { skip: kind === 'postgres' ? POSTGRES_SKIP : false }, () => {
    let f: Fleet;
    before(async () => {
      f = await startFleet(kind);
      const t = await f.a.agent.api.checkForUpdates(HUB, { type: 'admin', actor: 'races' });
      await until('check done', async () => (await f.a.agent.api.task(t.id))?.status === 'completed');
      await f.a.agent.idle(); await f.b.agent.idle();
    });
    after(() => f?.close());
    const settled = async () => { for (const r of [f.a, f.b]) { await r.hook.settled(); await r.entra.settled(); } };

    test('an Okta delivery and its retry at once: one offboarding, one removal, the event audited once', async () => {
      const delivery = JSON.stringify({
        eventType: 'com.okta.event_hook',
        data: { events: [{
          uuid: `race-${kind}`, published: new Date().toISOString(), eventType: 'user.lifecycle.deactivate',
          actor: { id: '00uadmin', alternateId: 'admin@sandbox.example' },
          target: [{ id: '00ufrank', type: 'User', alternateId: 'frank.ledger@sandbox.example', displayName: 'Frank' }],
        }] },
      });
      const send = (r: typeof f.a) => fetch(`${r.url}/hooks/okta`, { method: 'POST', headers: { authorization: HOOK, 'content-type': 'application/json' }, body: delivery });
      const answers = await Promise.all([send(f.a), send(f.b), send(f.a), send(f.b)]);
      assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 200]);
      await settled();
      const offboards = (await f.a.agent.api.tasks({ kind: 'offboard' })).items.filter((t) => t.trigger.type === 'okta-event-hook');
      assert.equal(offboards.length, 1, 'one offboarding');
      await until('offboarding ended', async () => ['completed', 'failed'].includes((await f.a.agent.api.task(offboards[0]!.id))?.status ?? ''));
      await f.a.agent.idle(); await f.b.agent.idle();
      const record = await f.a.store.get('hookEvents', 'okta', `race-${kind}`);
      assert.ok(record && !['processing', 'waiting'].includes(record.state), `the event is finished (${record?.state})`);
      const entries = (await f.a.agent.api.audit({})).items.filter((e) => e.trigger.type === 'okta-event-hook' && e.subject?.email === 'frank.ledger@sandbox.example');
      const byAction = new Map<string, number>();
      for (const e of entries) byAction.set(`${e.action}:${e.outcome}`, (byAction.get(`${e.action}:${e.outcome}`) ?? 0) + 1);
      assert.ok(byAction.size > 0, 'the offboarding is audited');
      for (const [what, n] of byAction) assert.equal(n, 1, `${what} audited ${n} times (${[...byAction.keys()].join(', ')})`);
    });

    test('a Lifecycle Workflows callout delivered twice at once: one offboarding, one resume, the copy answered as a duplicate', async () => {
      const token = await f.graph.issueToken({ aud: 'api://hubwarden', azp: RELAY, appid: RELAY });
      const body = JSON.stringify({
        data: {
          subject: { id: 'obj-dan', email: 'dan.designer@sandbox.example', userPrincipalName: 'dan.designer@sandbox.example' },
          task: { id: 'task-1' }, taskProcessingResult: { id: `tpr-race-${kind}` }, workflow: { id: 'wf-leaver' },
        },
        source: 'sample', type: 'lifecycleEvent',
      });
      const send = (r: typeof f.a) => fetch(`${r.url}/hooks/entra/lifecycle`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      const answers = await Promise.all([send(f.a), send(f.b)]);
      const bodies = await Promise.all(answers.map((r) => r.json()));
      assert.deepEqual(answers.map((r) => r.status), [202, 202]);
      assert.deepEqual(bodies.map((b) => b.duplicate).sort(), [false, true], JSON.stringify(bodies));
      await until('resumed', () => f.graph.resumes.some((r) => r.taskProcessingResultId === `tpr-race-${kind}`));
      // Both copies processed: the duplicate was answered as one (above, nothing started for it),
      // the callout's record is closed (no replica's lease scan takes a closed record again,
      // scim-server/hooks/hook-events.ts) and no replica has callout work running. A second resume
      // could only come from one of those.
      await until('the callout recorded as resumed', async () => {
        const record = await f.a.store.get('hookEvents', 'entra-lifecycle', `tpr-race-${kind}`);
        return record !== undefined && !['processing', 'waiting'].includes(record.state);
      });
      await settled();
      assert.equal(f.graph.resumes.filter((r) => r.taskProcessingResultId === `tpr-race-${kind}`).length, 1, 'one resume');
      // And one sent: the emulator refuses a repeat (as Graph does) and lists only the one it took.
      const sent = f.graph.calls.filter((c) => c.method === 'POST' && c.path.endsWith(`/taskProcessingResults/tpr-race-${kind}/resume`));
      assert.equal(sent.length, 1, `one resume sent (${sent.map((c) => c.status).join(', ')})`);
      const offboards = (await f.a.agent.api.tasks({ kind: 'offboard' })).items.filter((t) => t.trigger.type === 'entra-lifecycle' && t.trigger.detail?.includes(`tpr-race-${kind}`));
      assert.equal(offboards.length, 1, 'one offboarding');
      const resumes = (await f.a.agent.api.audit({ action: 'lifecycle-resume' })).items.filter((e) => JSON.stringify(e.detail ?? {}).includes(`tpr-race-${kind}`) || e.trigger.detail?.includes(`tpr-race-${kind}`));
      assert.equal(resumes.length, 1, 'the resume audited once');
    });
  });
}
