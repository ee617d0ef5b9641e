import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { fitEntraString, nextPageRequest } from './entra-target.ts';
import { createGraphClient } from './graph-client.ts';
import { createWriteback } from './writeback.ts';
import { parseConfig } from '../../config/load.ts';
import { collect } from '../store/store.ts';
import { capturingLog, directoryUser, ENTRA, EXT_PREFIX, movableClock, seededStore, setMemberRole, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'ads-eu';
const ANA_OID = '0a0a0a0a-1111-2222-3333-444444444444';
const ext = (field: string) => `${EXT_PREFIX}hubwarden_ads_eu_${field}`;

async function setup() {
  const graph = createGraphEmulator({
    ...ENTRA,
    applications: [{ appId: ENTRA.extensionAppId, objectId: 'ext-app-object' }],
    users: [{ id: ANA_OID, userPrincipalName: 'ana@contoso.com' }, { userPrincipalName: 'bo@contoso.com' }],
  });
  const server = await graph.listen();
  const store = await seededStore(HUB, [
    directoryUser(HUB, 'u-ana', 'ana@contoso.com', { externalId: ANA_OID }),
    directoryUser(HUB, 'u-bo', 'bo@contoso.com', { externalId: 'bo' }),
    directoryUser(HUB, 'u-gone', 'gone@contoso.com'),
  ], [{ id: 'm-ana', email: 'ana@contoso.com', role: 'ADMIN' }]);
  const log = capturingLog();
  const make = () => createWriteback({ config: writebackConfig({ graph: server.url }), store, log, clock: movableClock(), tuning: { entra: { maxRetries: 2, delaySeconds: 0 } } });
  const patches = () => graph.calls.filter((c) => c.method === 'PATCH');
  return { graph, server, store, log, make, patches };
}

test('entra write-back through the real Graph SDK: extensions created once, PATCH bodies carry only changed extension values', async () => {
  const { graph, server, store, log, make, patches } = await setup();
  try {
    const writeback = make();
    const first = await writeback.run(HUB);

    const extCalls = graph.calls.filter((c) => c.path.includes('extensionProperties'));
    assert.deepEqual(extCalls.map((c) => c.method), ['GET', 'POST', 'POST', 'POST', 'POST']);
    assert.equal(extCalls[0]!.path, `/v1.0/applications(appId='${ENTRA.extensionAppId}')/extensionProperties`);
    assert.deepEqual(extCalls.slice(1).map((c) => c.body), ['status', 'role', 'exemption', 'exemptUntil'].map((f) => ({ name: `hubwarden_ads_eu_${f}`, dataType: 'String', isMultiValued: false, targetObjects: ['User'] })));
    assert.deepEqual(graph.state().applications[0]!.extensionProperties.map((e) => e.name), [ext('status'), ext('role'), ext('exemption'), ext('exemptUntil')]);

    // Object id when externalId is a GUID, else the UPN; empty values sent as null (removes them).
    assert.deepEqual(patches().map((c) => c.path).sort(), [`/v1.0/users/${ANA_OID}`, '/v1.0/users/bo@contoso.com', '/v1.0/users/gone@contoso.com']);
    assert.deepEqual(patches().find((c) => c.path.endsWith(ANA_OID))!.body, { [ext('status')]: 'onboarded', [ext('role')]: 'ADMIN', [ext('exemption')]: null, [ext('exemptUntil')]: null });
    assert.deepEqual(patches().find((c) => c.path.endsWith('bo@contoso.com'))!.body, { [ext('status')]: 'pending', [ext('role')]: null, [ext('exemption')]: null, [ext('exemptUntil')]: null });
    const ana = graph.state().users.find((u) => u.id === ANA_OID)!;
    assert.equal(ana[ext('status')], 'onboarded');
    assert.equal(first.written, 2);
    assert.deepEqual(first.problems.map((p) => [p.directoryUserId, p.kind]), [['u-gone', 'not-found']]);
    assert.match(first.problems[0]!.message, /Request_ResourceNotFound/);

    graph.control.clearCalls();
    const second = await writeback.run(HUB);
    assert.equal(graph.calls.length, 0, 'nothing changed: no Graph call and no token request');
    assert.equal(second.unchanged, 2);
    assert.equal(second.skipped, 1);

    await setMemberRole(store, HUB, 'm-ana', 'EMPLOYEE');
    await writeback.run(HUB);
    assert.deepEqual(patches().map((c) => c.body), [{ [ext('role')]: 'EMPLOYEE' }]);

    // A second process lists the extensions and creates none.
    graph.control.clearCalls();
    await make().ensureSchema();
    assert.deepEqual(graph.calls.filter((c) => c.path.includes('extensionProperties')).map((c) => c.method), ['GET']);
    assert.equal(graph.calls.filter((c) => c.path.endsWith('/oauth2/v2.0/token')).length, 1);
    assert.ok(!JSON.stringify([log.lines, first, second, graph.calls]).includes(ENTRA.clientSecret));
  } finally {
    await server.close();
  }
});

test('entra: 429 with Retry-After is retried and the value is written; a wrong client secret stops the run', async () => {
  const { graph, server, store, make, patches } = await setup();
  try {
    const writeback = make();
    await writeback.ensureSchema();
    graph.control.throttleNext(1, 0);
    const report = await writeback.run(HUB);
    assert.equal(patches().filter((c) => c.status === 429).length, 1);
    assert.equal(patches().filter((c) => c.status === 204).length, 2);
    assert.equal(report.written, 2);
    assert.equal((await store.get('writebackState', HUB, 'u-ana'))!.written?.status, 'onboarded');
  } finally {
    await server.close();
  }
  const other = createGraphEmulator({ ...ENTRA, clientSecret: 'the-real-secret-is-different' });
  const s2 = await other.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u1', 'a@contoso.com')], []);
    const wb = createWriteback({ config: writebackConfig({ graph: s2.url }), store, log: capturingLog(), clock: movableClock() });
    await assert.rejects(wb.run(HUB), (err: Error) => /invalid_client/.test(err.message) && !err.message.includes(ENTRA.clientSecret));
  } finally {
    await s2.close();
  }
});

