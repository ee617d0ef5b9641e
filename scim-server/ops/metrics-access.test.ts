import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { metricsAccess, proxyConfigured, scopedAdminToken } from './metrics-access.ts';

const allow = metricsAccess({ actorFor: (t) => (t === 'good-admin-token' ? 'admin-token:abc123' : undefined), configured: () => true, scopeOf: () => undefined });
const req = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

test('/metrics: a local scraper may; through a proxy or from elsewhere only with an admin token', () => {
  assert.equal(allow(req('127.0.0.1')), true);
  assert.equal(allow(req('::1')), true);
  assert.equal(allow(req('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })), false, 'proxied: not local');
  assert.equal(allow(req('127.0.0.1', { forwarded: 'for=203.0.113.9' })), false);
  assert.equal(allow(req('10.0.0.5')), false);
  assert.equal(allow(req('10.0.0.5', { authorization: 'Bearer wrong' })), false);
  assert.equal(allow(req('10.0.0.5', { authorization: 'Bearer good-admin-token' })), true);
  assert.equal(allow(req('127.0.0.1', { 'x-forwarded-for': '203.0.113.9', authorization: 'bearer good-admin-token' })), true);
});

test('/metrics: a token scoped to some hubs may not scrape (the figures name every hub)', () => {
  const scoped = metricsAccess({ actorFor: (t) => (t === 'portal-token' ? 'admin-token:p' : undefined), configured: () => true, scopeOf: () => ['acme'] });
  assert.equal(scoped(req('10.0.0.5', { authorization: 'Bearer portal-token' })), false);
});

test('/metrics with server.trustProxy set: a loopback peer may be the proxy, so even a plain proxy_pass (no X-Forwarded-For) needs a token', () => {
  const proxied = metricsAccess({ actorFor: (t) => (t === 'good-admin-token' ? 'admin-token:abc123' : undefined), configured: () => true, scopeOf: () => undefined }, proxyConfigured('loopback'));
  assert.equal(proxied(req('127.0.0.1')), false);
  assert.equal(proxied(req('::1')), false);
  assert.equal(proxied(req('127.0.0.1', { authorization: 'Bearer good-admin-token' })), true);
  assert.equal(proxyConfigured(false), false);
  assert.equal(proxyConfigured(0), false);
  assert.equal(proxyConfigured([]), false);
  assert.equal(proxyConfigured(1), true);
  assert.equal(proxyConfigured(['10.0.0.0/8']), true);
});

test('/metrics: wrong tokens spend the admin failure budget shared with the admin API; past it, 429', async () => {
  const { serveRouters } = await import('../../test/admin/test-server.ts');
  const { FailureLimiter } = await import('../auth-failures.ts');
  const { createMetricsRouter } = await import('./metrics.ts');
  const failures = new FailureLimiter({ admin: { maxFailures: 3, windowMs: 60_000 } });
  const server = await serveRouters([['/', createMetricsRouter({ allow: metricsAccess({ actorFor: () => undefined, configured: () => false, scopeOf: () => undefined }, true), failures })]]);
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer wrong-${i}` } })).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    assert.ok(await failures.fail('admin', '127.0.0.1') > 0, 'the same budget the admin API checks is spent');
  } finally {
    await server.close();
  }
});

test('/metrics: a right token of some hubs is refused 403 saying why, and spends no failed-token budget', async () => {
  const { serveRouters } = await import('../../test/admin/test-server.ts');
  const { FailureLimiter } = await import('../auth-failures.ts');
  const { createMetricsRouter } = await import('./metrics.ts');
  const tokens = { actorFor: (t: string) => (t === 'portal-token' ? 'admin-token:p' : undefined), configured: () => true, scopeOf: () => ['acme'] };
  const failures = new FailureLimiter({ admin: { maxFailures: 3, windowMs: 60_000 } });
  const server = await serveRouters([['/', createMetricsRouter({ allow: metricsAccess(tokens, true), scoped: scopedAdminToken(tokens), failures })]]);
  try {
    const answers: Array<[number, string]> = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer portal-token' } });
      answers.push([res.status, await res.text()]);
    }
    assert.deepEqual(answers.map(([status]) => status), [403, 403, 403, 403, 403]);
    assert.match(answers[0]![1], /limited to some hubs .*a token of every hub/);
    assert.equal(await failures.fail('admin', '127.0.0.1'), 0, 'the address\'s budget is untouched');
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401, 'a wrong token is still one');
  } finally {
    await server.close();
  }
});
