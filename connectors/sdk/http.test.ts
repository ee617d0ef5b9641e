import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from './http.ts';
import { ConnectorError } from './connector-error.ts';
import { redactSecrets } from './redact.ts';
import { RateLimitBook, formatWait } from './rate-limit-book.ts';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('redactSecrets', () => {
  const table: Array<[string, string]> = [
    ['GET /v25.0/1/business_users?access_token=EAAB123abc&limit=5', 'GET /v25.0/1/business_users?access_token=[redacted]&limit=5'],
    ['debug_token?input_token=EAAB123abc', 'debug_token?input_token=[redacted]'],
    ['Authorization: Bearer EAAB123abcdef', 'Authorization: Bearer [redacted]'],
    ['{"access_token": "EAAB123abc"}', '{"access_token": "[redacted]"}'],
    ['token is s3cr3t-value here', 'token is [redacted] here'],
    ['Authorization: OAuth EAAB123abcdef', 'Authorization: OAuth [redacted]'],
    // Meta's code-190 text names the scheme before the words "access token": nothing secret there.
    ['(#190) Invalid OAuth access token - Cannot parse access token', '(#190) Invalid OAuth access token - Cannot parse access token'],
  ];
  for (const [input, want] of table) test(input, () => assert.equal(redactSecrets(input, ['s3cr3t-value']), want));
});

describe('HttpClient', () => {
  test('sends form and JSON bodies, reports each call to onCall, never logs the token', async () => {
    const seen: Array<{ ct?: string; body: string; url?: string }> = [];
    const { url, server } = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ ct: req.headers['content-type'], body, url: req.url });
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      });
    });
    const calls: unknown[] = [];
    const lines: string[] = [];
    const log = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    try {
      const http = new HttpClient({ baseUrl: url, secrets: () => ['tok-SECRET'], log, onCall: (c) => calls.push(c) });
      const a = await http.request({ method: 'POST', path: 'v1/x', form: { a: '1', access_token: 'tok-SECRET' }, what: 't' });
      await http.request({ method: 'POST', path: 'v1/y', json: { b: 2 }, query: { access_token: 'tok-SECRET' }, what: 't', operations: 3 });
      assert.deepEqual(a.body, { ok: true });
      assert.equal(seen[0].ct, 'application/x-www-form-urlencoded');
      assert.equal(seen[0].body, 'a=1&access_token=tok-SECRET');
      assert.equal(seen[1].ct, 'application/json');
      assert.equal(calls.length, 2);
      assert.equal((calls[1] as { operations?: number }).operations, 3);
      assert.ok(lines.length >= 2);
      for (const l of lines) assert.doesNotMatch(l, /tok-SECRET/);
    } finally {
      server.close();
    }
  });

  test('a request that outlives its timeout is unavailable and names the wait', async () => {
    const { url, server } = await serve(() => { /* never answers */ });
    try {
      const http = new HttpClient({ baseUrl: url, timeoutMs: 100 });
      await assert.rejects(http.request({ method: 'GET', path: 'slow', query: { access_token: 'abc123456' }, what: 'meta-business: list x' }), (err: unknown) => {
        assert.ok(err instanceof ConnectorError);
        assert.equal(err.kind, 'unavailable');
        assert.match(err.message, /^meta-business: list x: unavailable \(timed out after 100 ms\)/);
        assert.doesNotMatch(err.message, /abc123456/);
        return true;
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('a dropped socket is unavailable', async () => {
    const { url, server } = await serve((req) => req.socket.destroy());
    try {
      const http = new HttpClient({ baseUrl: url });
      await assert.rejects(http.request({ method: 'GET', path: 'x', what: 'w' }), (err: unknown) => err instanceof ConnectorError && err.kind === 'unavailable');
    } finally {
      server.close();
    }
  });

  test('maxInFlight: no more requests at once than allowed, the rest sent as turns free, none lost', async () => {
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const { url, server } = await serve((req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      order.push(req.url!);
      setTimeout(() => { inFlight--; res.end('{}'); }, 20);
    });
    try {
      const http = new HttpClient({ baseUrl: url, maxInFlight: 3 });
      const paths = Array.from({ length: 10 }, (_, i) => `r${i}`);
      const results = await Promise.all(paths.map((path) => http.request({ method: 'GET', path, what: 'w' })));
      assert.equal(results.length, 10);
      assert.ok(results.every((r) => r.status === 200));
      assert.equal(most, 3);
      // The first three go at once; the others only as turns free (their arrival order among
      // themselves is the network's); each arrives exactly once.
      assert.deepEqual(order.slice(0, 3).sort(), ['/r0', '/r1', '/r2']);
      assert.deepEqual([...order].sort(), paths.map((p) => `/${p}`).sort());
    } finally {
      server.close();
    }
  });

  test('refuses to send a request (and its token) to another origin', () => {
    const http = new HttpClient({ baseUrl: 'http://127.0.0.1:1' });
    assert.throws(() => http.urlOf('https://evil.example/v25.0/x'), /refusing to call https:\/\/evil.example/);
  });

  test('never follows a redirect: the token in a header or a body does not leave for the Location', async () => {
    const elsewhere: string[] = [];
    const other = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        elsewhere.push(`${String(req.headers['access-token'])} ${body}`);
        res.end('{}');
      });
    });
    // localhost is another origin than 127.0.0.1, as far as fetch is concerned.
    const otherOrigin = other.url.replace('127.0.0.1', 'localhost');
    const { url, server } = await serve((req, res) => {
      res.statusCode = req.method === 'GET' ? 302 : 307;
      res.setHeader('location', `${otherOrigin}${req.url}`);
      res.end();
    });
    try {
      const http = new HttpClient({ baseUrl: url, secrets: () => ['s3cr3t'] });
      const get = await http.request({ method: 'GET', path: 'x/', headers: { 'Access-Token': 's3cr3t' }, what: 'get' });
      const post = await http.request({ method: 'POST', path: 'y/', form: { access_token: 's3cr3t' }, what: 'post' });
      assert.deepEqual([get.status, post.status], [302, 307], 'the redirect itself is the answer');
      assert.deepEqual(elsewhere, [], 'nothing reached the other origin');
    } finally {
      server.close();
      other.server.close();
    }
  });
});

describe('RateLimitBook', () => {
  test('blocks a scope until its time passes and keeps the later block', () => {
    let now = 1000;
    const book = new RateLimitBook(() => now);
    book.block('invite:1', 5000);
    book.block('invite:1', 1000);
    book.noteUsage('app', 42);
    assert.equal(book.remainingMs('invite:1'), 5000);
    assert.deepEqual(book.state(), { usagePercent: { app: 42 }, blockedUntil: { 'invite:1': 6000 } });
    now = 7000;
    assert.equal(book.remainingMs('invite:1'), 0);
    assert.deepEqual(book.state().blockedUntil, {});
  });
  test('formatWait', () => {
    assert.equal(formatWait(24 * 3_600_000), '24 h');
    assert.equal(formatWait(24 * 3_600_000 - 5), '24 h');
    assert.equal(formatWait(90 * 60_000), '90 min');
    assert.equal(formatWait(720_000), '12 min');
    assert.equal(formatWait(1500), '2 s');
  });
});
