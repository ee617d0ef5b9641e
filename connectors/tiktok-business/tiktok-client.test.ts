import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import type { FaultConfig } from './emulator/faults.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';
import { Pacer, ThrottleBackoff } from './pacing.ts';
import { startTikTokTestBed } from './test-setup.ts';
import { MAX_LIST_PAGES, READ_ATTEMPTS, TikTokClient } from './tiktok-client.ts';

interface Reading {
  error?: ConnectorError;
  /** Calls that reached the emulator, and the waits the client asked for between them. */
  calls: number;
  waits: number[];
}

const firstPage = (client: TikTokClient) => client.page('bc/member/get', { bc_id: S.bcId }, 1, 20, 'read members');

/** Reads the first page of members (or `read`) under `faults`, with the client's waits recorded instead of slept. */
async function readMembersWith(faults: FaultConfig, extraMembers = 0, read: (client: TikTokClient) => Promise<unknown> = firstPage): Promise<Reading & { rows?: unknown }> {
  const bed = await startTikTokTestBed({ faults });
  try {
    const state = bed.emulator.control.state();
    for (let i = 0; i < extraMembers; i++) state.members.push({ bc_id: S.bcId, user_id: `72000000000000020${String(i).padStart(2, '0')}`, user_name: `P${i}`, user_email: `p${i}@example.com`, user_role: 'STANDARD', relation_status: 'BOUND' });
    bed.emulator.control.seed(state);
    const waits: number[] = [];
    const client = new TikTokClient({
      http: new HttpClient({ baseUrl: bed.url, timeoutMs: 2000, secrets: () => [S.token] }), version: 'v1.3', token: S.token, bcId: S.bcId,
      book: new RateLimitBook(), pacer: new Pacer({ qps: 1000, qpm: 60_000 }), backoff: new ThrottleBackoff(),
      sleep: async (ms) => void waits.push(ms), random: () => 0.5,
    });
    const [rows, error] = await read(client).then((r): [unknown, ConnectorError?] => [r], (e: ConnectorError): [unknown, ConnectorError?] => [undefined, e]);
    return { ...(error ? { error } : { rows }), calls: bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/get').length, waits };
  } finally {
    await bed.close();
  }
}

describe('page reads never re-read a failed page back to back', () => {
  // "Return codes": 50000, 50002, 51xxx and 52xxx mean retry with backoff.
  for (const code of [50000, 50002, 51060, 52000]) {
    test(`a page answered ${code} is read again after 1 s, then 2 s, then fails unavailable`, async () => {
      const r = await readMembersWith({ codes: [{ match: 'bc/member/get', code }] });
      assert.deepEqual([r.error?.kind, r.error?.providerCode, r.calls, r.waits], ['unavailable', String(code), READ_ATTEMPTS, [1000, 2000]]);
    });
  }

  test('a service error that clears is read again once, after the wait', async () => {
    const r = await readMembersWith({ codes: [{ match: 'bc/member/get', code: 50002, times: 1 }] });
    assert.deepEqual([r.error, r.calls, r.waits], [undefined, 2, [1000]]);
  });

  test('an HTTP 5xx fails unavailable after one call, with TikTok\'s advised wait of about 5 minutes for the caller', async () => {
    const r = await readMembersWith({ httpErrorRate: 1, match: 'bc/member/get' });
    assert.deepEqual([r.error?.kind, r.error?.providerCode, r.error?.retryAfterMs, r.calls, r.waits], ['unavailable', 'http 503', 5 * 60_000, 1, []]);
  });

  test('a dropped answer is read again after the same backoff', async () => {
    const r = await readMembersWith({ dropRate: 1, match: 'bc/member/get' });
    assert.deepEqual([r.error?.kind, r.calls, r.waits], ['unavailable', READ_ATTEMPTS, [1000, 2000]]);
  });

  test('a short page (rows moved while TikTok answered) is read again at once', async () => {
    // A full first page (20 rows) for the emulator to cut.
    const r = await readMembersWith({ shortPageRate: 1, match: 'bc/member/get', seed: 3 }, 30);
    assert.deepEqual([r.error?.kind, r.error?.providerCode, r.calls, r.waits], ['unavailable', 'short-page', READ_ATTEMPTS, []]);
  });

  // A write's look-up reads the BOUND listing whole (`all`): 35 rows, page 2 holding 15.
  const bound = (client: TikTokClient) => client.all<{ user_id: string }>('bc/member/get', { bc_id: S.bcId, filtering: { relation_status: 'BOUND' } }, 20, 'read members', (r) => r.user_id);
  test('a whole-list read whose later page comes back cut every time fails short-page, never fewer members', async () => {
    const r = await readMembersWith({ shortPages: [{ match: 'bc/member/get', page: 2, keep: 3 }] }, 30, bound);
    assert.deepEqual([r.error?.kind, r.error?.providerCode, r.calls], ['unavailable', 'short-page', 1 + READ_ATTEMPTS]);
  });

  test('a whole-list read whose later page comes back cut once reads it again and has every row', async () => {
    const r = await readMembersWith({ shortPages: [{ match: 'bc/member/get', page: 2, keep: 3, times: 1 }] }, 30, bound);
    assert.deepEqual([r.error, (r.rows as unknown[]).length, r.calls], [undefined, 35, 3]);
  });
});

describe('calls as metrics see them', () => {
  test('a 40100 (HTTP 200) is reported to onCall as throttled; an answered call is not', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/get', code: 40100, times: 1 }] } });
    try {
      const seen: Array<{ status: number; throttled?: boolean }> = [];
      const c = bed.connector({ onCall: (call) => seen.push({ status: call.status, throttled: call.throttled }) });
      await assert.rejects(c.listMembers!(), (e: ConnectorError) => e.kind === 'rate-limited');
      await new Promise((r) => setTimeout(r, 1300)); // the backoff's first wait (1 s ± 20 %)
      await c.listMembers!();
      assert.deepEqual(seen.slice(0, 2), [{ status: 200, throttled: true }, { status: 200, throttled: false }]);
    } finally {
      await bed.close();
    }
  });
});