test('entra: an exemption is written back with its expiry (exemptUntil); lifted, both are removed (null)', async () => {
  const { graph, server, store, make, patches } = await setup();
  try {
    const until = '2999-03-31T00:00:00.000Z';
    await store.transact((tx) => {
      tx.put('memberMatches', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', outcome: 'exempted', manual: false, at: '2026-11-20T10:00:00.000Z', directoryUserId: 'u-ana' });
      tx.put('exemptions', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', reason: 'agency lead', until, by: 'owner@contoso.com', at: '2026-11-20T10:00:00.000Z' });
    });
    const writeback = make();
    await writeback.run(HUB);
    const ana = () => graph.state().users.find((u) => u.id === ANA_OID)!;
    assert.deepEqual([ana()[ext('status')], ana()[ext('exemption')], ana()[ext('exemptUntil')]], ['exempted', 'agency lead', until]);
    await store.transact((tx) => {
      tx.delete('exemptions', HUB, 'm-ana');
      tx.put('memberMatches', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', outcome: 'onboarded', manual: false, at: '2026-11-21T10:00:00.000Z', directoryUserId: 'u-ana' });
    });
    graph.control.clearCalls();
    await writeback.run(HUB);
    assert.deepEqual(patches().map((c) => c.body), [{ [ext('status')]: 'onboarded', [ext('exemption')]: null, [ext('exemptUntil')]: null }]);
    assert.equal(ext('exemptUntil') in ana(), false, 'null removed the value');
  } finally {
    await server.close();
  }
});

test('entra: an exemption reason longer than a String extension holds is cut to 256 characters, so status and role still land', async () => {
  const { graph, server, store, make, patches } = await setup();
  try {
    const reason = `${'x'.repeat(299)}y`; // exempt() accepts up to 500 characters
    await store.transact((tx) => {
      tx.put('memberMatches', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', outcome: 'exempted', manual: false, at: '2026-11-20T10:00:00.000Z', directoryUserId: 'u-ana' });
      tx.put('exemptions', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', reason, by: 'owner@contoso.com', at: '2026-11-20T10:00:00.000Z' });
    });
    const writeback = make();
    const first = await writeback.run(HUB);
    assert.deepEqual(first.problems.filter((p) => p.directoryUserId === 'u-ana'), []);
    const ana = graph.state().users.find((u) => u.id === ANA_OID)!;
    assert.equal(ana[ext('status')], 'exempted');
    assert.equal(ana[ext('role')], 'ADMIN');
    const stored = ana[ext('exemption')] as string;
    assert.equal(stored.length, 256);
    assert.equal(stored, `${reason.slice(0, 255)}…`);

    // What hubwarden meant to write is kept: the cut value is not re-sent on every run.
    graph.control.clearCalls();
    const second = await writeback.run(HUB);
    assert.equal(patches().length, 0);
    assert.equal(second.written, 0);
  } finally {
    await server.close();
  }
});

test('fitEntraString: short values unchanged, long ones cut to 256 with an ellipsis, never inside a surrogate pair', () => {
  assert.equal(fitEntraString('x'.repeat(256)), 'x'.repeat(256));
  assert.equal(fitEntraString('x'.repeat(257)), `${'x'.repeat(255)}…`);
  const emoji = `${'x'.repeat(254)}😀😀`; // the first emoji's high surrogate is code unit 255
  const cut = fitEntraString(emoji);
  assert.ok(cut.length <= 256);
  assert.equal(cut, `${'x'.repeat(254)}…`);
  assert.doesNotMatch(cut, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, 'no lone high surrogate');
});

test('entra: an extension another instance registered meanwhile is found by listing again, whatever words Graph refuses the duplicate with', async () => {
  const { graph, server, make, patches } = await setup();
  try {
    await make().ensureSchema(); // another instance registered all three
    // Our list does not see them yet; Graph refuses each create with wording we never matched on.
    graph.control.staleExtensionLists(1);
    graph.control.duplicateExtensionMessage('Request contains a property name that is in use: hubwarden_ads_eu_status.');
    graph.control.clearCalls();
    const report = await make().run(HUB);
    assert.equal(report.written, 2, 'the run went on to write the values');
    const extCalls = graph.calls.filter((c) => c.path.includes('extensionProperties'));
    assert.ok(extCalls.filter((c) => c.method === 'POST').every((c) => c.status === 400), 'the creates were refused');
    assert.ok(extCalls.filter((c) => c.method === 'GET').length >= 2, 'listed again after the refusal');
    assert.equal(graph.state().users.find((u) => u.id === ANA_OID)![ext('status')], 'onboarded');
    assert.equal(patches().length, 3);
  } finally {
    await server.close();
  }
});

test('entra: a person gone from the directory and from Entra is forgotten, not kept as a problem retried every day for ever', async () => {
  const { graph, server, store, make, patches } = await setup();
  try {
    const clock = movableClock();
    const writeback = createWriteback({ config: writebackConfig({ graph: server.url }), store, log: capturingLog(), clock, tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } });
    await writeback.run(HUB);
    // Entra hard-deletes the user (SCIM DELETE /Users/{id}, then the object is gone from Graph).
    await store.transact((tx) => tx.delete('directoryUsers', HUB, 'u-ana'));
    graph.control.removeUser(ANA_OID);
    graph.control.clearCalls();
    const gone = await writeback.run(HUB);
    assert.equal(patches().length, 1, 'tried once to tell them "removed"');
    assert.deepEqual(gone.problems.filter((p) => p.directoryUserId === 'u-ana'), [], 'nobody left to tell: not a problem for an admin');
    assert.equal(await store.get('writebackState', HUB, 'u-ana'), undefined);
    clock.advance(25 * 60 * 60 * 1000);
    graph.control.clearCalls();
    const later = await writeback.run(HUB);
    assert.deepEqual(patches().filter((c) => c.path.endsWith(ANA_OID)), [], 'not tried again');
    assert.deepEqual(later.problems.filter((p) => p.directoryUserId === 'u-ana'), []);
    // Someone still in the directory whom Entra does not know stays a problem the admin sees.
    assert.deepEqual(later.problems.map((p) => [p.directoryUserId, p.kind]), [['u-gone', 'not-found']]);
  } finally {
    await server.close();
  }
});

test('entra: after extensionAppId moves to another app registration, every value is written to the new extensions', async () => {
  const NEW_APP = 'f0f0f0f0-1234-5678-9abc-def012345678';
  const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId }, { appId: NEW_APP }], users: [{ id: ANA_OID, userPrincipalName: 'ana@contoso.com' }] });
  const server = await graph.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@contoso.com', { externalId: ANA_OID })], [{ id: 'm-ana', email: 'ana@contoso.com', role: 'ADMIN' }]);
    await createWriteback({ config: writebackConfig({ graph: server.url }), store, log: capturingLog(), clock: movableClock() }).run(HUB);
    const moved = writebackConfig({ graph: server.url });
    (moved.file.identityProviders.entra as { extensionAppId: string }).extensionAppId = NEW_APP;
    const report = await createWriteback({ config: moved, store, log: capturingLog(), clock: movableClock() }).run(HUB);
    const newExt = (field: string) => `extension_${NEW_APP.replace(/-/g, '')}_hubwarden_ads_eu_${field}`;
    const ana = graph.state().users.find((u) => u.id === ANA_OID)!;
    assert.equal(ana[newExt('status')], 'onboarded', 'the new attribute carries the standing');
    assert.equal(ana[newExt('role')], 'ADMIN');
    assert.equal(report.written, 1);
  } finally {
    await server.close();
  }
});

