/**
 * An identity provider's token endpoint that is down (503) is not a refused credential: the run
 * stops (no call can go out without a token), as `unavailable`, and its stop reason says the token
 * endpoint was unavailable and that it is tried again at the next run. Before, Entra's was
 * `unauthenticated` ("client-credentials token" in the message was enough), and the report and
 * audit sent the admin to rotate a client secret that was fine. A refusal stays `unauthenticated`.
 * Entra through the real @microsoft/microsoft-graph-client and the Graph emulator; Okta through
 * the real @okta/okta-sdk-nodejs in private-key mode and the Okta emulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { parseConfig } from '../../config/load.ts';
import { collect } from '../store/store.ts';
import { createEntraTarget } from './entra-target.ts';
import { TokenBucket } from './pacing.ts';
import { classifyFailure } from './problem-of.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, movableClock, seededStore, writebackConfig } from './writeback-fixtures.ts';

const ENTRA_HUB = 'ads-eu';
const ANA_OID = '0a0a0a0a-1111-2222-3333-444444444444';

async function entraSetup() {
  const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId, objectId: 'ext-app-object' }], users: [{ id: ANA_OID, userPrincipalName: 'ana@contoso.com' }] });
  const server = await graph.listen();
  const store = await seededStore(ENTRA_HUB, [directoryUser(ENTRA_HUB, 'u-ana', 'ana@contoso.com', { externalId: ANA_OID })], [{ id: 'm-ana', email: 'ana@contoso.com', role: 'ADMIN' }]);
  const log = capturingLog();
  const config = writebackConfig({ graph: server.url });
  const writeback = createWriteback({ config, store, log, clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } });
  return { graph, server, store, log, config, writeback };
}

test('entra: a token endpoint answering 503 stops the run as unavailable, not as refused credentials; the next run writes', async () => {
  const { graph, server, store, log, writeback } = await entraSetup();
  try {
    graph.control.tokenUnavailable();
    let failure: any;
    await assert.rejects(writeback.run(ENTRA_HUB), (err: any) => { failure = err; return true; });
    assert.equal(failure.kind, 'unavailable', `kind: ${failure.kind} (${failure.message})`);
    assert.match(failure.message, /the identity provider's token endpoint was unavailable \(.*HTTP 503\)/);
    assert.match(failure.message, /tried again at the next run/);
    assert.deepEqual(classifyFailure(failure), { stopRun: true });
    assert.equal(graph.calls.filter((c) => c.method === 'PATCH').length, 0, 'nothing sent without a token');
    assert.ok(!JSON.stringify([failure.message, log.lines]).includes(ENTRA.clientSecret));

    graph.control.tokenUnavailable(0);
    const report = await writeback.run(ENTRA_HUB);
    assert.equal(report.written, 1);
    assert.equal((await store.get('writebackState', ENTRA_HUB, 'u-ana'))!.written?.status, 'onboarded');
  } finally {
    await server.close();
  }
});

test('entra: an update whose token request meets a 503 stops the run (unavailable); a refused secret stays unauthenticated', async () => {
  const { graph, server, config } = await entraSetup();
  try {
    const provider = config.file.identityProviders.entra as Parameters<typeof createEntraTarget>[1];
    const clock = movableClock();
    const target = () => createEntraTarget('entra', provider, (ref) => config.secret(ref).reveal(), { bucket: new TokenBucket(100, 100, clock), retry: { maxRetries: 0, delaySeconds: 0 } });
    graph.control.tokenUnavailable(1);
    let down: any;
    await assert.rejects(target().update(ANA_OID, ENTRA_HUB, { status: 'onboarded' }), (err: any) => { down = err; return true; });
    assert.equal(down.kind, 'unavailable', `kind: ${down.kind} (${down.message})`);
    assert.match(down.message, /token endpoint was unavailable/);
    assert.equal(down.notApplied, true, 'never sent');
    assert.deepEqual(classifyFailure(down), { stopRun: true }, 'the run stops rather than fail each person');

    graph.control.echoCredentials(true); // 401 invalid_client: a refusal
    let refused: any;
    await assert.rejects(target().update(ANA_OID, ENTRA_HUB, { status: 'onboarded' }), (err: any) => { refused = err; return true; });
    assert.equal(refused.kind, 'unauthenticated');
    assert.doesNotMatch(refused.message, /unavailable/);
    assert.deepEqual(classifyFailure(refused), { stopRun: true });
  } finally {
    await server.close();
  }
});

const OKTA_HUB = 'meta-main';
const CLIENT_ID = '0oa1servicehubwarden';
const SCOPES = ['okta.users.manage', 'okta.schemas.manage'];
const PEOPLE = Array.from({ length: 4 }, (_, i) => ({ id: `00utokendown${String(i).padStart(8, '0')}`, login: `p${i}@example.com` }));

test('okta private-key mode: a token endpoint answering 503 mid-run stops the run as unavailable, audited so, not as a refused key', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const okta = createOktaEmulator({ serviceApp: { clientId: CLIENT_ID, publicKey, scopes: SCOPES }, users: PEOPLE });
  const server = await okta.listen();
  try {
    const config = parseConfig(JSON.stringify({
      identityProviders: { okta: { kind: 'okta', orgUrl: server.url, clientId: CLIENT_ID, privateKey: 'env:OKTA_KEY' } },
      hubs: [{ id: OKTA_HUB, connector: 'meta-business', identityProvider: 'okta', meta: { businessId: '1001' } }],
    }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const store = await seededStore(OKTA_HUB, PEOPLE.map((p, i) => directoryUser(OKTA_HUB, `u-${i}`, p.login, { externalId: p.id })), []);
    const writeback = createWriteback({ config, store, log: capturingLog(), clock: movableClock(), tuning: { concurrency: 1, okta: { maxRetries: 0, resetMarginMs: 0 } } });
    await writeback.ensureSchema();
    // The access token already issued stops working (Okta answers 401); the SDK asks for a new one, and the endpoint is down.
    okta.control.setServiceApp({ clientId: CLIENT_ID, publicKey, scopes: SCOPES });
    okta.control.tokenUnavailable();
    const report = await writeback.run(OKTA_HUB);
    assert.ok(report.stopped, `the run stopped: ${JSON.stringify({ ...report, problems: undefined })}`);
    assert.match(report.stopped, /the identity provider's token endpoint was unavailable \(HTTP 503\)/);
    assert.match(report.stopped, /tried again at the next run/);
    assert.equal(report.failed, PEOPLE.length, 'nobody was written; the run did not go on person by person');
    assert.equal(report.problems.length, 0, 'nobody is blamed');
    const tokenAsks = okta.calls.filter((c) => c.path === '/oauth2/v1/token').length;
    assert.ok(tokenAsks <= 2, `the run stopped at the first person rather than asking for a token for each (${tokenAsks} token requests)`);
    const audit = await collect(store.list('audit', OKTA_HUB));
    const failed = audit.filter((a: any) => a.action === 'writeback.update' && a.outcome === 'failed');
    assert.equal(failed.length, 1);
    assert.match(failed[0]!.why, /token endpoint was unavailable/);

    okta.control.tokenUnavailable(0);
    const next = await writeback.run(OKTA_HUB);
    assert.equal(next.written, PEOPLE.length);
  } finally {
    await server.close();
  }
});
