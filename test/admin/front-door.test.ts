/**
 * The HTTP front door (scim-server/front-door.ts, serve.ts): what Node's parser refuses gets an
 * answer with a body in the surface's format, slow clients are cut, Host and request targets are
 * read as RFC 9112 §3.2 says, and SCIM and admin answers are not cached. Composed as `npm start`
 * composes it (composeHubwarden + createApp + serve), with short time limits; requests are written
 * on raw sockets so the bytes are exactly the ones named.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden, type Hubwarden } from '../../scim-server/compose.ts';
import { serve, type RunningServer } from '../../scim-server/serve.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-front-door-0123456789', SCIM_A: 'scim-token-front-door-0123456789' };
const SCIM_AUTH = `Authorization: Bearer ${ENV.SCIM_A}\r\n`;

let running: RunningServer;
let hubwarden: Hubwarden;
let port: number;

before(async () => {
  const config = parseConfig(`
server:
  publicUrl: https://hubwarden.example.com
  adminTokens: [env:ADMIN_TOKEN]
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_A] }
`, '/tmp/hubwarden-front-door/hubwarden.yaml', ENV);
  const store = new MemoryStore();
  await store.open();
  hubwarden = composeHubwarden({ config, store, auditFile: false, keyring: Keyring.fromKey(randomBytes(32)) });
  const app = createApp({ store, routers: hubwarden.routers });
  running = await serve(app, { host: '127.0.0.1', port: 0, graceMs: 500, limits: { headersMs: 400, requestMs: 800, checkIntervalMs: 100 } });
  port = Number(new URL(running.url).port);
});
after(async () => {
  await running?.close();
  await hubwarden?.stop(0);
});

interface Raw { text: string; closed: boolean; ms: number }

/** Writes `chunks` on a fresh socket (a string, or parts with a pause between them), reads until the server closes or `waitMs`. */
function raw(chunks: string | string[], waitMs = 1_500, gapMs = 0): Promise<Raw> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => { text += d; });
    socket.on('error', () => {});
    const timer = setTimeout(() => { socket.destroy(); resolve({ text, closed: false, ms: Date.now() - started }); }, waitMs);
    socket.on('close', () => { clearTimeout(timer); resolve({ text, closed: true, ms: Date.now() - started }); });
    const parts = typeof chunks === 'string' ? [chunks] : chunks;
    parts.forEach((part, i) => setTimeout(() => { if (!socket.destroyed) socket.write(part); }, i * gapMs));
  });
}

