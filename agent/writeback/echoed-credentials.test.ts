/**
 * A provider or a proxy in front of it that echoes the credential it was sent must not get that
 * credential into anything hubwarden keeps or shows. The credentials here are minted at run time,
 * so the redactor does not know their values: the Okta client assertion (a JWT signed with the
 * private key, RFC 7523 §2.2) and the Entra access token (a JWT, RFC 9068 / RFC 7519). Each is
 * echoed bare, without `Bearer` or a parameter name, the way a gateway's "invalid token: …" text
 * can carry it. Doubles are hostile on purpose: neither Okta nor Graph documents such an echo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { parseConfig } from '../../config/load.ts';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { collect } from '../store/store.ts';
import { redactText } from '../log/logger.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, movableClock, seededStore, writebackConfig } from './writeback-fixtures.ts';

/** Every 8-character piece of `secret` that occurs in `text` (none is the expected answer). */
function fragmentsIn(text: string, secret: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) found.push(secret.slice(i, i + 8));
  return found;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const readBody = (req: NodeJS.ReadableStream) => new Promise<string>((r) => { let s = ''; req.on('data', (c) => (s += c)); req.on('end', () => r(s)); });

test('okta: a token endpoint that echoes the client assertion in its error gets no piece of it into the error or the log', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const seen: string[] = [];
  const okta = createServer(async (req, res) => {
    const body = new URLSearchParams(await readBody(req));
    const assertion = body.get('client_assertion') ?? '';
    seen.push(assertion);
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'invalid_client', error_description: `The client assertion ${assertion} was not accepted.` }));
  });
  const url = await listen(okta);
  try {
    const config = parseConfig(JSON.stringify({
      identityProviders: { okta: { kind: 'okta', orgUrl: url, clientId: '0oa1servicehubwarden', privateKey: 'env:OKTA_KEY' } },
      hubs: [{ id: 'meta-main', connector: 'meta-business', identityProvider: 'okta', meta: { businessId: '1001' } }],
    }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const store = await seededStore('meta-main', [directoryUser('meta-main', 'u-ana', 'ana@example.com', { externalId: '00uana00000000000001' })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    const log = capturingLog();
    const writeback = createWriteback({ config, store, log, clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
    let message = '';
    await assert.rejects(writeback.run('meta-main'), (e: any) => { message = e.message; return e.kind === 'unauthenticated'; });
    assert.match(message, /invalid_client: The client assertion \[redacted\] was not accepted\./);
    const assertion = seen.find((a) => a.startsWith('eyJ'));
    assert.ok(assertion, 'the SDK sent a JWT client assertion');
    // What is stored, answered and logged: the error text, and the log lines as the logger writes them.
    const kept = [message, redactText(JSON.stringify(log.lines)), JSON.stringify(await collect(store.list('writebackState', 'meta-main')))].join('\n');
    assert.deepEqual(fragmentsIn(kept, assertion), []);
  } finally {
    await new Promise((r) => okta.close(r));
  }
});

test('entra: a proxy that answers a write with the access token echoed bare gets no piece of it into the report, store or log', async () => {
  const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId, objectId: 'ext-app-object' }], users: [{ id: '0a0a0a0a-1111-2222-3333-444444444444', userPrincipalName: 'ana@contoso.com' }] });
  const upstream = await graph.listen();
  const tokens: string[] = [];
  // Forwards to the emulator; a PATCH (the write) is answered 401 with the token it carried.
  const proxy = createServer(async (req, res) => {
    const body = await readBody(req);
    const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (req.method === 'PATCH') {
      tokens.push(token);
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: `Access token validation failure: ${token}` } }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    const answer = await fetch(`${upstream.url}${req.url}`, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  const url = await listen(proxy);
  try {
    const store = await seededStore('ads-eu', [directoryUser('ads-eu', 'u-ana', 'ana@contoso.com', { externalId: '0a0a0a0a-1111-2222-3333-444444444444' })], [{ id: 'm-ana', email: 'ana@contoso.com', role: 'ADMIN' }]);
    const log = capturingLog();
    const writeback = createWriteback({ config: writebackConfig({ graph: url }), store, log, clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } });
    let outcome = '';
    try {
      const report = await writeback.run('ads-eu');
      outcome = JSON.stringify(report);
    } catch (err) {
      outcome = (err as Error).message;
    }
    const token = tokens.find((t) => t.startsWith('eyJ'));
    assert.ok(token, `the write was sent with a JWT access token (${outcome})`);
    assert.match(outcome, /Access token validation failure/);
    const kept = [outcome, redactText(JSON.stringify(log.lines)), JSON.stringify(await collect(store.list('writebackState', 'ads-eu')))].join('\n');
    assert.deepEqual(fragmentsIn(kept, token), []);
  } finally {
    await new Promise((r) => proxy.close(r));
    await upstream.close();
  }
});
