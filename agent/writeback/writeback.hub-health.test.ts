import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { parseConfig } from '../../config/load.ts';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { hubHealth } from '../health/hub-health.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, movableClock, seededStore, writebackConfig } from './writeback-fixtures.ts';
import '../app-state/records.ts';
import '../check-for-updates/check-run.ts';

/**
 * A hub whose write-back fails as a whole (the app lacks the permission the IdP needs, the IdP is
 * unreachable) shows it in hub health, naming the cause in fixed words, until a run goes through;
 * a person the IdP refuses alone does not make the hub degraded.
 */
const ENTRA_HUB = 'ads-eu';
const OKTA_HUB = 'meta-main';
const ANA = { id: '0c0c0c0c-1111-2222-3333-444444444444', userPrincipalName: 'ana@contoso.com' };

/** A hub healthy but for write-back: a complete check for updates, just done. */
async function checkedHub(store: MemoryStore, hubId: string): Promise<void> {
  const at = new Date().toISOString();
  await store.transact((tx) => {
    tx.put('appImports', hubId, hubId, { hubId, id: hubId, complete: true, completedAt: at });
    tx.put('checkRuns', hubId, 'r1', { hubId, id: 'r1', trigger: { type: 'schedule' }, startedAt: at, finishedAt: at, durationMs: 1, outcome: 'completed', graphCalls: 1 });
  });
}

const health = (store: MemoryStore, hubId: string) => hubHealth(store, hubId, new Date());
const writebackLines = (problems: string[]) => problems.filter((p) => p.startsWith('write-back to '));