const status = (r: Raw) => Number(/^HTTP\/1\.1 (\d{3})/.exec(r.text)?.[1]);
const header = (r: Raw, name: string) => new RegExp(`\\r\\n${name}: ([^\\r]*)`, 'i').exec(r.text.split('\r\n\r\n')[0]!)?.[1];
const body = (r: Raw) => JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('what the parser refuses is answered with a body, never a bare status or a reset', () => {
  test('a SCIM URL past 16 KB is a 414 SCIM error; headers past it a 431; neither quotes the request', async () => {
    const long = await raw(`GET /scim/v2/hubs/hub-a/Users?filter=${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(status(long), 414);
    assert.match(header(long, 'content-type')!, /^application\/scim\+json/);
    assert.deepEqual({ ...body(long), detail: undefined }, { schemas: [SCIM_ERROR], status: '414', detail: undefined });
    assert.equal(header(long, 'connection'), 'close');
    assert.ok(long.closed);
    const big = await raw(`POST /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}X-Pad: ${'q'.repeat(20_000)}\r\n\r\n`);
    assert.equal(status(big), 431);
    assert.equal(body(big).status, '431');
    assert.doesNotMatch(long.text + big.text, /qqqq|Bearer|hub-a/, 'nothing of the request comes back');
  });

  test('outside SCIM the same limits answer a short JSON error', async () => {
    const r = await raw(`GET /api/v1/hubs HTTP/1.1\r\nHost: x\r\nX-Pad: ${'q'.repeat(20_000)}\r\n\r\n`);
    assert.equal(status(r), 431);
    assert.match(header(r, 'content-type')!, /^application\/json/);
    assert.equal(body(r).error, 'bad-request');
  });

  const malformed: Record<string, string> = {
    'a request line that is not HTTP': 'HELLO THERE\r\n\r\n',
    'a control character in a header value': `GET /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n`,
    'Content-Length with Transfer-Encoding (smuggling, RFC 9112 §6.3)': `POST /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    'two Content-Length lines': `POST /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}`,
    'HTTP/1.1 without Host': 'GET /scim/v2/hubs/hub-a/Users HTTP/1.1\r\n\r\n',
  };
  for (const [name, request] of Object.entries(malformed)) {
    test(`${name}: 400 with a body, and the connection closed`, async () => {
      const r = await raw(request);
      assert.equal(status(r), 400);
      assert.ok(JSON.stringify(body(r)).length > 20, 'a body saying what is wrong');
      assert.ok(r.closed, 'closed, not left hanging');
    });
  }
});

describe('transfer codings other than chunked (RFC 9112 §6.1)', () => {
  const user = (name: string) => JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${name}@example.com` });
  const chunked = (json: string) => `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`;
  const post = (path: string, te: string, json: string, auth = SCIM_AUTH) =>
    raw(`POST ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/scim+json\r\nTransfer-Encoding: ${te}\r\n\r\n${chunked(json)}`);

  test('gzip before a final chunked is a 501 SCIM error naming the coding, the connection closed, nothing created', async () => {
    const r = await post('/scim/v2/hubs/hub-a/Users', 'gzip, chunked', user('te-gzip'));
    assert.equal(status(r), 501);
    assert.match(header(r, 'content-type')!, /^application\/scim\+json/);
    assert.equal(body(r).status, '501');
    assert.match(String(body(r).detail), /"gzip" is not implemented/);
    assert.equal(header(r, 'connection'), 'close');
    assert.ok(r.closed, 'closed, not left open for the rest of the body');
    const list = await raw(`GET /scim/v2/hubs/hub-a/Users?filter=${encodeURIComponent('userName eq "te-gzip@example.com"')} HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}Connection: close\r\n\r\n`);
    assert.equal(body(list).totalResults, 0, 'the request never reached the routes');
  });

  test('the same coding on a second Transfer-Encoding line, or outside SCIM, is a 501 too', async () => {
    const twoLines = await post('/scim/v2/hubs/hub-a/Users', 'gzip\r\nTransfer-Encoding: chunked', user('te-two-lines'));
    assert.equal(status(twoLines), 501);
    assert.ok(twoLines.closed);
    const admin = await post('/api/v1/hubs', 'deflate;q=1, chunked', '{}', `Authorization: Bearer ${ENV.ADMIN_TOKEN}\r\n`);
    assert.equal(status(admin), 501);
    assert.match(header(admin, 'content-type')!, /^application\/json/);
    assert.equal(body(admin).error, 'not-implemented');
    assert.ok(admin.closed);
  });

  test('chunked not last is a 400 naming Transfer-Encoding, and closed; chunked alone is still taken', async () => {
    const r = await post('/scim/v2/hubs/hub-a/Users', 'chunked, gzip', user('te-not-last'));
    assert.equal(status(r), 400);
    assert.match(String(body(r).detail), /Transfer-Encoding/);
    assert.ok(r.closed);
    const ok = await raw(`POST /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}Content-Type: application/scim+json\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n${chunked(user('te-chunked'))}`);
    assert.equal(status(ok), 201);
  });
});

describe('HTTP/1.0 with Transfer-Encoding: framing faulty (RFC 9112 §6.1)', () => {
  const user = (name: string) => JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${name}@example.com` });
  const chunked = (json: string) => `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`;
  const created = async (name: string) => {
    const list = await raw(`GET /scim/v2/hubs/hub-a/Users?filter=${encodeURIComponent(`userName eq "${name}@example.com"`)} HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}Connection: close\r\n\r\n`);
    return body(list).totalResults;
  };

  test('a chunked SCIM POST over HTTP/1.0 is a 400 SCIM error, the connection closed, nothing created, even asking keep-alive', async () => {
    const r = await raw(`POST /scim/v2/hubs/hub-a/Users HTTP/1.0\r\n${SCIM_AUTH}Content-Type: application/scim+json\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(user('te-http10'))}`);
    assert.equal(status(r), 400);
    assert.match(header(r, 'content-type')!, /^application\/scim\+json/);
    assert.equal(body(r).status, '400');
    assert.match(String(body(r).detail), /HTTP\/1\.0 request cannot carry Transfer-Encoding/);
    assert.equal(header(r, 'connection'), 'close');
    assert.ok(r.closed, 'closed after the answer');
    assert.equal(await created('te-http10'), 0, 'the request never reached the routes');
  });

  test('an empty Transfer-Encoding beside Content-Length, or one outside SCIM, is refused the same; with Content-Length alone HTTP/1.0 is taken', async () => {
    const json = user('te-http10-empty');
    const empty = await raw(`POST /scim/v2/hubs/hub-a/Users HTTP/1.0\r\n${SCIM_AUTH}Content-Type: application/scim+json\r\nTransfer-Encoding: \r\nContent-Length: ${json.length}\r\n\r\n${json}`);
    assert.equal(status(empty), 400);
    assert.ok(empty.closed);
    assert.equal(await created('te-http10-empty'), 0);
    const admin = await raw(`POST /api/v1/hubs HTTP/1.0\r\nAuthorization: Bearer ${ENV.ADMIN_TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked('{}')}`);
    assert.equal(status(admin), 400);
    assert.equal(body(admin).error, 'bad-request');
    assert.equal(header(admin, 'connection'), 'close');
    // chunked with Content-Length: the parser's own 400 (RFC 9112 §6.3), closed too.
    const both = await raw(`POST /scim/v2/hubs/hub-a/Users HTTP/1.0\r\n${SCIM_AUTH}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n${chunked(user('te-http10-both'))}`);
    assert.equal(status(both), 400);
    assert.ok(both.closed);
    const plain = user('http10-plain');
    const ok = await raw(`POST /scim/v2/hubs/hub-a/Users HTTP/1.0\r\n${SCIM_AUTH}Content-Type: application/scim+json\r\nContent-Length: ${plain.length}\r\n\r\n${plain}`);
    assert.equal(status(ok), 201);
  });
});

