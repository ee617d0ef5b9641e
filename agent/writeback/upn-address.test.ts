/**
 * Users addressed by userPrincipalName (write-back's `PATCH /users/{id | userPrincipalName}`,
 * https://learn.microsoft.com/graph/api/user-update) through the real
 * @microsoft/microsoft-graph-client, against the Graph emulator. A UPN beginning with `$` fails as
 * `/users/$x@y.com` (400) and is written `/users('$x@y.com')` (Graph "Get user",
 * https://learn.microsoft.com/graph/api/user-get); any UPN is percent-encoded, so `#`, `/` and `?`
 * stay in its one segment, and a single quote in the parenthesised form is doubled (OData).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { graphUserPath } from './entra-target.ts';
import { createWriteback } from './writeback.ts';
import { startStrictGraph } from './strict-graph.test-double.ts';
import { capturingLog, directoryUser, ENTRA, EXT_PREFIX, movableClock, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'ads-eu';
const status = `${EXT_PREFIX}hubwarden_ads_eu_status`;
const UPNS = ['$AdeleVance@contoso.com', "$o'brien@contoso.com", 'AdeleVance_adatum.com#EXT#@contoso.com', 'a/b?c@contoso.com', "d'arcy@contoso.com", 'pct%41@contoso.com'];

test('graphUserPath: the documented forms', () => {
  assert.equal(graphUserPath('$AdeleVance@contoso.com'), "/users('$AdeleVance@contoso.com')");
  assert.equal(graphUserPath("$o'brien@contoso.com"), "/users('$o''brien@contoso.com')");
  assert.equal(graphUserPath('$a#b/c?d@contoso.com'), "/users('$a%23b%2Fc%3Fd@contoso.com')");
  assert.equal(graphUserPath('AdeleVance_adatum.com#EXT#@contoso.com'), '/users/AdeleVance_adatum.com%23EXT%23%40contoso.com');
  assert.equal(graphUserPath('0a0a0a0a-1111-2222-3333-444444444444'), '/users/0a0a0a0a-1111-2222-3333-444444444444');
});

test('entra write-back by UPN: a UPN beginning with $, with a quote, #, / or ? is written to that user, and the emulator refuses /users/$…', async () => {
  const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId }], users: UPNS.map((userPrincipalName) => ({ userPrincipalName })) });
  const server = await graph.listen();
  try {
    // Not GUIDs: write-back addresses each by its UPN (docs/writeback.md, "Which IdP user").
    const store = await seededStore(HUB, UPNS.map((upn, i) => directoryUser(HUB, `u-${i}`, upn, { externalId: `nick${i}` })), []);
    const log = capturingLog();
    const run = await createWriteback({ config: writebackConfig({ graph: server.url }), store, log, clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } }).run(HUB);
    assert.equal(run.written, UPNS.length, JSON.stringify(run.problems));
    for (const upn of UPNS) assert.equal(graph.state().users.find((u) => u.userPrincipalName === upn)?.[status], 'pending', upn);
    const patches = graph.calls.filter((c) => c.method === 'PATCH').map((c) => c.path);
    assert.ok(patches.includes("/v1.0/users('$AdeleVance@contoso.com')"), patches.join(' '));
    assert.ok(patches.includes("/v1.0/users('$o''brien@contoso.com')"), patches.join(' '));
    assert.ok(patches.every((p) => !p.startsWith('/v1.0/users/$')), 'never /users/$…');
  } finally {
    await server.close();
  }
  // The emulator as Graph documents it: /users/$x@y.com (percent-encoded or not) is a 400.
  const direct = createGraphEmulator({ ...ENTRA, users: [{ userPrincipalName: '$AdeleVance@contoso.com' }] });
  const s2 = await direct.listen();
  try {
    const token = direct.issueToken({ roles: ['User.ReadWrite.All'] });
    for (const path of ['/v1.0/users/$AdeleVance@contoso.com', '/v1.0/users/%24AdeleVance%40contoso.com']) {
      const res = await fetch(`${s2.url}${path}`, { headers: { authorization: `Bearer ${await token}` } });
      assert.equal(res.status, 400, path);
    }
    const ok = await fetch(`${s2.url}/v1.0/users('$AdeleVance@contoso.com')`, { headers: { authorization: `Bearer ${await token}` } });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json() as { userPrincipalName?: string }).userPrincipalName, '$AdeleVance@contoso.com');
  } finally {
    await s2.close();
  }
});

test('entra write-back by UPN through the strict Graph: a UPN beginning with $ is PATCHed as /users(\'…\'), never /users/$…', async () => {
  const upns = ['$AdeleVance@contoso.com', "$o'brien@contoso.com", 'plain@contoso.com'];
  const graph = await startStrictGraph({
    tenantId: ENTRA.tenantId, clientId: ENTRA.clientId, clientSecret: ENTRA.clientSecret, appId: ENTRA.extensionAppId, appObjectId: 'ext-app-object',
    users: upns.map((userPrincipalName, i) => ({ id: `0a0a0a0a-1111-2222-3333-44444444440${i}`, userPrincipalName })),
  });
  try {
    const store = await seededStore(HUB, upns.map((upn, i) => directoryUser(HUB, `u-${i}`, upn)), []);
    const run = await createWriteback({ config: writebackConfig({ graph: graph.url }), store, log: capturingLog(), clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } }).run(HUB);
    assert.deepEqual(graph.refused, [], 'nothing refused');
    assert.equal(run.written, upns.length, JSON.stringify(run.problems));
    upns.forEach((upn, i) => assert.equal(graph.values.get(`0a0a0a0a-1111-2222-3333-44444444440${i}`)?.[status], 'pending', upn));
    const patches = graph.calls.filter((c) => c.method === 'PATCH').map((c) => c.path);
    assert.ok(patches.includes("/v1.0/users('$AdeleVance@contoso.com')"), patches.join(' '));
    assert.ok(patches.includes("/v1.0/users('$o''brien@contoso.com')"), patches.join(' '));
  } finally {
    await graph.close();
  }
  // The strict Graph refuses the segment form for such a UPN, percent-encoded or not.
  const strict = await startStrictGraph({ tenantId: ENTRA.tenantId, clientId: ENTRA.clientId, clientSecret: ENTRA.clientSecret, appId: ENTRA.extensionAppId, appObjectId: 'ext-app-object', users: [{ id: 'u1', userPrincipalName: '$AdeleVance@contoso.com' }] });
  try {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default', client_id: ENTRA.clientId, client_secret: ENTRA.clientSecret });
    const token = (await (await fetch(`${strict.url}/${ENTRA.tenantId}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).json() as { access_token: string }).access_token;
    for (const path of ['/v1.0/users/$AdeleVance@contoso.com', '/v1.0/users/%24AdeleVance%40contoso.com']) {
      const res = await fetch(`${strict.url}${path}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 400, path);
    }
  } finally {
    await strict.close();
  }
});
