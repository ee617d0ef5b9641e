import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { parseConfig } from '../../config/load.ts';
import { collect } from '../store/store.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, movableClock, seededStore } from './writeback-fixtures.ts';

/**
 * Okta write-back in private-key mode (an OAuth service app, https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/):
 * when the token request fails, the error names the token request, its HTTP status and the OAuth
 * error (RFC 6749 §5.2), never the key or a token, and stops the run instead of blaming each person.
 */
const HUB = 'meta-main';
const CLIENT_ID = '0oa1servicehubwarden';
const SCOPES = ['okta.users.manage', 'okta.schemas.manage'];
const ANA = '00uana00000000000001';
const BO = '00ubo000000000000001';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
}

async function setup(scopes = SCOPES) {
  const key = keyPair();
  const okta = createOktaEmulator({
    serviceApp: { clientId: CLIENT_ID, publicKey: key.publicKey, scopes },
    users: [{ id: ANA, login: 'ana@example.com' }, { id: BO, login: 'bo@example.com' }],
  });
  const server = await okta.listen();
  const config = parseConfig(JSON.stringify({
    identityProviders: { okta: { kind: 'okta', orgUrl: server.url, clientId: CLIENT_ID, privateKey: 'env:OKTA_KEY' } },
    hubs: [{ id: HUB, connector: 'meta-business', identityProvider: 'okta', meta: { businessId: '1001' } }],
  }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_KEY: key.pem });
  const store = await seededStore(HUB, [
    directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ANA }),
    directoryUser(HUB, 'u-bo', 'bo@example.com', { externalId: BO }),
  ], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }, { id: 'm-bo', email: 'bo@example.com', role: 'EMPLOYEE' }]);
  const log = capturingLog();
  const writeback = createWriteback({ config, store, log, clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
  return { okta, server, store, log, writeback, key };
}

const keyBody = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');

function assertNoSecret(texts: string[], pem: string) {
  const body = keyBody(pem);
  for (const text of texts) {
    for (let i = 0; i + 24 <= body.length; i += 24) assert.ok(!text.includes(body.slice(i, i + 24)), `key material leaked: ${text}`);
    assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\./, `a JWT leaked: ${text}`);
  }
}

test('okta private-key mode: writes with an access token from the service app', async () => {
  const { okta, server, writeback } = await setup();
  try {
    const report = await writeback.run(HUB);
    assert.equal(report.written, 2);
    assert.ok(okta.calls.some((c) => c.method === 'POST' && c.path === '/oauth2/v1/token'));
  } finally {
    await server.close();
  }
});

test('okta private-key mode: a refused token request says so, with its status and OAuth error, and never the key', async () => {
  const { okta, server, log, writeback, key } = await setup();
  try {
    okta.control.setServiceApp({ clientId: CLIENT_ID, publicKey: keyPair().publicKey, scopes: SCOPES }); // the app's key was rotated in Okta
    let message = '';
    await assert.rejects(writeback.run(HUB), (e: any) => {
      message = e.message;
      return e.kind === 'unauthenticated';
    });
    assert.match(message, /access token request to \S+\/oauth2\/v1\/token failed: HTTP 401 invalid_client: The client_assertion signature is invalid\./);
    assert.doesNotMatch(message, /undefined/);
    assertNoSecret([message, JSON.stringify(log.lines)], key.pem);
  } finally {
    await server.close();
  }
});

test('okta private-key mode: scopes revoked mid-way stop the run (a credential problem), not a per-person rejection', async () => {
  const { okta, server, store, log, writeback, key } = await setup();
  try {
    await writeback.run(HUB); // schema ensured, both written
    await store.transact(async (tx) => {
      for (const id of ['m-ana', 'm-bo']) tx.put('appMembers', HUB, id, { ...(await tx.get('appMembers', HUB, id))!, role: 'ADMIN' });
    });
    okta.control.setServiceApp({ clientId: CLIENT_ID, publicKey: key.publicKey, scopes: ['okta.schemas.manage'] });
    const report = await writeback.run(HUB);
    assert.deepEqual(report.problems, [], 'no person is blamed for the credential');
    assert.match(report.note ?? '', /^stopped: .*access token request .* failed: HTTP 400 invalid_scope: The following scopes were requested, but not granted: okta\.users\.manage/);
    assert.ok((await collect(store.list('writebackState', HUB))).every((s) => !s.problem), 'nothing recorded against a person');
    assertNoSecret([report.note ?? '', JSON.stringify(log.lines)], key.pem);
  } finally {
    await server.close();
  }
});