describe('slow clients are cut (slowloris)', () => {
  test('headers sent a byte at a time get a 408 once the headers limit passes', async () => {
    const request = `GET /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}\r\n`;
    const r = await raw([...request], 3_000, 50);
    assert.equal(status(r), 408);
    assert.ok(r.closed && r.ms < 1_500, `cut after ${r.ms} ms`);
  });

  test('a SCIM body that stops arriving gets a 408 SCIM error once the request limit passes', async () => {
    const r = await raw(`POST /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}Content-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{"userName":`, 3_000);
    assert.equal(status(r), 408);
    assert.equal(body(r).status, '408');
    assert.ok(r.closed && r.ms < 2_000, `cut after ${r.ms} ms`);
  });
});

describe('Host and request targets (RFC 9112 §3.2)', () => {
  test('two Host lines are a 400, whatever the path', async () => {
    const r = await raw(`GET /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: hubwarden.example.com\r\nHost: evil.example\r\n${SCIM_AUTH}\r\n`);
    assert.equal(status(r), 400);
    assert.equal(body(r).status, '400');
  });

  test('an absolute-form target names the host checked: the dashboard at evil.example is a 421 even with Host 127.0.0.1', async () => {
    const r = await raw(`GET http://evil.example/ui/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.equal(status(r), 421);
    const own = await raw(`GET http://127.0.0.1/ui/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const originForm = await raw(`GET /ui/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.notEqual(status(own), 421);
    assert.equal(status(own), status(originForm), 'the loopback name in the target is taken as in Host');
    assert.equal(header(own, 'location'), header(originForm, 'location'), 'no absolute URL carried into a redirect');
  });

  test('HTTP/1.0 without Host: SCIM answers, the dashboard names no host of its own (421)', async () => {
    assert.equal(status(await raw(`GET /scim/v2/hubs/hub-a/Users HTTP/1.0\r\n${SCIM_AUTH}\r\n`)), 200);
    assert.equal(status(await raw('GET /ui/sign-in HTTP/1.0\r\n\r\n')), 421);
  });

  test('Expect: 100-continue gets its 100, then the SCIM answer', async () => {
    const json = JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'expect@example.com' });
    const r = await raw(`POST /scim/v2/hubs/hub-a/Users HTTP/1.1\r\nHost: x\r\n${SCIM_AUTH}Content-Type: application/scim+json\r\nContent-Length: ${json.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${json}`);
    assert.match(r.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
  });
});

describe('response headers', () => {
  const get = (path: string, auth = '') => raw(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`);

  test('SCIM and admin answers, errors included, say Cache-Control: no-store', async () => {
    const answers = {
      'SCIM list': await get('/scim/v2/hubs/hub-a/Users', SCIM_AUTH),
      'SCIM 401': await get('/scim/v2/hubs/hub-a/Users'),
      'admin list': await get('/api/v1/hubs', `Authorization: Bearer ${ENV.ADMIN_TOKEN}\r\n`),
      'admin 401': await get('/api/v1/hubs'),
    };
    for (const [name, r] of Object.entries(answers)) assert.equal(header(r, 'cache-control'), 'no-store', name);
    assert.deepEqual(Object.values(answers).map(status), [200, 401, 200, 401]);
  });

  test('no X-Powered-By anywhere', async () => {
    for (const path of ['/healthz', '/scim/v2/hubs/hub-a/Users', '/api/v1/openapi.json', '/ui/sign-in', '/nowhere']) {
      assert.equal(header(await get(path), 'x-powered-by'), undefined, path);
    }
  });
});
