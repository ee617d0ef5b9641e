/**
 * A person deactivated in the IdP is written `removed`; once reactivated, what they are written
 * follows what they hold then: `pending` (or offered, invited...) when they never held a seat,
 * `removed` when the seat they held was taken while they were away. A `removed` kept after a
 * reactivation told Okta group rules and reports that someone who never held a seat had lost one.
 * Each change is one update, and a run with nothing changed makes no call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'meta-main';
const status = 'hubwarden_meta_main_status';
const T = '2026-11-20T10:00:00.000Z';
const ID = { ana: '00uana00000000000001', bo: '00ubo000000000000001', dee: '00udee00000000000001' };

async function setup() {
  // "Edit Deactivated User Profile Updates" on: Okta takes updates of deactivated users.
  const okta = createOktaEmulator({ token: OKTA_TOKEN, editDeactivatedUserProfiles: true, users: Object.entries(ID).map(([name, id]) => ({ id, login: `${name}@example.com` })) });
  const server = await okta.listen();
  const store = await seededStore(HUB, Object.entries(ID).map(([name, id]) => directoryUser(HUB, `u-${name}`, `${name}@example.com`, { externalId: id })), [{ id: 'm-bo', email: 'bo@example.com', role: 'EMPLOYEE' }]);
  const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
  const posts = () => okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).map((c) => [c.path.slice('/api/v1/users/'.length), (c.body as { profile: Record<string, unknown> }).profile[status]]);
  const statusOf = (name: keyof typeof ID) => okta.state().users.find((u) => u.id === ID[name])!.profile[status];
  const run = async () => {
    okta.control.clearCalls();
    await writeback.run(HUB);
    return posts();
  };
  return { okta, server, store, run, statusOf };
}

/** As a SCIM PATCH active=false/true leaves the directory record (scim-server/scim/resources/user.ts). */
async function setActive(store: MemoryStore, id: string, active: boolean): Promise<void> {
  await store.transact(async (tx) => { tx.put('directoryUsers', HUB, id, { ...(await tx.get('directoryUsers', HUB, id))!, active }); });
}

test('reactivated without a seat: removed → pending (one update), not removed until an invite; nothing sent when nothing changed', async () => {
  const { okta, server, store, run, statusOf } = await setup();
  try {
    assert.deepEqual((await run()).filter(([id]) => id === ID.ana), [[ID.ana, 'pending']]);
    await setActive(store, 'u-ana', false);
    okta.control.setStatus(ID.ana, 'DEPROVISIONED');
    assert.deepEqual(await run(), [[ID.ana, 'removed']]);
    assert.equal((await store.get('writebackState', HUB, 'u-ana'))?.seatless, true, 'removed for the deactivation alone');
    assert.deepEqual(await run(), [], 'no call when nothing changed');

    await setActive(store, 'u-ana', true);
    okta.control.setStatus(ID.ana, 'ACTIVE');
    assert.deepEqual(await run(), [[ID.ana, 'pending']], 'back to what anyone without a seat is told');
    assert.equal(statusOf('ana'), 'pending');
    assert.equal((await store.get('writebackState', HUB, 'u-ana'))?.seatless, undefined);
    assert.deepEqual(await run(), []);

    // The invite is sent: invited.
    await store.transact((tx) => { tx.put('appInvites', HUB, 'i-ana', { hubId: HUB, id: 'i-ana', email: 'ana@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: T }); });
    assert.deepEqual(await run(), [[ID.ana, 'invited']]);
  } finally {
    await server.close();
  }
});

test('reactivated after the seat was removed meanwhile: still removed (a seat lost), with no call, until they hold one again', async () => {
  const { server, store, run, statusOf } = await setup();
  try {
    await run();
    assert.equal(statusOf('bo'), 'onboarded');
    await setActive(store, 'u-bo', false);
    assert.deepEqual(await run(), [[ID.bo, 'removed']]);
    assert.equal((await store.get('writebackState', HUB, 'u-bo'))?.seatless, undefined, 'he held a seat');
    await store.transact((tx) => { tx.delete('appMembers', HUB, 'm-bo'); });
    assert.deepEqual(await run(), []);
    await setActive(store, 'u-bo', true);
    assert.deepEqual(await run(), [], 'removed still: his seat was taken');
    assert.equal(statusOf('bo'), 'removed');
    await store.transact((tx) => { tx.put('appMembers', HUB, 'm-bo2', { hubId: HUB, id: 'm-bo2', email: 'bo@example.com', role: 'EMPLOYEE', firstSeenAt: T, lastSeenAt: T }); });
    assert.deepEqual(await run(), [[ID.bo, 'onboarded']]);
  } finally {
    await server.close();
  }
});

test('a seat found while deactivated is recorded without a call, so a reactivation after it is taken says removed', async () => {
  const { server, store, run } = await setup();
  try {
    await setActive(store, 'u-dee', false);
    assert.deepEqual((await run()).filter(([id]) => id === ID.dee), [[ID.dee, 'removed']]);
    assert.equal((await store.get('writebackState', HUB, 'u-dee'))?.seatless, true);
    // An import finds a seat under her address (given by hand in the app): she is still `removed`
    // in the IdP (no call), but no longer without a seat.
    await store.transact((tx) => { tx.put('appMembers', HUB, 'm-dee', { hubId: HUB, id: 'm-dee', email: 'dee@example.com', role: 'EMPLOYEE', firstSeenAt: T, lastSeenAt: T }); });
    assert.deepEqual(await run(), []);
    const state = (await store.get('writebackState', HUB, 'u-dee'))!;
    assert.equal(state.seatless, undefined);
    assert.equal(state.written?.status, 'removed');
    await store.transact((tx) => { tx.delete('appMembers', HUB, 'm-dee'); });
    await setActive(store, 'u-dee', true);
    assert.deepEqual(await run(), [], 'removed: the seat she held was taken');
  } finally {
    await server.close();
  }
});
