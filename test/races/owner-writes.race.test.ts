/**
 * Owners' writes racing on one record: two claims of one offer, an exemption set and ended at
 * once, two exemptions, two removals of one seat, two checks for updates. On PostgreSQL the two
 * requests go to two replicas on one schema; on lowdb to one app, at once. The rule: no lost
 * acknowledged write, no second invite or removal, no audit entry for what did not happen, and a
 * clear answer to the loser.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { requestCheckForUpdates } from '../../agent/check-for-updates/request.ts';
import { HUB, POSTGRES_SKIP, startFleet, until, type Fleet } from './two-replicas.ts';

const at = '2026-11-01T00:00:00.000Z';
const kimUser = { hubId: HUB, id: 'dir-kim', userName: 'kim@sandbox.example', active: true, displayName: 'Kim', email: 'kim@sandbox.example', emails: ['kim@sandbox.example'],
  scim: {}, created: at, lastModified: at, version: 1 };

for (const kind of ['postgres', 'lowdb'] as const) {
  describe(`owners' writes racing (${kind}${kind === 'postgres' ? ', two replicas' : ', one app'})`, { skip: kind === 'postgres' ? POSTGRES_SKIP : false }, () => {
    let f: Fleet;
    const audit = async (action: string) => (await f.a.agent.api.audit({ hubId: HUB, action })).items;
    const checked = async () => {
      const t = await f.a.agent.api.checkForUpdates(HUB, { type: 'admin', actor: 'races' });
      await until('check done', async () => ['completed', 'failed'].includes((await f.a.agent.api.task(t.id))?.status ?? ''));
      await f.a.agent.idle(); await f.b.agent.idle();
    };
    before(async () => { f = await startFleet(kind); await checked(); });
    after(() => f?.close());

    test('two claims of one offer at once: one claim audited, one invite, both answered with the re-evaluation', async () => {
      await f.a.store.transact((tx) => {
        tx.put('directoryUsers', HUB, kimUser.id, kimUser as never);
        tx.put('directoryGroups', HUB, 'grp-brand', { hubId: HUB, id: 'grp-brand', displayName: 'Brand', members: [{ value: kimUser.id }], scim: {}, created: at, lastModified: at, version: 1 } as never);
      });
      await f.a.agent.api.reevaluatePerson({ email: kimUser.email }, { type: 'admin', actor: 'races' });
      const [offer] = await until('offer made', async () => { const o = await f.a.agent.api.offers(kimUser.email); return o.length ? o : undefined; });
      const claim = (r: typeof f.a) => r.api(`/people/${encodeURIComponent(kimUser.email)}/offers/${offer!.id}/claim`, { method: 'POST', body: '{}' });
      const answers = await Promise.all([claim(f.a), claim(f.b)]);
      const bodies = await Promise.all(answers.map((r) => r.json()));
      assert.deepEqual(answers.map((r) => r.status), [202, 202], JSON.stringify(bodies));
      await until('invite sent', () => f.emulator.control.state().invites.some((i) => i.email === kimUser.email));
      await f.a.agent.idle(); await f.b.agent.idle();
      await new Promise((r) => setTimeout(r, 300));
      await f.a.agent.idle(); await f.b.agent.idle();
      const posts = f.emulator.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/business_users') && String(c.body.email) === kimUser.email);
      assert.equal(posts.length, 1, 'one invite');
      assert.equal((await audit('offer-claimed')).filter((e) => e.subject?.email === kimUser.email).length, 1, 'one claim audited');
    });

    test('an exemption set and ended at once: the state, the match and the audit log agree', async () => {
      const member = SANDBOX.employees[2]!;
      for (let round = 0; round < 4; round++) {
        const [set, end] = await Promise.all([
          f.a.api(`/hubs/${HUB}/members/${member}/exempt`, { method: 'POST', body: JSON.stringify({ reason: `round ${round}` }) }),
          f.b.api(`/hubs/${HUB}/members/${member}/unexempt`, { method: 'POST', body: '{}' }),
        ]);
        assert.equal(set.status, 200, await set.text());
        assert.ok([200, 409].includes(end.status), `unexempt answered ${end.status}: ${await end.text()}`);
        const exemption = await f.a.store.get('exemptions', HUB, member);
        const match = await f.a.store.get('memberMatches', HUB, member);
        if (end.status === 409) assert.equal(exemption?.reason, `round ${round}`, 'the exemption acknowledged is kept');
        assert.equal(match?.outcome === 'exempted', exemption !== undefined, `the match says ${match?.outcome}, the exemption is ${exemption ? 'there' : 'gone'}`);
        const entries = (await f.a.agent.api.audit({ hubId: HUB })).items.filter((e) => e.subject?.memberId === member && /exempted$/.test(e.action));
        assert.equal(entries[0]!.action === 'member-exempted', exemption !== undefined, 'the newest audit entry says what the state is');
        if (exemption) await f.a.api(`/hubs/${HUB}/members/${member}/unexempt`, { method: 'POST', body: '{}' });
      }
    });

    test('two exemptions at once: the one kept is the one audited last', async () => {
      const member = SANDBOX.employees[3]!;
      const answers = await Promise.all([f.a, f.b].map((r, n) => r.api(`/hubs/${HUB}/members/${member}/exempt`, { method: 'POST', body: JSON.stringify({ reason: `by ${n}` }) })));
      assert.deepEqual(answers.map((r) => r.status), [200, 200]);
      const exemption = await f.a.store.get('exemptions', HUB, member);
      const entries = (await f.a.agent.api.audit({ hubId: HUB, action: 'member-exempted' })).items.filter((e) => e.subject?.memberId === member);
      assert.equal(entries.length, 2);
      assert.equal((entries[0]!.detail as { reason: string }).reason, exemption?.reason);
      await f.a.api(`/hubs/${HUB}/members/${member}/unexempt`, { method: 'POST', body: '{}' });
    });

    test('two checks for updates at once: one task, one read of the app', async () => {
      await f.a.agent.idle(); await f.b.agent.idle();
      const answers = await Promise.all([f.a, f.b].map((r) => r.api(`/hubs/${HUB}/check-for-updates`, { method: 'POST', body: '{}' })));
      const ids = await Promise.all(answers.map(async (r) => (await r.json()).taskId));
      assert.deepEqual(answers.map((r) => r.status), [202, 202]);
      assert.equal(ids[0], ids[1], 'the same check task');
      await until('check done', async () => (await f.a.agent.api.task(ids[0]))?.status === 'completed');
    });

    test('a check asked for on one replica while the scheduled check runs on the other: answered with the running check', async () => {
      await f.a.agent.idle(); await f.b.agent.idle();
      f.emulator.control.setFaults({ latencyMs: 150 });
      try {
        // As the hub's schedule queues it (check-for-updates/schedule.ts: trigger `schedule`).
        const scheduled = await f.a.store.transact((tx) => requestCheckForUpdates(tx, HUB, { type: 'schedule', detail: 'races' }));
        f.a.agent.runner.poke();
        await until('the scheduled check running', async () => (await f.a.agent.api.task(scheduled.id))?.status === 'running');
        const res = await f.b.api(`/hubs/${HUB}/check-for-updates`, { method: 'POST', body: '{}' });
        assert.equal(res.status, 202);
        assert.equal((await res.json()).taskId, scheduled.id, 'the running check, not a second full read');
        await until('check done', async () => (await f.a.agent.api.task(scheduled.id))?.status === 'completed');
      } finally {
        f.emulator.control.setFaults({});
      }
    });

    test('two owners match one row at once (with a hub role): the decision kept is the one audited last', async () => {
      // Both directory users are in Meta Advertisers: whichever match wins, the seat stays granted.
      const member = SANDBOX.employees[2]!;
      const answers = await Promise.all([['dir-new-hire', 'manager'], ['dir-late-joiner', 'owner']].map(([directoryUserId, hubRole], n) =>
        [f.a, f.b][n]!.api(`/hubs/${HUB}/members/${member}/match`, { method: 'POST', body: JSON.stringify({ directoryUserId, hubRole }) })));
      assert.deepEqual(answers.map((r) => r.status), [200, 200]);
      const decision = await f.a.store.get('matchDecisions', HUB, member);
      const match = await f.a.store.get('memberMatches', HUB, member);
      const newest = (await audit('member-matched')).find((e) => e.subject?.memberId === member)!;
      assert.equal(newest.subject?.directoryUserId, decision?.directoryUserId);
      assert.equal(match?.directoryUserId, decision?.directoryUserId, 'the row\'s match follows the decision kept');
    });

    test('an exemption asked for while the removal of the seat is calling the app: refused, or the seat stays', async () => {
      await f.a.agent.idle(); await f.b.agent.idle();
      const member = SANDBOX.employees[0]!;
      // The removal call held at Meta until the exemption is answered: asked for while it is
      // past its last look at exemptions, calling Meta.
      const call = f.holdMetaCall((req) => req.method === 'DELETE' && req.path.includes(member));
      let exempt: Response;
      let taskId: string;
      try {
        const removal = await f.a.api(`/hubs/${HUB}/members/${member}/remove`, { method: 'POST', body: '{}' });
        assert.equal(removal.status, 202);
        taskId = (await removal.json()).taskId;
        await call.arrived;
        assert.equal((await f.a.agent.api.task(taskId))?.status, 'running', 'the removal is the one calling Meta');
        exempt = await f.b.api(`/hubs/${HUB}/members/${member}/exempt`, { method: 'POST', body: JSON.stringify({ reason: 'keep: board member' }) });
        call.release();
        await until('the removal ended', async () => ['completed', 'failed'].includes((await f.a.agent.api.task(taskId))?.status ?? ''), 20_000);
      } finally {
        call.release();
      }
      const body = await exempt.text();
      const seatKept = f.emulator.control.state().users.some((u) => u.id === member);
      const exempted = (await audit('member-exempted')).filter((e) => e.subject?.memberId === member);
      if (exempt.status === 200) assert.ok(seatKept, `exemption acknowledged (${body}) but the seat was removed`);
      else {
        assert.equal(exempt.status, 409, body);
        assert.match(body, /remov/);
        assert.equal(await f.a.store.get('exemptions', HUB, member), undefined, 'nothing stored for the refused exemption');
        assert.equal(exempted.filter((e) => e.outcome === 'ok').length, 0, 'no exemption audited as made');
        // The owner's ask is in the log all the same: refused, naming the removal that was running.
        const refusedEntries = exempted.filter((e) => e.outcome === 'failed');
        assert.equal(refusedEntries.length, 1, JSON.stringify(exempted));
        assert.equal(refusedEntries[0]!.taskId, taskId!);
        assert.match(refusedEntries[0]!.why, /refused, its removal .* is calling the app now/);
      }
    });

    test('an owner\'s decisions while a check for updates reads the app: kept by the check\'s matching', async () => {
      await f.a.agent.idle(); await f.b.agent.idle();
      const matched = SANDBOX.employees[3]!;
      const exempted = SANDBOX.employees[2]!;
      await f.a.api(`/hubs/${HUB}/members/${exempted}/unexempt`, { method: 'POST', body: '{}' });
      await f.a.agent.idle(); await f.b.agent.idle(); // the held read is the check's
      // The check's read of the members held at Meta until both decisions are answered: they come
      // while it reads, after it started and before its snapshot and matching, on any machine.
      const read = f.holdMetaCall((req) => req.method === 'GET' && /\/business_users\/?$/.test(req.path));
      try {
        const res = await f.a.api(`/hubs/${HUB}/check-for-updates`, { method: 'POST', body: '{}' });
        const { taskId } = await res.json();
        await read.arrived;
        assert.equal((await f.a.agent.api.task(taskId))?.status, 'running', 'the check is the one reading the app');
        const [m, e] = await Promise.all([
          f.b.api(`/hubs/${HUB}/members/${matched}/match`, { method: 'POST', body: JSON.stringify({ directoryUserId: 'dir-late-joiner', hubRole: 'manager' }) }),
          f.b.api(`/hubs/${HUB}/members/${exempted}/exempt`, { method: 'POST', body: JSON.stringify({ reason: 'during the check' }) }),
        ]);
        assert.deepEqual([m.status, e.status], [200, 200], `${await m.text()} ${await e.text()}`);
        assert.equal((await f.a.agent.api.task(taskId))?.status, 'running', 'the decisions came while the check ran');
        read.release();
        await until('check done', async () => (await f.a.agent.api.task(taskId))?.status === 'completed', 30_000);
      } finally {
        read.release();
      }
      const m = await f.a.store.get('memberMatches', HUB, matched);
      assert.equal(m?.directoryUserId, 'dir-late-joiner', `the manual match kept (${JSON.stringify(m)})`);
      assert.equal((await f.a.store.get('memberMatches', HUB, exempted))?.outcome, 'exempted');
      assert.equal((await (await f.b.api(`/hubs/${HUB}/members/${exempted}`)).json()).status, 'exempted');
    });

    test('two removals of one seat at once: one task, one removal call', async () => {
      await f.a.agent.idle(); await f.b.agent.idle();
      const member = SANDBOX.employees[1]!;
      const answers = await Promise.all([f.a, f.b].map((r) => r.api(`/hubs/${HUB}/members/${member}/remove`, { method: 'POST', body: '{}' })));
      const bodies = await Promise.all(answers.map((r) => r.json()));
      const accepted = bodies.filter((_, i) => answers[i]!.status === 202);
      const taskId = accepted[0]?.taskId as string;
      // Both asks usually meet the one queued task. On a loaded machine the first removal can run
      // to its end before the second ask is read: that ask then finds no seat (404), never a second task.
      if (accepted.length === 1) {
        const other = answers.findIndex((r) => r.status !== 202);
        assert.equal(answers[other]!.status, 404, JSON.stringify(bodies));
        assert.match(bodies[other].detail, /no member/);
        assert.equal((await f.a.agent.api.task(taskId))?.status, 'completed', 'refused only once the seat was removed');
      } else {
        assert.deepEqual(answers.map((r) => r.status), [202, 202], JSON.stringify(bodies));
        assert.equal(bodies[0].taskId, bodies[1].taskId, 'the same removal task');
      }
      await until('removed', async () => (await f.a.agent.api.task(taskId))?.status === 'completed');
      const deletes = f.emulator.calls.filter((c) => c.method === 'DELETE' && c.path.includes(member));
      assert.equal(deletes.length, 1, 'one removal call');
      // The two asks are one caller's (one token, no reason): the ask is audited once, naming the
      // one task; the repeat met the task it queued (the audit log on lowdb lists an entry once
      // its commit is on disk: waited for). Two asks after the first removal ended are two.
      const asked = await until('ask audited', async () => {
        const found = (await audit('remove-member')).filter((e) => e.subject?.memberId === member && e.outcome === 'pending');
        return found.length >= 1 ? found : undefined;
      });
      assert.deepEqual(asked.map((e) => e.taskId), [taskId], 'one ask audited, naming the task');
      // A third, after the seat is gone (the snapshot not read again yet): refused or the same finished task, never a second call.
      const again = await f.b.api(`/hubs/${HUB}/members/${member}/remove`, { method: 'POST', body: '{}' });
      const againBody = await again.json();
      if (again.status === 202) await until('second removal ended', async () => ['completed', 'failed', 'cancelled'].includes((await f.a.agent.api.task(againBody.taskId))?.status ?? ''));
      await f.a.agent.idle(); await f.b.agent.idle();
      assert.equal(f.emulator.calls.filter((c) => c.method === 'DELETE' && c.path.includes(member)).length, 1, `no second removal call (third answer ${again.status} ${JSON.stringify(againBody)})`);
    });
  });
}
