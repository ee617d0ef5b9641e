import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { GraphClient } from './graph-client.ts';
import { APP_USAGE, appUsageDelayMs } from './graph-usage.ts';
import { WriteBatcher } from './write-batcher.ts';
import { createMetaEmulator, SANDBOX } from './emulator/index.ts';
import { assignAsset } from './write/assets.ts';
import { listAssignments } from './read/assignments.ts';
import { listMembers } from './read/people.ts';
import type { MetaContext } from './meta-context.ts';

/** A fetch that replays scripted responses and records what was asked (Nango-style replay). */
function replay(responses: Array<(body: URLSearchParams) => unknown>) {
  const asked: Array<{ url: string; body: URLSearchParams }> = [];
  const fetchFn = (async (input: URL | RequestInfo, init?: RequestInit) => {
    const body = new URLSearchParams(typeof init?.body === 'string' ? init.body : '');
    asked.push({ url: String(input), body });
    const next = responses.shift();
    assert.ok(next, `unexpected call ${String(input)}`);
    return new Response(JSON.stringify(next(body)), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetchFn, asked };
}

function client(base: string, fetchFn: typeof fetch) {
  const http = new HttpClient({ baseUrl: base, fetch: fetchFn, secrets: () => ['tok-1234'] });
  return new GraphClient({ http, version: 'v25.0', token: 'tok-1234', businessId: '100', book: new RateLimitBook() });
}

describe('GraphClient', () => {
  test('relativeOf strips the base path prefix, version and token from a paging.next URL', () => {
    const g = client('http://127.0.0.1:9/sandbox/graph', fetch);
    assert.equal(g.relativeOf('http://127.0.0.1:9/sandbox/graph/v25.0/act_1/assigned_users?business=100&limit=1000&access_token=tok-1234&after=QQ'),
      'act_1/assigned_users?business=100&limit=1000&after=QQ');
  });

  test('a batch re-sends null entries and transiently failed GETs, never failed writes', async () => {
    const ok = (n: number) => ({ code: 200, body: JSON.stringify({ data: [{ id: String(n) }] }) });
    const transient = { code: 500, body: JSON.stringify({ error: { message: 'An unknown error occurred', type: 'OAuthException', code: 1, fbtrace_id: 'x' } }) };
    const { fetchFn, asked } = replay([
      () => [ok(1), null, transient, transient],
      (body) => JSON.parse(body.get('batch')!).map((_: unknown, i: number) => ok(10 + i)),
    ]);
    const g = client('http://127.0.0.1:9', fetchFn);
    const results = await g.batch([
      { method: 'GET', relativeUrl: 'a/assigned_users' },
      { method: 'GET', relativeUrl: 'b/assigned_users' },
      { method: 'GET', relativeUrl: 'c/assigned_users' },
      { method: 'POST', relativeUrl: 'd/assigned_users', body: { user: '1', tasks: ['ANALYZE'] } },
    ], { what: 'meta-business: test', businessId: '100' });
    assert.equal(asked.length, 2);
    const resent = JSON.parse(asked[1].body.get('batch')!).map((op: { relative_url: string }) => op.relative_url);
    assert.deepEqual(resent, ['b/assigned_users', 'c/assigned_users']);
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 500]);
    const first = JSON.parse(asked[0].body.get('batch')!);
    assert.equal(first[3].body, 'user=1&tasks=%5B%22ANALYZE%22%5D', 'lists JSON-encoded like the Python SDK (https://developers.facebook.com/docs/graph-api/overview)');
    assert.equal(asked[0].body.get('include_headers'), null, 'op headers kept: a throttled op carries its wait in them');
  });

  test('a page answered without a data array fails the read instead of passing for an empty last page', async () => {
    const { fetchFn } = replay([() => ({}), () => ({ data: [{ id: '1' }] })]);
    const g = client('http://127.0.0.1:9', fetchFn);
    await assert.rejects(g.page('100/business_users', { fields: 'id' }, undefined, { what: 'meta-business: list members', businessId: '100' }),
      (err: ConnectorError) => err instanceof ConnectorError && err.kind === 'unavailable' && /without a data array/.test(err.message));
    assert.deepEqual((await g.page('100/business_users', { fields: 'id' }, undefined, { what: 'meta-business: list members', businessId: '100' })).data, [{ id: '1' }]);
  });

  test('more than 50 operations go out as several batch requests of at most 50', async () => {
    const sizes: number[] = [];
    const responses = Array.from({ length: 3 }, () => (body: URLSearchParams) => {
      const ops = JSON.parse(body.get('batch')!);
      sizes.push(ops.length);
      return ops.map(() => ({ code: 200, body: '{"data":[]}' }));
    });
    const { fetchFn } = replay(responses);
    const g = client('http://127.0.0.1:9', fetchFn);
    const results = await g.batch(Array.from({ length: 120 }, (_, i) => ({ method: 'GET' as const, relativeUrl: `${i}/assigned_users` })), { what: 't', businessId: '100' });
    assert.equal(results.length, 120);
    assert.deepEqual(sizes.sort((a, b) => a - b), [20, 50, 50]);
  });

  test('X-App-Usage: free below 75 %, slower towards 95 %, refused (rate-limited, scope app) from 95 % until the reading ages out', async () => {
    assert.equal(appUsageDelayMs(50), 0);
    assert.ok(appUsageDelayMs(85) > 0 && appUsageDelayMs(85) < appUsageDelayMs(94));
    let now = 1_000_000;
    const usage = [10, 85, 96];
    let calls = 0;
    const fetchFn = (async () => {
      calls++;
      const pct = usage.shift() ?? 10;
      return new Response('{"data":[]}', { status: 200, headers: { 'content-type': 'application/json', 'x-app-usage': JSON.stringify({ call_count: pct, total_time: 1, total_cputime: 1 }) } });
    }) as typeof fetch;
    const slept: number[] = [];
    const book = new RateLimitBook(() => now);
    const http = new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok-1234'] });
    const g = new GraphClient({ http, version: 'v25.0', token: 'tok-1234', businessId: '100', book, clock: () => now, sleep: async (ms) => { slept.push(ms); } });
    const ctx = { what: 'list people of business 100', businessId: '100' };
    await g.call('GET', '100/business_users', {}, ctx); // reads 10 %
    await g.call('GET', '100/business_users', {}, ctx); // no wait; reads 85 %
    await g.call('GET', '100/business_users', {}, ctx); // waits; reads 96 %
    assert.deepEqual(slept, [appUsageDelayMs(85)]);
    await assert.rejects(g.call('GET', '100/business_users', {}, ctx), (err: Error & { kind?: string; limitScope?: string }) =>
      err.kind === 'rate-limited' && err.limitScope === 'app' && /96%/.test(err.message));
    assert.equal(calls, 3, 'refused without calling Meta');
    assert.ok(book.state().blockedUntil.app! > now);
    now += APP_USAGE.PAUSE_MS + 1;
    await g.call('GET', '100/business_users', {}, ctx);
    assert.equal(calls, 4);
  });

  test('X-Business-Use-Case-Usage near 100 % slows calls on that ad account only (a call, a batch with an op on it), until the reading ages out', async () => {
    let now = 1_000_000;
    const fetchFn = (async (input: URL | RequestInfo) => new Response(new URL(String(input)).pathname === '/v25.0/' ? '[{"code":200,"body":"{}"},{"code":200,"body":"{}"}]' : '{"data":[]}', { status: 200, headers: {
      'content-type': 'application/json', 'x-app-usage': '{"call_count":5,"total_time":1,"total_cputime":1}',
      ...(String(input).includes('act_222') ? { 'x-business-use-case-usage': JSON.stringify({ 222: [{ type: 'ads_management', call_count: 90, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: 0 }] }) } : {}),
    } })) as typeof fetch;
    const slept: number[] = [];
    const http = new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok-1234'] });
    const g = new GraphClient({ http, version: 'v25.0', token: 'tok-1234', businessId: '100', book: new RateLimitBook(() => now), clock: () => now, sleep: async (ms) => { slept.push(ms); } });
    const ctx = { what: 'assign', businessId: '100' };
    await g.call('GET', 'act_222/assigned_users', { business: '100' }, ctx); // reads 90 % on 222
    await g.call('GET', 'act_333/assigned_users', { business: '100' }, ctx);
    await g.call('GET', '100/business_users', {}, ctx);
    assert.deepEqual(slept, [], 'other objects go at full speed');
    await g.call('POST', 'act_222/assigned_users', { user: '7', tasks: ['ANALYZE'] }, ctx).catch(() => {});
    await g.sendBatch([{ method: 'GET', relativeUrl: 'act_333/assigned_users' }, { method: 'GET', relativeUrl: 'act_222/assigned_users' }], ctx);
    assert.deepEqual(slept, [appUsageDelayMs(90), appUsageDelayMs(90)]);
    now += APP_USAGE.PAUSE_MS + 1;
    await g.call('GET', 'act_222/assigned_users', { business: '100' }, ctx);
    assert.equal(slept.length, 2, 'a reading older than PAUSE_MS no longer counts');
  });

  test('a call refused locally at 95 % X-App-Usage sent nothing: notApplied, for a call, a page and a batch alike', async () => {
    const now = 1_000_000;
    let calls = 0;
    const fetchFn = (async () => {
      calls++;
      return new Response('{"data":[]}', { status: 200, headers: { 'content-type': 'application/json', 'x-app-usage': JSON.stringify({ call_count: 97, total_time: 1, total_cputime: 1 }) } });
    }) as typeof fetch;
    const http = new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok-1234'] });
    const g = new GraphClient({ http, version: 'v25.0', token: 'tok-1234', businessId: '100', book: new RateLimitBook(() => now), clock: () => now, sleep: async () => {} });
    const ctx = { what: 'remove 101 from business 100', businessId: '100' };
    await g.call('GET', '100/business_users', {}, ctx); // reads 97 %
    const refusals = [
      () => g.call('DELETE', '101', {}, ctx),
      () => g.page('100/business_users', {}, undefined, ctx),
      () => g.batch([{ method: 'POST', relativeUrl: 'act_1/assigned_users', body: { user: '101', tasks: ['ANALYZE'] } }], ctx),
    ];
    for (const refused of refusals) {
      await assert.rejects(refused(), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.limitScope === 'app' && e.providerCode === 'local' && e.notApplied === true);
    }
    assert.equal(calls, 1, 'nothing sent after the 97 % reading');
  });

  test('368 blocks the business: later calls for it are refused without calling, token inspection still goes', async () => {
    const blocked = { error: { message: '(#368) The action attempted has been deemed abusive or is otherwise disallowed', type: 'OAuthException', code: 368, fbtrace_id: 'x' } };
    const { fetchFn, asked } = replay([() => blocked, () => ({ data: { is_valid: true } })]);
    const g = client('http://127.0.0.1:9', fetchFn);
    const ctx = { what: 'meta-business: test', businessId: '100' };
    await assert.rejects(g.call('POST', '101', { role: 'ADMIN' }, ctx), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.limitScope === 'business:100');
    for (const call of [() => g.call('GET', '100/business_users', {}, ctx), () => g.batch([{ method: 'GET', relativeUrl: 'act_1/assigned_users?business=100' }], ctx)]) {
      await assert.rejects(call(), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.providerCode === 'local' && e.notApplied === true && (e.retryAfterMs ?? 0) > 0);
    }
    assert.equal(asked.length, 1, 'refused without calling Meta');
    await g.call('GET', 'debug_token', { input_token: 'tok-1234' }, ctx);
    assert.equal(asked.length, 2);
  });

  test('a BUC throttle (80004) on an ad account stops calls on that ad account, and only there, until the wait passes', async () => {
    let now = Date.UTC(2026, 0, 5, 12);
    const emulator = createMetaEmulator({ now: () => now });
    const server = await emulator.listen(0, '127.0.0.1');
    try {
      const book = new RateLimitBook(() => now);
      const http = new HttpClient({ baseUrl: server.url, secrets: () => [SANDBOX.token] });
      const graph = new GraphClient({ http, version: 'v25.0', token: SANDBOX.token, businessId: SANDBOX.businessId, book, clock: () => now });
      const log = { debug() {}, info() {}, warn() {}, error() {} };
      const ctx: MetaContext = { businessId: SANDBOX.businessId, graph, writes: new WriteBatcher(graph), partnerGraph: () => undefined, book, log, check: () => undefined };
      const input = { asset: { type: 'ad_account' as const, id: 'act_111' }, userId: SANDBOX.employees[0], tasks: ['ANALYZE'] };
      emulator.control.setFaults({ throttle: { code: 80004, match: 'act_111', regainMinutes: 30 } });
      await assert.rejects(assignAsset(ctx, input), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.providerCode === '80004/2446079' && e.retryAfterMs === 30 * 60_000);
      emulator.control.clearCalls();
      for (let i = 0; i < 2; i++) {
        await assert.rejects(assignAsset(ctx, input), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.providerCode === 'local' && e.notApplied === true && e.retryAfterMs === 30 * 60_000);
      }
      await assert.rejects(listAssignments(ctx, [input.asset]), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited');
      assert.equal(emulator.calls.length, 0, 'no call on the throttled ad account reached Graph');
      // Other objects share no quota with it: they are called.
      await listAssignments(ctx, [{ type: 'ad_account', id: 'act_112' }]);
      await listMembers(ctx);
      assert.ok(emulator.calls.some((c) => c.path.startsWith('/act_112/')) && emulator.calls.some((c) => c.path.endsWith('/business_users')));
      assert.ok(!emulator.calls.some((c) => c.path.includes('act_111')));
      now += 30 * 60_000 + 1;
      emulator.control.setFaults({});
      assert.equal(await assignAsset(ctx, input), 'done');
    } finally {
      await server.close();
    }
  });

  test('code 4 on an ad account whose BUC header names a wait: the app waits code 4\'s 10 min, the ad account its own quota time', async () => {
    const now = Date.UTC(2026, 0, 5, 12);
    const emulator = createMetaEmulator({ now: () => now });
    const server = await emulator.listen(0, '127.0.0.1');
    try {
      const ctx = { what: 'meta-business: test', businessId: SANDBOX.businessId };
      for (const regainMinutes of [1, 30]) {
        const book = new RateLimitBook(() => now);
        const http = new HttpClient({ baseUrl: server.url, secrets: () => [SANDBOX.token] });
        const graph = new GraphClient({ http, version: 'v25.0', token: SANDBOX.token, businessId: SANDBOX.businessId, book, clock: () => now });
        emulator.control.setFaults({ throttle: { code: 4, match: 'act_111', regainMinutes } });
        await assert.rejects(graph.call('GET', 'act_111/assigned_users', { business: SANDBOX.businessId, fields: 'id,tasks' }, ctx),
          (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.providerCode === '4' && e.limitScope === 'app' && e.retryAfterMs === 10 * 60_000);
        assert.equal(book.remainingMs('app'), 10 * 60_000, `regain ${regainMinutes} min: the app-level limit's own wait`);
        assert.equal(book.remainingMs('111'), regainMinutes * 60_000, 'the ad account waits what its quota says');
      }
    } finally {
      await server.close();
    }
  });

  test('a write answered by a redirect was not made: it fails, never reads as done (the client follows no redirect)', async () => {
    const asked: string[] = [];
    const fetchFn = (async (input: URL | RequestInfo, init?: RequestInit) => {
      asked.push(`${init?.method} ${String(input)}`);
      return new Response(null, { status: 307, headers: { location: 'http://127.0.0.1:10/elsewhere' } });
    }) as typeof fetch;
    const g = client('http://127.0.0.1:9', fetchFn);
    for (const method of ['DELETE', 'POST'] as const) {
      await assert.rejects(g.call(method, '200', { role: 'EMPLOYEE' }, { what: 'meta-business: test', businessId: '100' }),
        (e: unknown) => e instanceof ConnectorError && e.providerCode === 'http 307');
    }
    assert.equal(asked.length, 2, 'the Location was not called');
  });
});
