/**
 * What write-back leaves in an Okta profile for each standing, through the real SDK against the
 * emulator: "none" is no value (null sent), never an empty string, which Okta keeps as a value
 * (Okta help, "Add custom attributes to an Okta user profile"); several hubs on one org keep their
 * own attributes; a value an admin changes by hand stands until hubwarden's own value changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';
import type { MemoryStore } from '../store/memory-store.ts';

const HUB = 'meta-main';
const T = '2026-11-20T10:00:00.000Z';
const ids = { ana: '00uana00000000000001', bo: '00ubo000000000000002', cy: '00ucy000000000000003', dee: '00udee00000000000004', eve: '00ueve00000000000005' };
const attr = (field: string, hub = HUB) => `hubwarden_${hub.replace(/-/g, '_')}_${field}`;
const FIELDS = ['status', 'role', 'exemption', 'exemptUntil'];

function exempt(store: MemoryStore, hubId: string, memberId: string, userId: string, until?: string): Promise<void> {
  return store.transact((tx) => {
    tx.put('memberMatches', hubId, memberId, { hubId, memberId, outcome: 'exempted', manual: false, at: T, directoryUserId: userId });
    tx.put('exemptions', hubId, memberId, { hubId, memberId, reason: 'agency lead', by: 'owner@example.com', at: T, ...(until ? { until } : {}) });
  });
}

test('okta values per standing: exact attributes held, "none" left without a value, cleared with null when a standing ends', async () => {
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: Object.entries(ids).map(([n, id]) => ({ id, login: `${n}@example.com`, firstName: n })) });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, Object.entries(ids).map(([n, id]) => directoryUser(HUB, `u-${n}`, `${n}@example.com`, { externalId: id })), [
      { id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }, // onboarded
      { id: 'm-bo', email: 'bo@example.com', role: 'EMPLOYEE' }, // exempted, no end
      { id: 'm-cy', email: 'cy@example.com', role: 'EMPLOYEE' }, // exempted until a date
      { id: 'm-dee', email: 'dee@example.com', role: 'EMPLOYEE' }, // leaves the app
    ]);
    // eve: never had a seat.
    await exempt(store, HUB, 'm-bo', 'u-bo');
    await exempt(store, HUB, 'm-cy', 'u-cy', '2999-03-31T23:59:59.999Z');
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock() });
    assert.deepEqual((await writeback.run(HUB)).problems, []);
    const held = (id: string) => {
      const profile = okta.state().users.find((u) => u.id === id)!.profile;
      return Object.fromEntries(FIELDS.filter((f) => attr(f) in profile).map((f) => [f, profile[attr(f)]]));
    };
    assert.deepEqual(held(ids.ana), { status: 'onboarded', role: 'ADMIN' });
    assert.deepEqual(held(ids.bo), { status: 'exempted', role: 'EMPLOYEE', exemption: 'agency lead' });
    assert.deepEqual(held(ids.cy), { status: 'exempted', role: 'EMPLOYEE', exemption: 'agency lead', exemptUntil: '2999-03-31T23:59:59.999Z' });
    assert.deepEqual(held(ids.eve), { status: 'pending' }, 'never had a seat: status only, no empty strings');
    // Types match the schema hubwarden creates: every attribute a string, every value a string.
    for (const f of FIELDS) assert.equal(okta.state().schema[attr(f)]!.type, 'string');

    // cy's exemption lapses (the hourly watchdog's run), dee leaves the app.
    await store.transact(async (tx) => {
      tx.put('exemptions', HUB, 'm-cy', { ...(await tx.get('exemptions', HUB, 'm-cy'))!, until: '2026-01-01T00:00:00.000Z' });
      tx.put('memberMatches', HUB, 'm-cy', { hubId: HUB, memberId: 'm-cy', outcome: 'onboarded', manual: false, at: T, directoryUserId: 'u-cy' });
      tx.delete('appMembers', HUB, 'm-dee');
    });
    okta.control.clearCalls();
    await writeback.run(HUB);
    const bodies = Object.fromEntries(okta.calls.filter((c) => c.method === 'POST').map((c) => [c.path.split('/').pop(), c.body]));
    assert.deepEqual(bodies, {
      [ids.cy]: { profile: { [attr('status')]: 'onboarded', [attr('exemption')]: null, [attr('exemptUntil')]: null } },
      [ids.dee]: { profile: { [attr('status')]: 'removed', [attr('role')]: null } },
    });
    assert.deepEqual(held(ids.cy), { status: 'onboarded', role: 'EMPLOYEE' });
    assert.deepEqual(held(ids.dee), { status: 'removed' });
  } finally {
    await server.close();
  }
});

test('okta: "none" written as "" by an earlier release is cleared once (null), then nothing is sent', async () => {
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: [{ id: ids.ana, login: 'ana@example.com', profile: {} }] });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ids.ana })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock() });
    await writeback.ensureSchema();
    // As the earlier release left it: "" in Okta, recorded as written, with no mark.
    const old = { status: 'onboarded', role: 'ADMIN', exemption: '', exemptUntil: '' } as const;
    const res = await fetch(`${server.url}/api/v1/users/${ids.ana}`, { method: 'POST', headers: { authorization: `SSWS ${OKTA_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ profile: Object.fromEntries(Object.entries(old).map(([f, v]) => [attr(f), v])) }) });
    assert.equal(res.status, 200);
    await store.transact((tx) => tx.put('writebackState', HUB, 'u-ana', { hubId: HUB, directoryUserId: 'u-ana', idp: 'okta', destination: server.url.toLowerCase(), idpUserId: ids.ana, written: { ...old }, writtenAt: T }));
    okta.control.clearCalls();
    const report = await writeback.run(HUB);
    assert.equal(report.written, 1);
    assert.deepEqual(okta.calls.map((c) => [c.method, c.body]), [['POST', { profile: { [attr('exemption')]: null, [attr('exemptUntil')]: null } }]]);
    const profile = okta.state().users[0]!.profile;
    assert.equal(attr('exemption') in profile || attr('exemptUntil') in profile, false);
    okta.control.clearCalls();
    assert.equal((await writeback.run(HUB)).unchanged, 1);
    assert.equal(okta.calls.length, 0, 'cleared once: no churn after');
  } finally {
    await server.close();
  }
});

test('okta: two hubs on one org each write their own attributes and never touch the other hub\'s', async () => {
  const OTHER = 'ads-eu';
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: [{ id: ids.ana, login: 'ana@example.com' }] });
  const server = await okta.listen();
  try {
    const config = parseConfig(JSON.stringify({
      identityProviders: { okta: { kind: 'okta', orgUrl: server.url, token: 'env:OKTA_TOKEN' } },
      hubs: [HUB, OTHER].map((id, n) => ({ id, connector: 'meta-business', identityProvider: 'okta', meta: { businessId: `100${n}` } })),
    }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_TOKEN });
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ids.ana })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    await store.transact((tx) => tx.put('directoryUsers', OTHER, 'u-ana', directoryUser(OTHER, 'u-ana', 'ana@example.com', { externalId: ids.ana })));
    const writeback = createWriteback({ config, store, log: capturingLog(), clock: movableClock() });
    await writeback.run(HUB);
    await writeback.run(OTHER);
    const profile = () => okta.state().users[0]!.profile;
    assert.deepEqual([profile()[attr('status')], profile()[attr('role')], profile()[attr('status', OTHER)]], ['onboarded', 'ADMIN', 'pending']);
    // Each update names only its own hub's attributes.
    for (const c of okta.calls.filter((x) => x.method === 'POST' && x.path.startsWith('/api/v1/users/'))) {
      const names = Object.keys((c.body as { profile: object }).profile);
      assert.ok(names.every((n) => n.startsWith(`hubwarden_${HUB.replace(/-/g, '_')}_`)) || names.every((n) => n.startsWith('hubwarden_ads_eu_')), names.join());
    }
    await exempt(store, OTHER, 'm-x', 'u-ana');
    await store.transact((tx) => tx.put('appMembers', OTHER, 'm-x', { hubId: OTHER, id: 'm-x', email: 'ana@example.com', role: 'EMPLOYEE', firstSeenAt: T, lastSeenAt: T }));
    await writeback.run(OTHER);
    assert.deepEqual([profile()[attr('status')], profile()[attr('role')], profile()[attr('status', OTHER)], profile()[attr('exemption', OTHER)]], ['onboarded', 'ADMIN', 'exempted', 'agency lead']);
  } finally {
    await server.close();
  }
});

test('okta: a value an admin changes by hand is not set back until hubwarden\'s own value for it changes (write-back never reads values back)', async () => {
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: [{ id: ids.ana, login: 'ana@example.com' }] });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ids.ana })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock() });
    await writeback.run(HUB);
    const edit = await fetch(`${server.url}/api/v1/users/${ids.ana}`, { method: 'POST', headers: { authorization: `SSWS ${OKTA_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ profile: { [attr('status')]: 'exempted' } }) });
    assert.equal(edit.status, 200);
    okta.control.clearCalls();
    await writeback.run(HUB);
    assert.equal(okta.calls.length, 0, 'nothing changed on hubwarden\'s side: no call');
    // Her role changes: only the role is sent; the status edited by hand stands.
    await store.transact(async (tx) => tx.put('appMembers', HUB, 'm-ana', { ...(await tx.get('appMembers', HUB, 'm-ana'))!, role: 'EMPLOYEE' }));
    await writeback.run(HUB);
    assert.deepEqual(okta.calls.map((c) => c.body), [{ profile: { [attr('role')]: 'EMPLOYEE' } }]);
    assert.equal(okta.state().users[0]!.profile[attr('status')], 'exempted');
    // Her seat goes: the status is hubwarden's to change again, and is set.
    await store.transact((tx) => tx.delete('appMembers', HUB, 'm-ana'));
    await writeback.run(HUB);
    assert.equal(okta.state().users[0]!.profile[attr('status')], 'removed');
  } finally {
    await server.close();
  }
});
