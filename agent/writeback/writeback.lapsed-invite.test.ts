/**
 * A lapsed invite (expired, declined, or past the expiry hubwarden knows) is written back as
 * `lapsed`, as the members view shows it, never as `invited`: an IdP rule or access review on
 * `invited` took the person for one with an invitation pending. Re-invited, they are `invited`
 * again. Through the real SDKs against the Okta and Graph emulators; the Okta org has the status
 * property an earlier release made (its enum without `lapsed`), which gets the value added.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import type { AppInviteRecord } from '../app-state/records.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, EXT_PREFIX, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

const T = '2026-11-20T10:00:00.000Z';
const FUTURE = '2999-01-01T00:00:00.000Z';
/** The status enum hubwarden created before `lapsed` existed, in its order. */
const EARLIER_ENUM = ['pending', 'offered', 'invited', 'invite_failed', 'onboarded', 'exempted', 'removed'];

/** Jane's invite (matched to her), as a check for updates or a re-send records it. */
function putInvite(store: MemoryStore, hubId: string, invite: Partial<AppInviteRecord>): Promise<void> {
  return store.transact((tx) => {
    tx.put('appInvites', hubId, 'i-1', { hubId, id: 'i-1', email: 'jane@example.com', role: 'EMPLOYEE', status: 'pending', expiresAt: FUTURE, createdAt: T, sentByHubwarden: true, resendCount: 0, lastSeenAt: T, ...invite });
    tx.put('memberMatches', hubId, 'invite:i-1', { hubId, memberId: 'invite:i-1', outcome: 'onboarded', manual: false, at: T, directoryUserId: 'u-jane' });
  });
}

test('okta: a lapsed invite is written `lapsed` (role cleared), added to an existing org\'s status enum; re-invited, `invited` again', async () => {
  const HUB = 'meta-main';
  const attr = (f: string) => `hubwarden_meta_main_${f}`;
  const JANE = '00ujane0000000000001';
  const BO = '00ubo000000000000002';
  const okta = createOktaEmulator({
    token: OKTA_TOKEN,
    // bo holds a value of the earlier enum: the enum may only widen.
    users: [{ id: JANE, login: 'jane@example.com' }, { id: BO, login: 'bo@example.com', profile: { [attr('status')]: 'invited' } }],
    schema: { [attr('status')]: { title: `hubwarden ${HUB} status`, type: 'string', enum: EARLIER_ENUM, permissions: [{ principal: 'SELF', action: 'READ_ONLY' }] } },
  });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-jane', 'jane@example.com', { externalId: JANE })], []);
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock() });
    const held = () => {
      const p = okta.state().users.find((u) => u.id === JANE)!.profile;
      return [p[attr('status')], p[attr('role')]];
    };
    await putInvite(store, HUB, {});
    assert.deepEqual((await writeback.run(HUB)).problems, []);
    assert.deepEqual(okta.state().schema[attr('status')]!.enum, [...EARLIER_ENUM, 'lapsed'], 'the earlier values kept, in order; lapsed added');
    assert.deepEqual(held(), ['invited', 'EMPLOYEE']);

    for (const status of ['expired', 'declined'] as const) {
      await putInvite(store, HUB, { status });
      okta.control.clearCalls();
      assert.deepEqual((await writeback.run(HUB)).problems, [], status);
      assert.deepEqual(okta.calls.filter((c) => c.method === 'POST').map((c) => c.body), [{ profile: { [attr('status')]: 'lapsed', [attr('role')]: null } }], status);
      assert.deepEqual(held(), ['lapsed', undefined], `${status}: no invitation pending, no role held`);
      // Re-invited (the plan's one re-send, as a check for updates then records it).
      await putInvite(store, HUB, { status: 'pending', resendCount: 1 });
      await writeback.run(HUB);
      assert.deepEqual(held(), ['invited', 'EMPLOYEE'], `${status}: re-invited`);
      await putInvite(store, HUB, { status: 'pending', resendCount: 0 });
    }
  } finally {
    await server.close();
  }
});

test('entra: an invite recorded pending but past its expiry is written `lapsed`, as the members view counts it; re-invited, `invited` again', async () => {
  const HUB = 'ads-eu';
  const ext = (f: string) => `${EXT_PREFIX}hubwarden_ads_eu_${f}`;
  const JANE = '0a0a0a0a-1111-2222-3333-444444444444';
  const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId, objectId: 'ext-app-object' }], users: [{ id: JANE, userPrincipalName: 'jane@example.com' }] });
  const server = await graph.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-jane', 'jane@example.com', { externalId: JANE })], []);
    const writeback = createWriteback({ config: writebackConfig({ graph: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } });
    const held = () => {
      const u = graph.state().users.find((x) => x.id === JANE)!;
      return [u[ext('status')], u[ext('role')]];
    };
    await putInvite(store, HUB, {});
    assert.deepEqual((await writeback.run(HUB)).problems, []);
    assert.deepEqual(held(), ['invited', 'EMPLOYEE']);

    // Its expiry passes before the app's next listing says so (Meta's expiration_time; an app with none).
    await putInvite(store, HUB, { expiresAt: '2026-01-01T00:00:00.000Z' });
    graph.control.clearCalls();
    await writeback.run(HUB);
    assert.deepEqual(graph.calls.filter((c) => c.method === 'PATCH').map((c) => c.body), [{ [ext('status')]: 'lapsed', [ext('role')]: null }]);
    assert.deepEqual(held(), ['lapsed', undefined]);

    await putInvite(store, HUB, { status: 'declined' });
    graph.control.clearCalls();
    await writeback.run(HUB);
    assert.equal(graph.calls.filter((c) => c.method === 'PATCH').length, 0, 'still lapsed: nothing sent');

    await putInvite(store, HUB, { status: 'pending', resendCount: 1 });
    await writeback.run(HUB);
    assert.deepEqual(held(), ['invited', 'EMPLOYEE']);
  } finally {
    await server.close();
  }
});