/** A client whose every list call is answered by `pageOf(page)` (an envelope's `data`). */
const clientAnswering = (pageOf: (page: number) => unknown) => new TikTokClient({
  http: new HttpClient({
    baseUrl: 'http://tiktok.invalid', timeoutMs: 2000, secrets: () => [S.token],
    fetch: async (input) => {
      const page = Number(new URL(String(input instanceof Request ? input.url : input)).searchParams.get('page'));
      return new Response(JSON.stringify({ code: 0, message: 'OK', request_id: 'r', data: pageOf(page) }), { status: 200, headers: { 'content-type': 'application/json' } });
    },
  }),
  version: 'v1.3', token: S.token, bcId: S.bcId,
  book: new RateLimitBook(), pacer: new Pacer({ qps: 1000, qpm: 60_000 }), backoff: new ThrottleBackoff(),
  sleep: async () => {}, random: () => 0.5,
});
const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ user_id: String(from + i) }));
const all = (client: TikTokClient) => client.all<{ user_id: string }>('bc/member/get', { bc_id: S.bcId }, 20, 'read members', (r) => r.user_id);

describe('page_info that cannot say where the list ends fails the read; it never cuts a listing short', () => {

  test('a full page without page_info is refused (unavailable), not taken for the whole list', async () => {
    await assert.rejects(all(clientAnswering((page) => ({ list: rows((page - 1) * 20, 20) }))), (e: ConnectorError) =>
      e.kind === 'unavailable' && /without page_info: cannot tell whether more rows follow/.test(e.message));
  });

  test('a short page without page_info is the last', async () => {
    assert.equal((await all(clientAnswering(() => ({ list: rows(0, 5) })))).length, 5);
  });

  test('total_page missing is worked out from total_number, and numbers sent as strings are read', async () => {
    const got = await all(clientAnswering((page) => ({ list: rows((page - 1) * 20, Math.min(20, 45 - (page - 1) * 20)), page_info: { page: String(page), page_size: '20', total_number: '45' } })));
    assert.equal(got.length, 45);
  });

  test('an answer with neither list nor page_info is refused, not taken for an empty list', async () => {
    await assert.rejects(all(clientAnswering(() => ({}))), (e: ConnectorError) =>
      e.kind === 'unavailable' && /without a list or page_info/.test(e.message));
    // With page_info saying there are no rows, a missing list is the empty list it says.
    assert.deepEqual(await all(clientAnswering(() => ({ page_info: { page: 1, page_size: 20, total_number: 0, total_page: 0 } }))), []);
  });

  test('a total_page too small for total_number is refused, never a listing cut at total_page', async () => {
    await assert.rejects(all(clientAnswering((page) => ({ list: rows((page - 1) * 20, 20), page_info: { page, page_size: 20, total_number: 45, total_page: 1 } }))), (e: ConnectorError) =>
      e.kind === 'unavailable' && /cannot hold its 45 rows/.test(e.message));
  });

  test('a total_number below the rows the page holds is refused, never a listing cut at its total_page', async () => {
    // A full first page whose page_info counts no rows (or fewer than it holds) cannot say where
    // the list ends: taken at its word, the read stopped after page 1 with more rows unread.
    await assert.rejects(all(clientAnswering((page) => ({ list: rows((page - 1) * 20, 20), page_info: { page, page_size: 20, total_number: 0, total_page: 0 } }))), (e: ConnectorError) =>
      e.kind === 'unavailable' && /counts 0 rows but page 1 holds 20/.test(e.message));
    await assert.rejects(all(clientAnswering((page) => ({ list: rows((page - 1) * 20, 20), page_info: { page, page_size: 20, total_number: 30, total_page: 2 } }))), (e: ConnectorError) =>
      e.kind === 'unavailable' && /counts 30 rows but pages 1 to 2 hold 40/.test(e.message));
  });

  test('a total_number that is no number is refused', async () => {
    await assert.rejects(all(clientAnswering((page) => ({ list: rows(0, 20), page_info: { page, page_size: 20, total_number: null, total_page: 3 } }))), (e: ConnectorError) =>
      e.kind === 'unavailable' && /gives no row or page count/.test(e.message));
  });
});