test('entra: an extension deleted after it was ensured is registered again on the next run, and the people refused for it are written then', async () => {
  const { graph, server, store, make, patches } = await setup();
  try {
    const writeback = make();
    await writeback.run(HUB);
    graph.control.deleteExtension(ext('role')); // an admin removes it; this process ensured it already
    await setMemberRole(store, HUB, 'm-ana', 'EMPLOYEE');
    const refused = await writeback.run(HUB);
    assert.deepEqual(refused.problems.filter((p) => p.directoryUserId === 'u-ana').map((p) => p.kind), ['rejected']);

    graph.control.clearCalls();
    const next = await writeback.run(HUB);
    assert.deepEqual(graph.calls.filter((c) => c.method === 'POST' && c.path.includes('extensionProperties')).map((c) => (c.body as { name: string }).name), ['hubwarden_ads_eu_role']);
    assert.deepEqual(patches().map((c) => c.body), [{ [ext('role')]: 'EMPLOYEE' }]);
    assert.equal(next.written, 1);
    assert.equal(graph.state().users.find((u) => u.id === ANA_OID)![ext('role')], 'EMPLOYEE');
    assert.equal((await store.get('writebackState', HUB, 'u-ana'))!.problem, undefined);
  } finally {
    await server.close();
  }
});

