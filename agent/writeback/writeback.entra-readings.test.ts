/**
 * Entra write-back against other readings of what Microsoft's documentation cited in docs/writeback.md
 * leaves open ([INF]): the Graph emulator answers as another emulator written from the same documentation might,
 * and hubwarden still writes everyone, once, through the real @microsoft/microsoft-graph-client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphEmulator, type GraphReadings } from '../../test/emulators/graph/graph-emulator.ts';
import type { GraphSeedUser } from '../../test/emulators/graph/graph-directory.ts';
import { MAX_RETRY_AFTER_SECONDS } from './graph-client.ts';
import { createWriteback, type WritebackTuning } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, movableClock, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'ads-eu';
const ANA_OID = '0a0a0a0a-1111-2222-3333-444444444444';
const BO_OID = '0b0b0b0b-1111-2222-3333-444444444444';

async function setup(readings: GraphReadings, o: { users?: GraphSeedUser[]; appId?: string; tuning?: WritebackTuning; externalIds?: string[] } = {}) {
  const appId = o.appId ?? ENTRA.extensionAppId;
  const users = o.users ?? [{ id: ANA_OID, userPrincipalName: 'ana@contoso.com' }, { id: BO_OID, userPrincipalName: 'bo@contoso.com' }];
  const graph = createGraphEmulator({ ...ENTRA, readings, applications: [{ appId }], users });
  const server = await graph.listen();
  const store = await seededStore(HUB, users.map((u, i) => directoryUser(HUB, `u-${i}`, u.userPrincipalName, { externalId: o.externalIds?.[i] ?? u.id })), [{ id: 'm-ana', email: 'ana@contoso.com', role: 'ADMIN' }]);
  const config = writebackConfig({ graph: server.url });
  (config.file.identityProviders.entra as { extensionAppId: string }).extensionAppId = appId;
  const make = () => createWriteback({ config, store, log: capturingLog(), clock: movableClock(), tuning: o.tuning ?? { entra: { maxRetries: 2, delaySeconds: 0 } } });
  const status = (i: number) => {
    const user = graph.state().users[i]!;
    return Object.entries(user).find(([k]) => k.toLowerCase().endsWith('_hubwarden_ads_eu_status'))?.[1];
  };
  return { graph, server, store, make, status };
}

for (const patchAnswer of ['empty-json', 'user'] as const) {
  test(`entra: PATCH answered ${patchAnswer === 'user' ? '200 with the user' : '200 declaring JSON with no body'} is written once, not failed and re-sent on every run`, async () => {
    const { graph, server, make, status } = await setup({ patchAnswer });
    try {
      const writeback = make();
      const first = await writeback.run(HUB);
      assert.equal(first.failed, 0, JSON.stringify(first.problems));
      assert.equal(first.written, 2);
      assert.deepEqual([status(0), status(1)], ['onboarded', 'pending']);
      graph.control.clearCalls();
      const second = await writeback.run(HUB);
      assert.equal(second.unchanged, 2);
      assert.equal(graph.calls.length, 0, 'nothing re-sent');
    } finally {
      await server.close();
    }
  });
}

test('entra: extension names that keep the app registration\'s spelling and match exactly are written as Graph spells them', async () => {
  const { graph, server, make, status } = await setup({ extensionNames: 'as-registered' }, { appId: ENTRA.extensionAppId.toUpperCase() });
  try {
    const report = await make().run(HUB);
    assert.equal(report.written, 2, JSON.stringify(report.problems));
    assert.deepEqual([status(0), status(1)], ['onboarded', 'pending']);
    const patched = graph.calls.filter((c) => c.method === 'PATCH').map((c) => Object.keys(c.body as object)[0]);
    assert.ok(patched.every((k) => k!.startsWith(`extension_${ENTRA.extensionAppId.replace(/-/g, '').toUpperCase()}_`)), String(patched));
  } finally {
    await server.close();
  }
});

// Graph's Create extensionProperty reference shows only the POST: a Graph-like service may not serve
// the list, refusing it 405, or 400 as a segment it does not know (with a GUID extensionAppId that
// 400 cannot be about the id). Either way the attributes are created, then taken as there.
// Or 501, Graph's answer for a feature it does not implement.
for (const [extensionList, refused] of [['none', 'GET 405'], ['unknown-segment', 'GET 400'], ['not-implemented', 'GET 501']] as const) {
  test(`entra: a Graph that does not list extension properties (${refused}): created by the first process, taken as there by the next, values written by both`, async () => {
    const { graph, server, store, make, status } = await setup({ extensionList });
    try {
      const first = await make().run(HUB);
      assert.equal(first.written, 2, first.note);
      assert.deepEqual([status(0), status(1)], ['onboarded', 'pending']);
      // A second process (a restart): its creates are refused as duplicates, and it still writes.
      graph.control.clearCalls();
      const second = make();
      await second.ensureSchema();
      assert.deepEqual(graph.calls.filter((c) => c.path.includes('extensionProperties')).map((c) => `${c.method} ${c.status}`), [refused, 'POST 400', 'POST 400', 'POST 400', 'POST 400']);
      const cy = graph.control.addUser({ userPrincipalName: 'cy@contoso.com' });
      await store.transact((tx) => tx.put('directoryUsers', HUB, 'u-cy', directoryUser(HUB, 'u-cy', 'cy@contoso.com', { externalId: cy })));
      const report = await second.run(HUB);
      assert.deepEqual([report.written, report.unchanged, report.failed], [1, 2, 0], report.note);
      assert.equal(status(2), 'pending');
    } finally {
      await server.close();
    }
  });
}

test('entra: a token endpoint served only where the OpenID configuration names it, the usual path answered 400 as a path not served: tokens got there, everyone written', async () => {
  const { graph, server, make, status } = await setup({ tokenEndpoint: 'named-only' });
  try {
    const report = await make().run(HUB);
    assert.equal(report.written, 2, `${report.note ?? ''} ${JSON.stringify(report.problems)}`);
    assert.deepEqual([status(0), status(1)], ['onboarded', 'pending']);
    assert.deepEqual(graph.calls.slice(0, 3).map((c) => `${c.method} ${c.path.split('/').slice(2).join('/')} ${c.status}`), [
      'POST oauth2/v2.0/token 400', 'GET v2.0/.well-known/openid-configuration 200', 'POST oauth2/v2.0/issue 200',
    ]);
  } finally {
    await server.close();
  }
});

test('entra: an extensionAppId that is no GUID, its extension list refused 400: the hub\'s attributes fail with that answer, nothing is created', async () => {
  const { graph, server, make } = await setup({ extensionList: 'unknown-segment' }, { appId: 'hubwarden-app' });
  try {
    await assert.rejects(make().run(HUB), /list extension properties of app hubwarden-app: .*HTTP 400/);
    assert.deepEqual(graph.calls.filter((c) => c.path.includes('extensionProperties')).map((c) => `${c.method} ${c.status}`), ['GET 400']);
  } finally {
    await server.close();
  }
});

test('entra: a relative @odata.nextLink is followed on the configured host; nothing is created again', async () => {
  const { graph, server, make } = await setup({ nextLink: 'relative' });
  try {
    await make().ensureSchema();
    graph.control.setPageSize(2);
    graph.control.clearCalls();
    const report = await make().run(HUB);
    assert.deepEqual(graph.calls.filter((c) => c.path.includes('extensionProperties')).map((c) => `${c.method} ${c.status}`), ['GET 200', 'GET 200']);
    assert.equal(report.written, 2, report.note);
  } finally {
    await server.close();
  }
});

test('entra: users addressed only by id, with ids that are not GUIDs: written through the externalId after the UPN is not found', async () => {
  const { server, make, status } = await setup({ userAddressing: 'id-only' }, { users: [{ id: 'u1', userPrincipalName: 'ana@contoso.com' }, { id: 'u2', userPrincipalName: 'bo@contoso.com' }] });
  try {
    const report = await make().run(HUB);
    assert.equal(report.written, 2, JSON.stringify(report.problems));
    assert.deepEqual([status(0), status(1)], ['onboarded', 'pending']);
  } finally {
    await server.close();
  }
});

test('entra: a SCIM externalId that is a GUID but not the Graph object id (another attribute mapped to it): written through the UPN after the GUID is not found', async () => {
  // Entra's SCIM externalId is whatever the app's attribute mapping sends (the create sample of
  // https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups shows a GUID; nothing says it is the user's object id).
  const { server, make, status } = await setup({}, { externalIds: ['9f9f9f9f-aaaa-bbbb-cccc-000000000001', '9f9f9f9f-aaaa-bbbb-cccc-000000000002'] });
  try {
    const report = await make().run(HUB);
    assert.equal(report.written, 2, JSON.stringify(report.problems));
    assert.deepEqual([status(0), status(1)], ['onboarded', 'pending']);
  } finally {
    await server.close();
  }
});

test('entra: a Retry-After far off does not hold the run longer than the SDK itself would wait', async () => {
  const { graph, server, make } = await setup({}, { tuning: { concurrency: 1, entra: { maxRetries: 0, delaySeconds: 0 } } });
  try {
    const writeback = make();
    await writeback.ensureSchema();
    graph.control.throttleNext(1, 86_400);
    const report = await writeback.run(HUB);
    assert.deepEqual([report.written, report.failed], [1, 1], 'the throttled person is tried again on the next run');
    assert.ok(report.waitedMs <= MAX_RETRY_AFTER_SECONDS * 1000, `waited ${report.waitedMs} ms`);
  } finally {
    await server.close();
  }
});
