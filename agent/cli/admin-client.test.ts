/**
 * The CLI prints one line on failure; it must never be the admin token. fetch refuses a header
 * value with a line break and quotes it in its error, so a token pasted with one is refused
 * before any request, naming where to look.
 */
import { test } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { adminClient } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { MAX_ANSWER_BYTES, readBody } from './answer-body.ts';

test('a token a header cannot carry is refused without echoing it', async () => {
  const secret = 'adm1n-Secret-Value';
  for (const token of [`${secret}\nsecond-line`, `${secret} trailing`, '']) {
    assert.throws(() => adminClient('http://127.0.0.1:9', token, async () => { throw new Error('not called'); }),
      (e: unknown) => e instanceof CliError && /admin token has spaces, line breaks/.test(e.message) && !e.message.includes(secret));
  }
});

test('an unreachable server is reported without the token, even when the transport quotes the header', async () => {
  const token = 'adm1n-Secret-Value';
  const client = adminClient('http://127.0.0.1:9', token, async (_url, init) => {
    throw new TypeError(`Headers.append: "${(init?.headers as Record<string, string>).authorization}" is an invalid header value.`);
  });
  await assert.rejects(client.get('/hubs'), (e: unknown) => e instanceof CliError && /cannot reach hubwarden/.test(e.message) && !e.message.includes(token));
});

test('an unreachable server: the message says where the URL came from and both next steps (start it, or --url / HUBWARDEN_URL)', async () => {
  const refused = async () => { throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }); };
  const client = adminClient('http://localhost:8080', 'token', refused, undefined, 'server.publicUrl in /etc/hubwarden.yaml');
  await assert.rejects(client.get('/hubs'), (e: unknown) => e instanceof CliError
    && e.message.startsWith('cannot reach hubwarden at http://localhost:8080: ECONNREFUSED (that URL is from server.publicUrl in /etc/hubwarden.yaml);')
    && e.message.includes('npm start') && e.message.includes('--url http://127.0.0.1:<port> or set HUBWARDEN_URL'));
});