// Attributes are ensured for every hub on an IdP at once; Graph refuses an extension whose name it
// cannot take (https://learn.microsoft.com/graph/api/application-post-extensionproperty answers 400).
// That refusal belongs to that hub: the other hubs on the IdP are still written back.
test('entra: one hub\'s attributes refused: the other hubs on the IdP are written back, the refused hub\'s run reports it', async () => {
  const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId, objectId: 'ext-app-object' }], users: [{ id: ANA_OID, userPrincipalName: 'ana@contoso.com' }] });
  const server = await graph.listen();
  const LONG = `long-${'x'.repeat(90)}`;
  try {
    const config = parseConfig(JSON.stringify({
      identityProviders: { entra: { kind: 'entra', ...ENTRA, clientSecret: 'env:ENTRA_SECRET', graphBaseUrl: server.url, authorityUrl: server.url } },
      hubs: [LONG, HUB].map((id, n) => ({ id, connector: 'meta-business', identityProvider: 'entra', meta: { businessId: `100${n}` } })),
    }), '/tmp/hubwarden-writeback-test.yaml', { ENTRA_SECRET: ENTRA.clientSecret });
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@contoso.com', { externalId: ANA_OID })], [{ id: 'm-ana', email: 'ana@contoso.com', role: 'ADMIN' }]);
    const writeback = createWriteback({ config, store, log: capturingLog(), clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } });
    const report = await writeback.run(HUB);
    assert.equal(report.written, 1);
    assert.equal(graph.state().users.find((u) => u.id === ANA_OID)![ext('status')], 'onboarded');
    await assert.rejects(writeback.run(LONG), (err: Error) => /ExtensionProperty/.test(err.message), 'the refused hub\'s own run says why');
    // The refusal is asked again on the refused hub's next run, not cached; the good hub is not held up.
    graph.control.clearCalls();
    await writeback.run(HUB);
    assert.equal(graph.calls.filter((c) => c.method === 'PATCH').length, 0, 'nothing changed for the good hub');
  } finally {
    await server.close();
  }
});

