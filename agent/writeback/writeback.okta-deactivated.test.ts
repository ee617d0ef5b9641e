import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../store/store.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

// Okta updates DEPROVISIONED users only with "Edit Deactivated User Profile Updates" on; write-back
// targets exactly them (a deactivated person's status is `removed`).
const HUB = 'meta-main';
const GONE = ['00ugone0000000000001', '00ugone0000000000002', '00ugone0000000000003'];
const ACTIVE = '00uact00000000000001';
const DAY = 24 * 60 * 60 * 1000;
const status = `hubwarden_meta_main_status`;

async function setup(editDeactivatedUserProfiles: boolean) {
  const okta = createOktaEmulator({
    token: OKTA_TOKEN,
    editDeactivatedUserProfiles,
    users: [...GONE.map((id, i) => ({ id, login: `gone${i}@example.com`, status: 'DEPROVISIONED' })), { id: ACTIVE, login: 'ana@example.com' }],
  });
  const server = await okta.listen();
  const store = await seededStore(HUB, [
    ...GONE.map((id, i) => directoryUser(HUB, `u-gone${i}`, `gone${i}@example.com`, { externalId: id, active: false })),
    directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ACTIVE }),
  ], []);
  const clock = movableClock();
  const log = capturingLog();
  const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log, clock, tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
  const userPosts = () => okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).map((c) => c.path.slice('/api/v1/users/'.length));
  const removedInOkta = () => okta.state().users.filter((u) => u.profile[status] === 'removed').map((u) => u.id).sort();
  return { okta, server, store, clock, log, writeback, userPosts, removedInOkta };
}

test('okta: deactivated users refused while "Edit Deactivated User Profile Updates" is off: a clear problem, not written, one probe a day, then written once it is on', async () => {
  const { okta, server, store, clock, log, writeback, userPosts, removedInOkta } = await setup(false);
  try {
    const first = await writeback.run(HUB);
    assert.equal(first.written, 1, 'only the active user');
    assert.equal(first.failed, 3);
    assert.deepEqual(first.problems.map((p) => [p.directoryUserId, p.kind]).sort(), GONE.map((_, i) => [`u-gone${i}`, 'deactivated']));
    for (const p of first.problems) assert.match(p.message, /deactivated in Okta \(DEPROVISIONED\).*"Edit Deactivated User Profile Updates" is on/);
    assert.deepEqual(removedInOkta(), []);
    for (let i = 0; i < GONE.length; i++) {
      const state = (await store.get('writebackState', HUB, `u-gone${i}`))!;
      assert.equal(state.written, undefined, 'a refused write is not recorded as written');
      assert.equal(state.problem?.kind, 'deactivated');
    }
    const audit = await collect(store.list('audit', HUB));
    assert.ok(!JSON.stringify([log.lines, first, audit, await collect(store.list('writebackState', HUB))]).includes(OKTA_TOKEN));

    // Nothing changed: no call at all; each is still reported.
    okta.control.clearCalls();
    const second = await writeback.run(HUB);
    assert.deepEqual(userPosts(), []);
    assert.equal(second.skipped, 3);
    assert.deepEqual(second.problems.map((p) => p.kind), ['deactivated', 'deactivated', 'deactivated']);

    // A day later, one of them is tried (the setting is one for the whole org), not all three.
    clock.advance(DAY + 1);
    okta.control.clearCalls();
    const third = await writeback.run(HUB);
    assert.equal(userPosts().length, 1);
    assert.equal(third.failed, 1);
    assert.equal(third.skipped, 2);
    assert.ok(third.problems.every((p) => Date.parse(p.retryAfter) > clock.now()), 'reported with when they are tried next');

    // The admin turns the setting on: the next day's probe lands and the others follow in the same run.
    okta.control.setEditDeactivatedUserProfiles(true);
    clock.advance(DAY + 1);
    okta.control.clearCalls();
    const fourth = await writeback.run(HUB);
    assert.equal(fourth.written, 3);
    assert.deepEqual(fourth.problems, []);
    assert.deepEqual(removedInOkta(), [...GONE].sort());
    assert.equal((await store.get('writebackState', HUB, 'u-gone0'))!.written?.status, 'removed');
    assert.equal((await store.get('writebackState', HUB, 'u-gone0'))!.problem, undefined);
  } finally {
    await server.close();
  }
});

test('okta: with "Edit Deactivated User Profile Updates" on, deactivated users are written "removed" with no problem', async () => {
  const { okta, server, writeback, removedInOkta } = await setup(true);
  try {
    const report = await writeback.run(HUB);
    assert.equal(report.written, 4);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(removedInOkta(), [...GONE].sort());
    assert.equal(okta.calls.filter((c) => c.method === 'GET' && c.path.startsWith('/api/v1/users/')).length, 0, 'no extra read when nothing is refused');
  } finally {
    await server.close();
  }
});

test('okta: a missing user is still "not-found", not mistaken for a deactivated one', async () => {
  const { server, store, writeback } = await setup(false);
  try {
    await store.transact((tx) => { tx.put('directoryUsers', HUB, 'u-ghost', directoryUser(HUB, 'u-ghost', 'ghost@example.com', { externalId: '00ughost000000000001', active: false })); });
    const report = await writeback.run(HUB);
    assert.equal(report.problems.find((p) => p.directoryUserId === 'u-ghost')?.kind, 'not-found');
  } finally {
    await server.close();
  }
});

test('okta: a user read once while active and deactivated later is reported "deactivated", not from a stale read', async () => {
  const { okta, server, store, writeback } = await setup(false);
  try {
    await writeback.run(HUB);
    // An admin deletes the status attribute: Ana's next update is refused (400), and the one read
    // that tells whether she is deactivated finds her ACTIVE.
    const schema = await fetch(`${server.url}/api/v1/meta/schemas/user/default`, { method: 'POST', headers: { authorization: `SSWS ${OKTA_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ definitions: { custom: { properties: { [status]: null } } } }) });
    assert.equal(schema.status, 200);
    await store.transact((tx) => { tx.put('appMembers', HUB, 'm-ana', { hubId: HUB, id: 'm-ana', email: 'ana@example.com', role: 'ADMIN', firstSeenAt: '2026-11-20T10:00:00.000Z', lastSeenAt: '2026-11-20T10:00:00.000Z' }); });
    const refused = await writeback.run(HUB);
    assert.equal(refused.problems.find((p) => p.directoryUserId === 'u-ana')?.kind, 'rejected');

    // Then Okta deactivates her (the org setting is off), and SCIM says so.
    okta.control.setStatus(ACTIVE, 'DEPROVISIONED');
    await store.transact(async (tx) => { tx.put('directoryUsers', HUB, 'u-ana', { ...(await tx.get('directoryUsers', HUB, 'u-ana'))!, active: false }); });
    const report = await writeback.run(HUB);
    assert.equal(report.problems.find((p) => p.directoryUserId === 'u-ana')?.kind, 'deactivated');
  } finally {
    await server.close();
  }
});