test('a server URL with a user name or password is refused, and the password never echoed (fetch cannot send it anyway)', async () => {
  const password = 's3cret-Basic-pw';
  for (const url of [`http://admin:${password}@127.0.0.1:9`, `http://admin:${password}@127.0.0.1:99999`, `https://${password}@hubwarden.example/`]) {
    let called = false;
    let error: unknown;
    try {
      await adminClient(url, 'token', async () => { called = true; throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`); }).get('/hubs');
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof CliError, `refused: ${String(error)}`);
    assert.equal(called, false, 'no request');
    assert.match(error.message, /user name or password/);
    assert.ok(!error.message.includes(password), error.message);
  }
});

test('a server URL with userinfo written slightly off is refused too, and the password never echoed', async () => {
  const password = 's3cret-Basic-pw';
  // The WHATWG parser reads each of these as userinfo; the first is no URL at all.
  for (const url of [`http//admin:${password}@127.0.0.1:9`, `http:/admin:${password}@127.0.0.1:9`, `http:admin:${password}@127.0.0.1:9`, `http:\\admin:${password}@127.0.0.1:9`, ` http://admin:${password}@127.0.0.1:9`]) {
    let called = false;
    let error: unknown;
    try {
      await adminClient(url, 'token', async () => { called = true; throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`); }).get('/hubs');
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof CliError && error.exitCode === 2, `refused: ${String(error)}`);
    assert.equal(called, false, `no request for ${url}`);
    assert.ok(!error.message.includes(password), error.message);
  }
});

test('a server URL that is not one is named (no credentials in it to hide)', async () => {
  await assert.rejects(async () => adminClient('localhost:8080', 'token', async () => { throw new Error('not called'); }).get('/hubs'),
    (e: unknown) => e instanceof CliError && e.exitCode === 2 && /"localhost:8080" is not an http\(s\) URL/.test(e.message));
});

test('a server URL with a query or fragment is refused before any request, the query not echoed', async () => {
  for (const url of ['http://127.0.0.1:9/?key=s3cret-query', 'http://127.0.0.1:9#s3cret-query', 'https://hubwarden.example/base?']) {
    let called = false;
    await assert.rejects(async () => adminClient(url, 'token', async () => { called = true; return new Response('{}'); }).get('/hubs'),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && /^the server URL \S+ has a query or fragment/.test(e.message) && !e.message.includes('s3cret-query'), url);
    assert.equal(called, false, 'no request');
  }
});

test('a server that does not answer in time is said so, not "cannot reach" (it is up, and the request may have been done)', async () => {
  const timeout = () => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', timeout).post('/people/jane%40example.com/offboard'),
    (e: unknown) => e instanceof CliError && /^hubwarden at http:\/\/127\.0\.0\.1:9 did not answer POST \/people\/jane%40example\.com\/offboard within 30 s/.test(e.message) && !/cannot reach/.test(e.message));
  // The answer's body cut off by the same timeout: the same line, not the transport's words.
  const slowBody = async () => ({ ok: true, status: 200, headers: new Headers({ 'content-type': 'text/csv' }), text: timeout }) as unknown as Response;
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', slowBody).getText('/audit', 'text/csv'),
    (e: unknown) => e instanceof CliError && /did not answer GET \/audit within 30 s/.test(e.message));
});

test('a redirect is named with where it points, not followed: a right token is never reported as invalid', async (t) => {
  const token = 'adm1n-Secret-Value';
  // The address a proxy sends the admin on to: it accepts the token when it gets it.
  const target = createServer((req, res) => {
    const ok = req.headers.authorization === `Bearer ${token}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { items: [] } : { detail: 'invalid admin token' }));
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const to = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  const requests: string[] = [];
  const proxy = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(req.method === 'POST' ? 302 : 308, { location: `${to}${req.url}?state=login-s3cret` }).end();
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.after(() => { proxy.close(); target.close(); });
  const client = adminClient(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token);
  await assert.rejects(client.get('/hubs'), (e: unknown) => e instanceof CliError
    && new RegExp(`answered GET /hubs with HTTP 308, a redirect to ${to}/api/v1/hubs; the admin token is not sent on: pass --url ${to} `).test(e.message)
    && !/invalid admin token|s3cret/.test(e.message));
  await assert.rejects(client.post('/hubs/h1/members/m1/remove'), (e: unknown) => e instanceof CliError && /POST \/hubs\/h1\/members\/m1\/remove with HTTP 302, a redirect/.test(e.message));
  assert.deepEqual(requests, ['GET /api/v1/hubs', 'POST /api/v1/hubs/h1/members/m1/remove']);
});

test('an error answer that quotes the request back never shows the admin token', async () => {
  const token = 'adm1n-Secret-Value';
  const echo = async (_url: string | URL | Request, init?: RequestInit) => new Response(JSON.stringify({ detail: `malformed header: authorization: ${(init?.headers as Record<string, string>).authorization}` }), { status: 400, headers: { 'content-type': 'application/json' } });
  await assert.rejects(adminClient('http://127.0.0.1:9', token, echo).get('/hubs'),
    (e: unknown) => e instanceof CliError && /^malformed header: authorization: Bearer \[admin token\] \(HTTP 400\)$/.test(e.message));
});

/** A fetch that answers each request with the next of `answers` (the last one again once they run out), counting them. */
function answering(...answers: Array<() => Response>) {
  const seen: string[] = [];
  const fetchImpl = async (_url: string | URL | Request, init?: RequestInit) => {
    seen.push(init?.method ?? 'GET');
    return answers[Math.min(seen.length, answers.length) - 1]!();
  };
  return { seen, fetchImpl: fetchImpl as typeof fetch };
}
const problem = (status: number, detail: string, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify({ status, detail }), { status, headers: { 'content-type': 'application/problem+json', ...headers } });
const ok = () => new Response('{"items":[]}', { status: 200, headers: { 'content-type': 'application/json' } });

test('a GET answered 503 with a short Retry-After is sent again (a task being waited for is not given up on); a POST is not', async () => {
  const once = answering(problem(503, 'store: unavailable (replica); nothing was changed', { 'retry-after': '0' }), ok);
  assert.deepEqual(await adminClient('http://127.0.0.1:9', 'token', once.fetchImpl).get('/tasks/t1'), { items: [] });
  assert.deepEqual(once.seen, ['GET', 'GET']);
  const always = answering(problem(503, 'other writes kept winning', { 'retry-after': '0' }));
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', always.fetchImpl).get('/hubs'),
    (e: unknown) => e instanceof CliError && /^other writes kept winning \(HTTP 503; retry in 0 s\)$/.test(e.message));
  assert.equal(always.seen.length, 3, 'three tries in all');
  const post = answering(problem(503, 'store: unavailable (replica); it may have been applied: read before retrying, retry in 5 s', { 'retry-after': '0' }), ok);
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', post.fetchImpl).post('/people/x/offboard'),
    (e: unknown) => e instanceof CliError && /read before retrying, retry in 5 s \(HTTP 503\)$/.test(e.message));
  assert.deepEqual(post.seen, ['POST'], 'a POST is never sent again by itself');
  const long = answering(problem(503, 'down for maintenance', { 'retry-after': '3600' }));
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', long.fetchImpl).get('/hubs'), /down for maintenance \(HTTP 503; retry in 3600 s\)/);
  assert.equal(long.seen.length, 1, 'a long wait is the admin\'s to decide');
});

test('a 429, or a 503 page from a proxy, says when to retry; it is not called "not a hubwarden server"', async () => {
  const limited = answering(problem(429, 'slow down', { 'retry-after': '7' }));
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', limited.fetchImpl).get('/hubs'), (e: unknown) => e instanceof CliError && /^slow down \(HTTP 429; retry in 7 s\)$/.test(e.message));
  assert.equal(limited.seen.length, 1, 'a 429 (wrong admin tokens, on this API) is not tried again');
  const page = answering(() => new Response('<html><h1>503 Service Unavailable</h1></html>', { status: 503, statusText: 'Service Unavailable', headers: { 'content-type': 'text/html', 'retry-after': '3600' } }));
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', page.fetchImpl).get('/hubs'),
    (e: unknown) => e instanceof CliError && /^Service Unavailable \(HTTP 503; retry in 3600 s\)$/.test(e.message));
});

test('an answer too large to be a hubwarden one is refused, not read into memory; a huge problem detail is shortened', async () => {
  const big = answering(() => new Response('{"items":[]}', { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(MAX_ANSWER_BYTES + 1) } }));
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', big.fetchImpl).get('/hubs'), (e: unknown) => e instanceof CliError && /the answer is larger than 256 MB; not read/.test(e.message));
  // Streamed without a length: cut at the cap.
  const chunk = new TextEncoder().encode('x'.repeat(1024));
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({ pull(c) { sent++; c.enqueue(chunk); } });
  await assert.rejects(readBody(new Response(endless), 'GET /hubs', 10 * 1024), /^CliError: GET \/hubs: HTTP 200, the answer is larger than/);
  assert.ok(sent < 20, `stopped reading (${sent} chunks)`);
  const chatty = answering(problem(500, 'boom\n'.repeat(100_000)));
  await assert.rejects(adminClient('http://127.0.0.1:9', 'token', chatty.fetchImpl).get('/hubs'), (e: unknown) => e instanceof CliError && e.message.length < 600 && /more characters\) \(HTTP 500\)$/.test(e.message));
});
