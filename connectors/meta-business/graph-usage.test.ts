import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUsage } from './graph-usage.ts';
import { bucObjectOf } from './graph-errors.ts';

test('X-Business-Use-Case-Usage keyed act_<id> names the same object as the bare id calls are looked up by', () => {
  const entry = { type: 'ads_management', call_count: 100, total_cputime: 20, total_time: 20, estimated_time_to_regain_access: 7 };
  for (const key of ['66782684', 'act_66782684']) {
    const usage = parseUsage({ 'x-business-use-case-usage': JSON.stringify({ [key]: [entry] }) });
    assert.deepEqual(usage.regainByObject, { [bucObjectOf('act_66782684/assigned_users')]: 7 * 60_000 }, key);
    assert.equal(usage.percent['66782684'], 100);
  }
});

test('a use case none of our calls falls under (ads_insights, …) out of quota blocks nothing; ads_management and untyped entries do', () => {
  const entry = (type: string | undefined, regain: number) => ({ ...(type ? { type } : {}), call_count: 100, total_cputime: 20, total_time: 20, estimated_time_to_regain_access: regain });
  const header = { 'x-business-use-case-usage': JSON.stringify({
    111: [entry('ads_insights', 30), entry('ads_management', 0)],
    222: [entry('ads_management', 5)],
    333: [entry(undefined, 4)],
    444: [entry('custom_audience', 60)],
  }) };
  const usage = parseUsage(header);
  assert.deepEqual(usage.regainByObject, { 222: 5 * 60_000, 333: 4 * 60_000 });
  assert.equal(usage.regainAccessMs, 5 * 60_000);
  // An error answer: the call itself was throttled, so every wait in its header counts.
  assert.equal(parseUsage(header, { countAll: true }).regainAccessMs, 60 * 60_000);
});

test('GraphClient: an answer naming act_111 out of ads_insights quota leaves act_111 callable', async () => {
  const { HttpClient } = await import('../sdk/http.ts');
  const { RateLimitBook } = await import('../sdk/rate-limit-book.ts');
  const { GraphClient } = await import('./graph-client.ts');
  const buc = JSON.stringify({ 111: [{ type: 'ads_insights', call_count: 100, total_cputime: 100, total_time: 100, estimated_time_to_regain_access: 30 }, { type: 'ads_management', call_count: 10, total_cputime: 5, total_time: 5, estimated_time_to_regain_access: 0 }] });
  let calls = 0;
  const fetchFn = (async () => {
    calls++;
    return new Response('{"data":[]}', { status: 200, headers: { 'content-type': 'application/json', 'x-business-use-case-usage': buc } });
  }) as typeof fetch;
  const book = new RateLimitBook();
  const g = new GraphClient({ http: new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok'] }), version: 'v25.0', token: 'tok', businessId: '100', book });
  const ctx = { what: 'meta-business: test', businessId: '100' };
  await g.call('GET', 'act_111/assigned_users', { business: '100' }, ctx);
  assert.equal(book.remainingMs('111'), 0, 'not blocked by another use case');
  await g.call('GET', 'act_111/assigned_users', { business: '100' }, ctx);
  assert.equal(calls, 2, 'the second call was sent');
});

test('estimated_time_to_regain_access past any quota window (or not a number) is bounded: a day at most, never a block a Date cannot hold', async () => {
  const { MAX_REGAIN_MS } = await import('./graph-usage.ts');
  const header = (regain: unknown) => ({ 'x-business-use-case-usage': JSON.stringify({ 222: [{ type: 'ads_management', call_count: 100, total_cputime: 9, total_time: 9, estimated_time_to_regain_access: regain }] }) });
  for (const [regain, ms] of [[1e12, MAX_REGAIN_MS], ['Infinity', MAX_REGAIN_MS], [1e308, MAX_REGAIN_MS], ['7', 7 * 60_000], ['abc', 0], [-5, 0], [null, 0], [[3], 0]] as Array<[unknown, number]>) {
    assert.equal(parseUsage(header(regain)).regainByObject['222'] ?? 0, ms, JSON.stringify(regain));
  }
  assert.equal(MAX_REGAIN_MS, 24 * 3_600_000);
  // Through the client: the block shared with the other replicas is one the store can record.
  const { HttpClient } = await import('../sdk/http.ts');
  const { RateLimitBook } = await import('../sdk/rate-limit-book.ts');
  const { GraphClient } = await import('./graph-client.ts');
  const told: Array<[string, number]> = [];
  const fetchFn = (async () => new Response('{"data":[]}', { status: 200, headers: { 'content-type': 'application/json', ...header(1e12) } })) as typeof fetch;
  const book = new RateLimitBook(Date.now, (scope, until) => told.push([scope, until]));
  const g = new GraphClient({ http: new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok'] }), version: 'v25.0', token: 'tok', businessId: '100', book });
  await g.call('GET', '100/business_users', {}, { what: 'meta-business: test', businessId: '100' });
  assert.equal(told.length, 1);
  assert.doesNotThrow(() => new Date(told[0]![1]).toISOString());
  assert.ok(book.remainingMs('222') <= MAX_REGAIN_MS);
});
