/**
 * Entra base URLs configured as Microsoft writes them elsewhere ([INF], entra-urls.ts): a Graph base
 * with its version (`…/v1.0`), an authority with the tenant (MSAL's "authority"), and a token
 * endpoint the authority names in its OpenID configuration. Write-back and the Lifecycle Workflows
 * resume go through the real @microsoft/microsoft-graph-client all the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { graphResume } from '../../scim-server/hooks/graph-resume.ts';
import { jwksUrlOf } from '../../scim-server/hooks/entra-token.ts';
import type { EntraProviderConfig } from '../../config/schema.ts';
import { createGraphClient } from './graph-client.ts';
import { authorityRoot, graphServiceRoot } from './entra-urls.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, movableClock, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'ads-eu';

test('entra: graphBaseUrl ending in /v1.0 and authorityUrl naming the tenant: everyone written (extension list paged), and a Lifecycle Workflows run resumed, at /v1.0 once', async () => {
  const users = [{ id: '0a0a0a0a-1111-2222-3333-444444444444', userPrincipalName: 'ana@contoso.com' }, { id: '0b0b0b0b-1111-2222-3333-444444444444', userPrincipalName: 'bo@contoso.com' }];
  const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId }], users });
  const server = await graph.listen();
  try {
    graph.control.setPageSize(1);
    const store = await seededStore(HUB, users.map((u, i) => directoryUser(HUB, `u-${i}`, u.userPrincipalName, { externalId: u.id })), [{ id: 'm-ana', email: 'ana@contoso.com', role: 'ADMIN' }]);
    const config = writebackConfig({ graph: server.url });
    Object.assign(config.file.identityProviders.entra!, { graphBaseUrl: `${server.url}/v1.0/`, authorityUrl: `${server.url}/${ENTRA.tenantId}` });
    const log = capturingLog();
    const first = await createWriteback({ config, store, log, clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } }).run(HUB);
    assert.equal(first.written, 2, `${first.note ?? ''} ${JSON.stringify(first.problems)}`);
    // A second process reads the four extensions back over four pages (nextLink under the same base).
    graph.control.clearCalls();
    await createWriteback({ config, store, log, clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } }).ensureSchema();
    const listed = graph.calls.filter((c) => c.path.endsWith('/extensionProperties'));
    assert.deepEqual(listed.map((c) => `${c.method} ${c.status}`), ['GET 200', 'GET 200', 'GET 200', 'GET 200']);
    assert.ok(graph.calls.every((c) => !c.path.includes('/v1.0/v1.0/')), graph.calls.map((c) => c.path).join(' '));

    await graphResume(config, { maxRetries: 0 })('entra', { workflowId: 'wf-1', taskId: 'task-1', taskProcessingResultId: 'tpr-1' }, 'completed');
    assert.deepEqual(graph.resumes.map((r) => [r.version, r.taskProcessingResultId]), [['v1.0', 'tpr-1']]);
    assert.ok(!JSON.stringify(log.lines).includes(ENTRA.clientSecret));
  } finally {
    await server.close();
  }
});

test('entra URLs: only a trailing version or tenant is taken off; the Lifecycle Workflows keys are read under the authority host', () => {
  assert.equal(graphServiceRoot('https://graph.microsoft.com'), 'https://graph.microsoft.com');
  assert.equal(graphServiceRoot('https://graph.microsoft.com/v1.0/'), 'https://graph.microsoft.com');
  assert.equal(graphServiceRoot('https://proxy.example/graph/beta'), 'https://proxy.example/graph');
  assert.equal(graphServiceRoot('https://proxy.example/v1.0x'), 'https://proxy.example/v1.0x');
  assert.equal(authorityRoot('https://login.microsoftonline.com/', ENTRA.tenantId), 'https://login.microsoftonline.com');
  assert.equal(authorityRoot(`https://login.microsoftonline.com/${ENTRA.tenantId.toUpperCase()}/v2.0`, ENTRA.tenantId), 'https://login.microsoftonline.com');
  assert.equal(authorityRoot('https://login.example/other-tenant', ENTRA.tenantId), 'https://login.example/other-tenant');
  const p = { authorityUrl: `https://login.microsoftonline.com/${ENTRA.tenantId}`, tenantId: ENTRA.tenantId } as EntraProviderConfig;
  assert.equal(jwksUrlOf(p), `https://login.microsoftonline.com/${ENTRA.tenantId}/discovery/v2.0/keys`);
});

/** A tiny authority + Graph: the token endpoint lies where its OpenID configuration says, not at /{tenant}/oauth2/v2.0/token. */
async function listen(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { seen.push(`${req.method} ${req.url}`); handler(req, body, res); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

test('entra: a token endpoint not found at /{tenant}/oauth2/v2.0/token is read from the authority\'s OpenID configuration (same origin only), once', async () => {
  const elsewhere = await listen((_req, _body, res) => json(res, 200, { access_token: 'stolen', expires_in: 3600 }));
  let tokenEndpoint = '';
  const idp = await listen((req, body, res) => {
    if (req.url === `/${ENTRA.tenantId}/v2.0/.well-known/openid-configuration`) return json(res, 200, { issuer: 'x', token_endpoint: tokenEndpoint });
    if (req.method === 'POST' && req.url === '/oauth2/token') {
      const form = new URLSearchParams(body);
      if (form.get('client_secret') !== ENTRA.clientSecret || form.get('grant_type') !== 'client_credentials') return json(res, 401, { error: 'invalid_client' });
      return json(res, 200, { token_type: 'Bearer', access_token: 'tok-1', expires_in: 3599 });
    }
    if (req.method === 'PATCH' && req.url?.startsWith('/v1.0/users/')) {
      if (req.headers.authorization !== 'Bearer tok-1') return json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
      res.writeHead(204);
      return res.end();
    }
    json(res, 404, { error: 'not_found' });
  });
  try {
    tokenEndpoint = `${idp.url}/oauth2/token`;
    const settings = { tenantId: ENTRA.tenantId, clientId: ENTRA.clientId, clientSecret: () => ENTRA.clientSecret, graphBaseUrl: idp.url, authorityUrl: idp.url, retry: { maxRetries: 0 } };
    const { client, auth } = createGraphClient(settings);
    await client.api('/users/ana%40contoso.com').patch({ x: null });
    auth.forget();
    await client.api('/users/bo%40contoso.com').patch({ x: null });
    assert.deepEqual(idp.seen, [
      `POST /${ENTRA.tenantId}/oauth2/v2.0/token`,
      `GET /${ENTRA.tenantId}/v2.0/.well-known/openid-configuration`,
      'POST /oauth2/token',
      'PATCH /v1.0/users/ana%40contoso.com',
      'POST /oauth2/token',
      'PATCH /v1.0/users/bo%40contoso.com',
    ]);

    // One on another origin is not followed: the client secret goes to the configured authority only.
    tokenEndpoint = `${elsewhere.url}/oauth2/token`;
    idp.seen.length = 0;
    const other = createGraphClient(settings).client;
    await assert.rejects(other.api('/users/ana%40contoso.com').patch({ x: null }), (err: { code?: unknown; message?: string }) => err.code === 'TokenRefused' && !String(err.message).includes(ENTRA.clientSecret));
    assert.deepEqual(elsewhere.seen, []);
    assert.deepEqual(idp.seen, [`POST /${ENTRA.tenantId}/oauth2/v2.0/token`, `GET /${ENTRA.tenantId}/v2.0/.well-known/openid-configuration`]);
  } finally {
    await idp.close();
    await elsewhere.close();
  }
});

test('entra: a token refusal whose body is not an RFC 6749 error (Graph\'s error object) names the HTTP status, not "[object Object]"', async () => {
  const idp = await listen((_req, _body, res) => json(res, 400, { error: { code: 'BadRequest', message: 'not a token endpoint' } }));
  try {
    const { client } = createGraphClient({ tenantId: ENTRA.tenantId, clientId: ENTRA.clientId, clientSecret: () => ENTRA.clientSecret, graphBaseUrl: idp.url, authorityUrl: idp.url, retry: { maxRetries: 0 } });
    await assert.rejects(client.api('/users/ana%40contoso.com').patch({ x: null }), (err: { code?: unknown; message?: string }) =>
      err.code === 'TokenRefused' && /HTTP 400$/.test(String(err.message)) && !String(err.message).includes('[object Object]'));
  } finally {
    await idp.close();
  }
});

test('entra: a token endpoint that redirects (307/308, usual or discovered) is not followed: the server redirected to receives no client secret', async () => {
  const elsewhere = await listen((_req, _body, res) => json(res, 200, { access_token: 'stolen', expires_in: 3600 }));
  let discovered = false;
  const idp = await listen((req, _body, res) => {
    if (req.url === `/${ENTRA.tenantId}/v2.0/.well-known/openid-configuration`) return json(res, 200, { token_endpoint: `http://${req.headers.host}/oauth2/token` });
    if (req.method === 'POST' && (req.url === `/${ENTRA.tenantId}/oauth2/v2.0/token` ? !discovered : req.url === '/oauth2/token')) {
      res.writeHead(req.url === '/oauth2/token' ? 308 : 307, { location: `${elsewhere.url}/steal` });
      return res.end();
    }
    json(res, 404, { error: 'not_found' });
  });
  try {
    const settings = { tenantId: ENTRA.tenantId, clientId: ENTRA.clientId, clientSecret: () => ENTRA.clientSecret, graphBaseUrl: idp.url, authorityUrl: idp.url, retry: { maxRetries: 0 } };
    const refusedRedirect = (err: { code?: unknown; message?: string }) => err.code === 'TokenUnavailable' && /HTTP 30[78] \(a redirect, not followed/.test(String(err.message)) && !String(err.message).includes(ENTRA.clientSecret);
    await assert.rejects(createGraphClient(settings).client.api('/users/ana%40contoso.com').patch({ x: null }), refusedRedirect);
    // The usual endpoint not found: the discovered one (same origin) redirects.
    discovered = true;
    await assert.rejects(createGraphClient(settings).client.api('/users/ana%40contoso.com').patch({ x: null }), refusedRedirect);
    assert.deepEqual(elsewhere.seen, []);
    assert.deepEqual(idp.seen, [`POST /${ENTRA.tenantId}/oauth2/v2.0/token`, `POST /${ENTRA.tenantId}/oauth2/v2.0/token`, `GET /${ENTRA.tenantId}/v2.0/.well-known/openid-configuration`, 'POST /oauth2/token']);
  } finally {
    await idp.close();
    await elsewhere.close();
  }
});