// Graph pages collections server-side (https://learn.microsoft.com/graph/paging): the extensions
// already registered may sit on a later page of the list, behind @odata.nextLink.
test('entra: extensions listed across pages (@odata.nextLink) are found; none is created again', async () => {
  const { graph, server, make, patches } = await setup();
  try {
    await make().ensureSchema(); // registered by an earlier process
    graph.control.setPageSize(2);
    graph.control.clearCalls();
    const report = await make().run(HUB);
    const extCalls = graph.calls.filter((c) => c.path.includes('extensionProperties'));
    assert.deepEqual(extCalls.map((c) => [c.method, c.status]), [['GET', 200], ['GET', 200]], 'two pages read, nothing created');
    assert.equal(report.written, 2);
    assert.equal(patches().length, 3);
  } finally {
    await server.close();
  }
});

test('entra: a nextLink is followed only on the configured Graph host (the bearer token goes with every request)', () => {
  const { client } = createGraphClient({ tenantId: 't', clientId: 'c', clientSecret: () => 's', graphBaseUrl: 'https://graph.microsoft.com', authorityUrl: 'https://login.microsoftonline.com' });
  assert.throws(() => nextPageRequest(client, 'https://graph.microsoft.com', 'https://graph.microsoft.com.evil.example/v1.0/applications/x/extensionProperties?$skiptoken=a', 'list'), /refused to follow/);
  assert.throws(() => nextPageRequest(client, 'https://graph.microsoft.com', 'http://graph.microsoft.com/v1.0/x', 'list'), /refused to follow/);
  assert.doesNotThrow(() => nextPageRequest(client, 'https://graph.microsoft.com/', 'https://graph.microsoft.com/v1.0/applications/x/extensionProperties?$skiptoken=a', 'list'));
});

test('entra: a UPN reissued to a new hire is not told the departed holder\'s "removed"; the new hire keeps their own standing', async () => {
  const { graph, server, store, make, patches } = await setup();
  try {
    const writeback = make();
    await writeback.run(HUB);
    // Bo is hard-deleted in Entra (SCIM DELETE), and a new hire is given the same UPN; Entra
    // provisions them as a new directory user (externalId mapped to the object id), matched to an
    // app member.
    graph.control.removeUser('bo@contoso.com');
    const newBo = graph.control.addUser({ userPrincipalName: 'bo@contoso.com' });
    await store.transact((tx) => {
      tx.delete('directoryUsers', HUB, 'u-bo');
      tx.put('directoryUsers', HUB, 'u-bo2', directoryUser(HUB, 'u-bo2', 'bo@contoso.com', { externalId: newBo }));
      tx.put('appMembers', HUB, 'm-bo2', { hubId: HUB, id: 'm-bo2', email: 'bo@contoso.com', role: 'EMPLOYEE', firstSeenAt: '2026-11-20T10:00:00.000Z', lastSeenAt: '2026-11-20T10:00:00.000Z' });
    });
    graph.control.clearCalls();
    const report = await writeback.run(HUB);
    const toBo = patches().filter((c) => decodeURIComponent(c.path).endsWith('/users/bo@contoso.com') || c.path.endsWith(newBo));
    assert.deepEqual(toBo.map((c) => (c.body as Record<string, unknown>)[ext('status')]), ['onboarded'], 'only the new hire\'s own standing goes to them');
    const held = graph.state().users.find((u) => u.id === newBo)!;
    assert.equal(held[ext('status')], 'onboarded');
    assert.equal(held[ext('role')], 'EMPLOYEE');
    assert.equal(await store.get('writebackState', HUB, 'u-bo'), undefined, 'the departed holder is forgotten');
    assert.deepEqual(report.problems.map((p) => p.directoryUserId), ['u-gone'], 'no problem for the departed holder');
    const audit = (await collect(store.list('audit', HUB))).filter((a: any) => a.subject?.directoryUserId === 'u-bo' && a.outcome === 'skipped');
    assert.equal(audit.length, 1, 'the skipped "removed" is audited');
    assert.match(String((audit[0] as any).why), /u-bo2/);
  } finally {
    await server.close();
  }
});

