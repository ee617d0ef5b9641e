import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { GraphClient } from './graph-client.ts';
import { toConnectorError } from './graph-errors.ts';

/**
 * Business Use Case throttles are "per ad account, per use case"
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), and 80004 says "There
 * have been too many calls to this ad-account"
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference).
 * Answered without a usage header naming the object, the ad account the call was on is what
 * waits: the business's other assets (invites, removals, other ad accounts) go on. A call on the
 * business itself names no ad account, so the business waits (the strict reading).
 */
const ctx = { what: 'meta-business: test call', businessId: '100' };
const buc = (code = 80004) => ({ error: { message: `(#${code}) There have been too many calls to this ad-account. Wait a bit and try again.`, type: 'OAuthException', code, error_subcode: 2446079, fbtrace_id: 't' } });

describe('a BUC throttle without a usage header', () => {
  test('on an ad account path blocks that ad account, not the business', () => {
    for (const path of ['act_111/assigned_users', 'act_111/assigned_users?business=100&limit=100', '/act_111', 'act_111?fields=id']) {
      const err = toConnectorError({ status: 400, body: buc(), path }, ctx);
      assert.equal(err.kind, 'rate-limited');
      assert.equal(err.limitScope, '111', path);
      assert.equal(err.retryAfterMs, 5 * 60_000);
    }
  });

  test('on a business edge (owned_ad_accounts lists 80004 too) names no ad account: the business waits', () => {
    for (const path of ['100/owned_ad_accounts', '100/client_ad_accounts?limit=100', '', undefined]) {
      const err = toConnectorError({ status: 400, body: buc(), ...(path === undefined ? {} : { path }) }, ctx);
      assert.equal(err.limitScope, 'business:100', String(path));
    }
  });

  test('a header naming the object still wins, with its wait', () => {
    const headers = { 'x-business-use-case-usage': JSON.stringify({ 222: [{ type: 'ads_management', call_count: 100, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: 9 }] }) };
    const err = toConnectorError({ status: 400, body: buc(), headers, path: 'act_111/assigned_users' }, ctx);
    assert.equal(err.limitScope, '222');
    assert.equal(err.retryAfterMs, 9 * 60_000);
  });

  test('a header naming several objects: the call\'s own ad account waits its own time, not the longest entry\'s', () => {
    const entry = (minutes: number) => [{ type: 'ads_management', call_count: 100, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: minutes }];
    const headers = { 'x-business-use-case-usage': JSON.stringify({ 111: entry(4), 222: entry(60) }) };
    const err = toConnectorError({ status: 400, body: buc(), headers, path: 'act_111/assigned_users?business=100' }, ctx);
    assert.deepEqual([err.limitScope, err.retryAfterMs], ['111', 4 * 60_000]);
  });

  test('through the client: a call, and an op inside a batch, hold only their ad account; invites and other assets still go', async () => {
    const asked: string[] = [];
    const fetchFn = (async (input: URL | RequestInfo, init?: RequestInit) => {
      const url = new URL(String(input));
      asked.push(url.pathname);
      if (url.pathname.endsWith('/act_111/assigned_users')) return new Response(JSON.stringify(buc()), { status: 400, headers: { 'content-type': 'application/json' } });
      if (url.pathname === '/v25.0/' && init?.method === 'POST') {
        const ops = JSON.parse(new URLSearchParams(String(init.body)).get('batch')!) as Array<{ relative_url: string }>;
        // Each op answers on its own; the throttled one carries no headers at all.
        return new Response(JSON.stringify(ops.map((op) => (op.relative_url.startsWith('act_333')
          ? { code: 400, body: JSON.stringify(buc()) }
          : { code: 200, body: JSON.stringify({ data: [] }) }))), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      return new Response(JSON.stringify({ data: [], id: '9' }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const book = new RateLimitBook();
    const http = new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok-1234'] });
    const g = new GraphClient({ http, version: 'v25.0', token: 'tok-1234', businessId: '100', book });

    await assert.rejects(g.call('GET', 'act_111/assigned_users', { business: '100' }, ctx), (e: unknown) => e instanceof ConnectorError && e.limitScope === '111' && e.providerCode === '80004/2446079');
    const [ok, throttled] = await g.batch([
      { method: 'GET', relativeUrl: 'act_222/assigned_users?business=100' },
      { method: 'GET', relativeUrl: 'act_333/assigned_users?business=100' },
    ], ctx);
    assert.equal(ok!.status, 200);
    assert.equal(g.errorOf(throttled!, ctx).limitScope, '333');
    assert.deepEqual(Object.keys(book.state().blockedUntil).sort(), ['111', '333'], 'no business-wide block');

    const before = asked.length;
    // An invite and a removal on the business, and another ad account, are called.
    await g.call('POST', '100/business_users', { email: 'new.person@example.com', role: 'EMPLOYEE' }, { ...ctx, isInvite: true });
    await g.call('DELETE', '555', {}, ctx);
    await g.call('GET', 'act_222/assigned_users', { business: '100' }, ctx);
    assert.equal(asked.length, before + 3);
    // The throttled ad accounts are refused without calling.
    for (const path of ['act_111/assigned_users', 'act_333/assigned_users']) {
      await assert.rejects(g.call('GET', path, { business: '100' }, ctx), (e: unknown) => e instanceof ConnectorError && e.providerCode === 'local' && e.notApplied === true);
    }
    assert.equal(asked.length, before + 3);
  });
});