async function entra(roles: string[]) {
  const graph = createGraphEmulator({ ...ENTRA, roles, applications: [{ appId: ENTRA.extensionAppId }], users: [ANA] });
  const server = await graph.listen();
  const store = await seededStore(ENTRA_HUB, [directoryUser(ENTRA_HUB, 'u-ana', ANA.userPrincipalName, { externalId: ANA.id })], []);
  await checkedHub(store, ENTRA_HUB);
  const writeback = createWriteback({ config: writebackConfig({ graph: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } });
  return { graph, server, store, writeback };
}

test('entra: attributes refused as not permitted make the hub degraded, naming the permission; the next successful run clears it', async () => {
  const { graph, server, store, writeback } = await entra(['User.ReadWrite.All']);
  try {
    assert.equal((await health(store, ENTRA_HUB)).status, 'ok');
    await assert.rejects(writeback.run(ENTRA_HUB), /HTTP 403/);
    const failed = await health(store, ENTRA_HUB);
    assert.equal(failed.status, 'degraded');
    const [line, ...more] = writebackLines(failed.problems);
    assert.equal(more.length, 0);
    assert.match(line ?? '', /^write-back to entra failing since \S+ \(last failed run \S+\): Microsoft Graph refused the hub's directory extensions as not permitted: the app needs the Application\.ReadWrite\.OwnedBy application permission/);
    // Fixed words, not Graph's error body.
    assert.doesNotMatch(line!, /Insufficient privileges|Authorization_RequestDenied|HTTP 403/);

    // Failing again: still failing since the first run.
    const since = /failing since (\S+)/.exec(line!)![1];
    await assert.rejects(writeback.run(ENTRA_HUB), /HTTP 403/);
    assert.match(writebackLines((await health(store, ENTRA_HUB)).problems)[0] ?? '', new RegExp(`failing since ${since!.replace(/\./g, '\\.')} `));

    graph.control.setRoles(['User.ReadWrite.All', 'Application.ReadWrite.OwnedBy']);
    assert.equal((await writeback.run(ENTRA_HUB)).written, 1);
    const cleared = await health(store, ENTRA_HUB);
    assert.deepEqual(cleared.problems, []);
    assert.equal(cleared.status, 'ok');
  } finally {
    await server.close();
  }
});

test('entra: one person refused as not permitted is that person\'s problem, not the hub\'s: a run that goes through everyone clears the hub\'s', async () => {
  const { graph, server, store, writeback } = await entra([]);
  try {
    await assert.rejects(writeback.run(ENTRA_HUB), /HTTP 403/);
    assert.equal((await health(store, ENTRA_HUB)).status, 'degraded');
    // The extensions may be made now; the one person's update is still refused (Graph gives the
    // same 403 for a privileged admin the app may not change).
    graph.control.setRoles(['Application.ReadWrite.OwnedBy']);
    const report = await writeback.run(ENTRA_HUB);
    assert.equal(report.stopped, undefined);
    assert.equal(report.problems[0]?.kind, 'permission-denied');
    const h = await health(store, ENTRA_HUB);
    assert.deepEqual(h.problems, []);
    assert.equal(h.status, 'ok');
  } finally {
    await server.close();
  }
});

test('entra: updates refused as not permitted until the run stops name User.ReadWrite.All', async () => {
  const users = Array.from({ length: 12 }, (_, i) => ({ id: `0c0c0c0c-1111-2222-3333-4444444444${String(i).padStart(2, '0')}`, userPrincipalName: `u${i}@contoso.com` }));
  const graph = createGraphEmulator({ ...ENTRA, roles: ['Application.ReadWrite.OwnedBy'], applications: [{ appId: ENTRA.extensionAppId }], users });
  const server = await graph.listen();
  try {
    const store = await seededStore(ENTRA_HUB, users.map((u, i) => directoryUser(ENTRA_HUB, `u-${i}`, u.userPrincipalName, { externalId: u.id })), []);
    await checkedHub(store, ENTRA_HUB);
    const writeback = createWriteback({ config: writebackConfig({ graph: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 }, concurrency: 1 } });
    assert.match((await writeback.run(ENTRA_HUB)).stopped ?? '', /not permitted/);
    const [line] = writebackLines((await health(store, ENTRA_HUB)).problems);
    assert.match(line ?? '', /: Microsoft Graph refused user updates as not permitted: the app needs the User\.ReadWrite\.All application permission \(admin-consented\)$/);
    graph.control.setRoles(['Application.ReadWrite.OwnedBy', 'User.ReadWrite.All']);
    assert.equal((await writeback.run(ENTRA_HUB)).written, 12);
    assert.deepEqual((await health(store, ENTRA_HUB)).problems, []);
  } finally {
    await server.close();
  }
});

test('entra: a token endpoint down is shown as the identity provider unreachable, never the error body', async () => {
  const { graph, server, store, writeback } = await entra(['User.ReadWrite.All', 'Application.ReadWrite.OwnedBy']);
  try {
    graph.control.tokenUnavailable();
    await assert.rejects(writeback.run(ENTRA_HUB));
    const [line] = writebackLines((await health(store, ENTRA_HUB)).problems);
    assert.match(line ?? '', /: identity provider unreachable \(/);
    graph.control.tokenUnavailable(0);
    await writeback.run(ENTRA_HUB);
    assert.deepEqual((await health(store, ENTRA_HUB)).problems, []);
  } finally {
    await server.close();
  }
});

test('okta: a service app missing a scope makes the hub degraded, naming the scopes', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientId = '0oa1servicehubwarden';
  const okta = createOktaEmulator({ serviceApp: { clientId, publicKey, scopes: ['okta.users.manage'] }, users: [{ id: '00uana00000000000001', login: 'ana@example.com' }] });
  const server = await okta.listen();
  try {
    const config = parseConfig(JSON.stringify({
      identityProviders: { okta: { kind: 'okta', orgUrl: server.url, clientId, privateKey: 'env:OKTA_KEY' } },
      hubs: [{ id: OKTA_HUB, connector: 'meta-business', identityProvider: 'okta', meta: { businessId: '1001' } }],
    }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const store = await seededStore(OKTA_HUB, [directoryUser(OKTA_HUB, 'u-ana', 'ana@example.com', { externalId: '00uana00000000000001' })], []);
    await checkedHub(store, OKTA_HUB);
    const writeback = createWriteback({ config, store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
    await assert.rejects(writeback.run(OKTA_HUB), /invalid_scope/);
    const h = await health(store, OKTA_HUB);
    assert.equal(h.status, 'degraded');
    const [line] = writebackLines(h.problems);
    assert.match(line ?? '', /^write-back to okta failing since .*: Okta refused the access token request: the service app needs the okta\.users\.manage and okta\.schemas\.manage scopes granted$/);
    assert.doesNotMatch(line!, /invalid_scope|not granted|oauth2/);

    okta.control.setServiceApp({ clientId, publicKey, scopes: ['okta.users.manage', 'okta.schemas.manage'] });
    assert.equal((await writeback.run(OKTA_HUB)).written, 1);
    assert.deepEqual((await health(store, OKTA_HUB)).problems, []);
  } finally {
    await server.close();
  }
});