test('entra: an extension of our name registered with another type makes the hub\'s attributes fail, saying so, not every person refused on every run', async () => {
  const { graph, server, make, patches } = await setup();
  try {
    graph.control.addExtension(ENTRA.extensionAppId, { name: 'hubwarden_ads_eu_status', dataType: 'Boolean', targetObjects: ['User'] });
    await assert.rejects(make().run(HUB), (err: Error) => /hubwarden_ads_eu_status.*registered as Boolean.*delete it/.test(err.message));
    assert.equal(patches().length, 0, 'no person is sent a value the extension cannot hold');
    graph.control.deleteExtension(ext('status'));
    const report = await make().run(HUB);
    assert.equal(report.written, 2, 'registered again as a String once an admin deleted it');
    assert.equal(graph.state().users.find((u) => u.id === ANA_OID)![ext('status')], 'onboarded');
  } finally {
    await server.close();
  }
});

test('entra: every update refused as not permitted (User.ReadWrite.All not consented) stops the run; once granted, everyone is written on the next run, not a day later', async () => {
  const people = Array.from({ length: 14 }, (_, i) => ({ id: `0b0b0b0b-1111-2222-3333-${String(i).padStart(12, '0')}`, upn: `p${i}@contoso.com` }));
  const graph = createGraphEmulator({ ...ENTRA, roles: ['Application.ReadWrite.OwnedBy'], applications: [{ appId: ENTRA.extensionAppId }], users: people.map((p) => ({ id: p.id, userPrincipalName: p.upn })) });
  const server = await graph.listen();
  try {
    const store = await seededStore(HUB, people.map((p, i) => directoryUser(HUB, `u-${i}`, p.upn, { externalId: p.id })), []);
    const writeback = createWriteback({ config: writebackConfig({ graph: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { concurrency: 1, entra: { maxRetries: 0, delaySeconds: 0 } } });
    const refused = await writeback.run(HUB);
    assert.match(refused.stopped ?? '', /not permitted.*User\.ReadWrite\.All/);
    assert.equal(graph.calls.filter((c) => c.method === 'PATCH').length, 10, 'stopped after 10 refusals, not one per person');
    assert.equal(refused.written + refused.failed, 14);
    graph.control.setRoles(['Application.ReadWrite.OwnedBy', 'User.ReadWrite.All']);
    const granted = await writeback.run(HUB);
    assert.equal(granted.stopped, undefined);
    assert.equal(granted.written, 14, 'the people refused for the missing permission are not held back a day');
    assert.ok(graph.state().users.every((u) => u[ext('status')] === 'pending'));
  } finally {
    await server.close();
  }
});

test('entra: a deprovisioned user whose object id is gone (deleted in Entra) is not written through a UPN reissued to someone else', async () => {
  const { graph, server, store, make, patches } = await setup();
  try {
    const writeback = make();
    await writeback.run(HUB);
    // Ana is deleted in Entra (soft delete: SCIM PATCH active=false; her object id now 404s) and
    // her UPN is given to a new hire the provisioning cycle has not pushed yet.
    await store.transact(async (tx) => tx.put('directoryUsers', HUB, 'u-ana', { ...(await tx.get('directoryUsers', HUB, 'u-ana'))!, active: false }));
    graph.control.removeUser(ANA_OID);
    const newAna = graph.control.addUser({ userPrincipalName: 'ana@contoso.com' });
    graph.control.clearCalls();
    const report = await writeback.run(HUB);
    assert.deepEqual(patches().map((c) => decodeURIComponent(c.path)).filter((p) => p.endsWith('/users/ana@contoso.com')), [], 'nothing sent to the UPN');
    const held = graph.state().users.find((u) => u.id === newAna)!;
    assert.equal(held[ext('status')], undefined, 'the new hire is not written the departed holder\'s standing');
    assert.ok(report.problems.some((p) => p.directoryUserId === 'u-ana' && p.kind === 'not-found'), JSON.stringify(report.problems));
  } finally {
    await server.close();
  }
});
