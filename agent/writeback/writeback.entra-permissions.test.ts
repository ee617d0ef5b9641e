import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, EXT_PREFIX, movableClock, seededStore, writebackConfig } from './writeback-fixtures.ts';

/**
 * Graph's 403 says "Insufficient privileges to complete the operation." and names no permission
 * (https://learn.microsoft.com/graph/errors). The application permissions are in the access token's
 * `roles`, fixed when it is issued: one granted after a refusal counts only with a new token.
 */
const HUB = 'ads-eu';
const ANA = { id: '0c0c0c0c-1111-2222-3333-444444444444', userPrincipalName: 'ana@contoso.com' };

async function setup(roles: string[]) {
  const graph = createGraphEmulator({ ...ENTRA, roles, applications: [{ appId: ENTRA.extensionAppId }], users: [ANA] });
  const server = await graph.listen();
  const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', ANA.userPrincipalName, { externalId: ANA.id })], []);
  const writeback = createWriteback({ config: writebackConfig({ graph: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } });
  return { graph, server, writeback };
}

test('entra: extensions refused as not permitted name the permission; once it is granted, the next run registers them and writes (a new token, not the cached one)', async () => {
  const { graph, server, writeback } = await setup(['User.ReadWrite.All']);
  try {
    await assert.rejects(writeback.run(HUB), (err: Error) => /HTTP 403/.test(err.message) && /Application\.ReadWrite\.OwnedBy/.test(err.message) && err.message.includes(`owner of app registration ${ENTRA.extensionAppId}`));
    assert.equal(graph.state().applications[0]!.extensionProperties.length, 0);
    graph.control.setRoles(['User.ReadWrite.All', 'Application.ReadWrite.OwnedBy']);
    const report = await writeback.run(HUB);
    assert.equal(report.written, 1, 'granted: written on the next run, not an hour later when the cached token lapses');
    assert.equal(graph.state().users[0]![`${EXT_PREFIX}hubwarden_ads_eu_status`], 'pending');
  } finally {
    await server.close();
  }
});

test('entra: a person refused as not permitted in a hub too small to stop the run is told which permission the app needs', async () => {
  const { graph, server, writeback } = await setup(['Application.ReadWrite.OwnedBy']);
  try {
    const report = await writeback.run(HUB);
    assert.equal(report.stopped, undefined);
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0]!.kind, 'permission-denied');
    assert.match(report.problems[0]!.message, /HTTP 403.*User\.ReadWrite\.All application permission/);
    assert.equal(graph.calls.filter((c) => c.method === 'PATCH').length, 1);
  } finally {
    await server.close();
  }
});
