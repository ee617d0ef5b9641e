/**
 * TikTok's own sandbox environment (https://sandbox-ads.tiktok.com/open_api/) allows 1 QPS and
 * 30 QPM per endpoint (Rate limits, https://business-api.tiktok.com/portal/docs/rate-limits/v1.3),
 * a fifth of the default pace. A hub whose `apiBaseUrl` is that host paces itself to it unless a
 * pace is given. Driven with mocked timers (no wall-clock waits): a fake fetch answers at once and
 * counts the calls that left.
 */
import { afterEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTikTokBusiness } from './connector.ts';
import { DEFAULT_PACE, Pacer, paceFor, ThrottleBackoff, TIKTOK_SANDBOX_PACE } from './pacing.ts';
import { TikTokClient } from './tiktok-client.ts';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { silentLog } from './test-setup.ts';

const BC = '7000000000000000001';

function countingFetch(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const answer = (async (url: URL | string) => {
    calls.push(String(url));
    const body = { code: 0, message: 'OK', request_id: 'r', data: { list: [{ bc_info: { bc_id: BC }, user_role: 'ADMIN' }], page_info: { page: 1, page_size: 10, total_number: 1, total_page: 1 } } };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetch: answer, calls };
}

/** Lets the microtasks of the calls in flight run (the pacer's and fetch's promises). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

describe('pace at TikTok\'s sandbox host', () => {
  afterEach(() => mock.timers.reset());

  test('paceFor: the sandbox host gets 1 QPS / 30 QPM, any other host the default, a pace asked for wins', () => {
    assert.deepEqual(paceFor('https://sandbox-ads.tiktok.com'), { qps: 1, qpm: 30, qpd: 1_000 });
    assert.deepEqual(paceFor('https://SANDBOX-ADS.tiktok.com:443'), TIKTOK_SANDBOX_PACE);
    assert.deepEqual(paceFor('https://business-api.tiktok.com'), DEFAULT_PACE);
    assert.deepEqual(paceFor('https://sandbox-ads.tiktok.com', { qps: 3, qpm: 90 }), { qps: 3, qpm: 90 });
  });

  for (const [host, inFirstSecond] of [['https://sandbox-ads.tiktok.com', 1], ['https://business-api.tiktok.com', 3]] as const) {
    test(`three calls at once against ${host}: ${inFirstSecond} leave in the first second`, async () => {
      mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-11-01T10:00:00.000Z') });
      const { fetch, calls } = countingFetch();
      const connector = createTikTokBusiness({ businessCenterId: BC, accessToken: 'T', apiBaseUrl: host }, { log: silentLog, fetch });
      const checks = [connector.checkCredential!(), connector.checkCredential!(), connector.checkCredential!()];
      await settle();
      assert.equal(calls.length, inFirstSecond);
      mock.timers.tick(999);
      await settle();
      assert.equal(calls.length, inFirstSecond, 'none more within the same second');
      for (let i = 0; i < 3; i++) {
        mock.timers.tick(1000);
        await settle();
      }
      assert.equal(calls.length, 3);
      for (const h of await Promise.all(checks)) assert.equal(h.valid, true);
    });
  }

  test('the sandbox\'s 1,000 calls a day (TikTok: 1,000 QPD): the 1,001st is refused here until 00:00 UTC, and the whole app scope waits', async () => {
    // TikTok "Rate limits": past the QPD limit every call is throttled until 00:00:00 UTC. Sent
    // anyway, each was one more 40100; refused here, none leaves.
    let now = Date.parse('2026-11-01T10:00:00.000Z');
    const { fetch, calls } = countingFetch();
    const book = new RateLimitBook(() => now);
    const client = new TikTokClient({
      http: new HttpClient({ baseUrl: 'https://sandbox-ads.tiktok.com', timeoutMs: 2000, secrets: () => ['T'], fetch }), version: 'v1.3', token: 'T', bcId: BC,
      book, pacer: new Pacer(paceFor('https://sandbox-ads.tiktok.com'), () => now, async (ms) => void (now += ms)), backoff: new ThrottleBackoff(() => now),
    });
    for (let i = 0; i < 1_000; i++) await client.call('GET', 'bc/get', { bc_id: BC }, 'read the BC');
    assert.equal(calls.length, 1_000);
    const err = await client.call('GET', 'bc/get', { bc_id: BC }, 'read the BC').then(() => undefined, (e: ConnectorError) => e);
    assert.equal(err?.kind, 'rate-limited');
    assert.equal(err?.notApplied, true);
    assert.equal(err?.limitScope, 'app');
    const midnight = Date.parse('2026-11-02T00:00:00.000Z');
    assert.equal(err?.retryAfterMs, midnight - now);
    assert.match(err?.message ?? '', /^read the BC: /);
    assert.equal(calls.length, 1_000, 'nothing sent past the day\'s calls');
    assert.equal(book.remainingMs('app'), midnight - now, 'the app scope is blocked until 00:00 UTC');
    now = midnight;
    await client.call('GET', 'bc/get', { bc_id: BC }, 'read the BC');
    assert.equal(calls.length, 1_001, 'a new UTC day counts again');
  });
});