/**
 * A whole-list read (a write's look-up, a check's per-asset holders) asks for pages 2, 3, … up to
 * `total_page`, which TikTok's list answers say is ceil(total_number / page_size). Answers that
 * never let it end must stop it with an error (never the rows so far taken for the list), and
 * soon: before, each of these kept one task calling TikTok for hours (the test's timeout).
 */
describe('a whole-list read ends, whatever page_info says', () => {
  test('a total_page far beyond the rows (empty pages past them) is refused, not followed', { timeout: 10_000 }, async () => {
    let calls = 0;
    const client = clientAnswering((page) => {
      calls++;
      return { list: rows((page - 1) * 20, Math.max(0, Math.min(20, 30 - (page - 1) * 20))), page_info: { page, page_size: 20, total_number: 30, total_page: 1_000_000_000 } };
    });
    await assert.rejects(all(client), (e: ConnectorError) => e.kind === 'unavailable' && /1000000000 pages for its 30 rows .*2 needed/.test(e.message));
    assert.equal(calls, READ_ATTEMPTS, 'page 1, read again as any page_info that cannot say where the list ends');
  });

  test('a listing counted beyond MAX_LIST_PAGES fails internal at its first page, never read for hours', { timeout: 10_000 }, async () => {
    let calls = 0;
    const total = 20 * 10_000_000;
    const client = clientAnswering((page) => {
      calls++;
      return { list: rows((page - 1) * 20, 20), page_info: { page, page_size: 20, total_number: total, total_page: total / 20 } };
    });
    await assert.rejects(all(client), (e: ConnectorError) => e.kind === 'internal' && e.providerCode === 'too-many-pages' && /cannot be read whole/.test(e.message));
    assert.equal(calls, 1);
    // One page short of the cap is still read whole.
    const fits = clientAnswering((page) => ({ list: rows((page - 1) * 20, 20), page_info: { page, page_size: 20, total_number: 20 * MAX_LIST_PAGES, total_page: MAX_LIST_PAGES } }));
    assert.equal((await all(fits)).length, 20 * MAX_LIST_PAGES);
  });

  test('a total that grows on every page: read again at most 3 times, two pages each, then listing-changed', { timeout: 10_000 }, async () => {
    let calls = 0;
    const client = clientAnswering((page) => {
      calls++;
      const total = 20 * (calls + 1);
      return { list: rows((page - 1) * 20, 20), page_info: { page, page_size: 20, total_number: total, total_page: calls + 1 } };
    });
    await assert.rejects(all(client), (e: ConnectorError) => e.kind === 'unavailable' && e.providerCode === 'listing-changed');
    assert.equal(calls, 6);
  });
});
