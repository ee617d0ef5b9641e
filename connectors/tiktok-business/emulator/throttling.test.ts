import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from './test-client.ts';
import { TIKTOK_SANDBOX as S } from './sandbox-ids.ts';

const BC = S.bcId;

describe('tiktok emulator: app rate limits (40100) and fault injection', () => {
  test('past the app QPS: 40100 with HTTP 200, the call is not applied, and the next second is free', async () => {
    let now = Date.parse('2026-11-01T10:00:00.100Z');
    const api = await startTestApi({ now: () => now, rateLimits: { qps: 2, qpm: 100, qpd: 1000 } });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await api.post('bc/member/invite', { bc_id: BC, emails: [`q${i}@example.com`], asset_ids: [] })).body.code);
      assert.deepEqual(codes, [0, 0, 40100]);
      assert.ok(!api.emulator.control.state().members.some((m) => m.user_email === 'q2@example.com'), 'throttled call not applied');
      now += 1000;
      assert.equal((await api.get('bc/get', { bc_id: BC })).body.code, 0);
    } finally {
      await api.close();
    }
  });

  test('past the QPM: blocked for 5 minutes, started over by a call inside them; past the QPD: blocked until 00:00 UTC', async () => {
    let now = Date.parse('2026-11-01T10:00:00Z');
    const api = await startTestApi({ now: () => now, rateLimits: { qps: 100, qpm: 3, qpd: 7 } });
    try {
      const call = async () => (await api.get('bc/get', { bc_id: BC })).body.code;
      assert.deepEqual([await call(), await call(), await call(), await call()], [0, 0, 0, 40100]);
      now += 2 * 60_000;
      assert.equal(await call(), 40100, 'still inside the 5 minutes');
      now += 3 * 60_000;
      assert.equal(await call(), 40100, '5 minutes after the breach, but 3 after the call inside the block: it started over');
      now += 5 * 60_000;
      assert.equal(await call(), 0, '5 minutes without calls: the QPM block is over');
      assert.equal(await call(), 40100, 'the 8th call of the day passes the QPD');
      now += 5 * 60_000;
      assert.equal(await call(), 40100, 'a QPD block lasts until 00:00 UTC');
      now = Date.parse('2026-11-02T00:00:00Z');
      assert.equal(await call(), 0);
    } finally {
      await api.close();
    }
  });

  test('throttle fault: after N matching calls, for forMs; forced codes; service errors', async () => {
    let now = Date.parse('2026-11-01T10:00:00Z');
    const api = await startTestApi({ now: () => now, faults: { throttle: { afterCalls: 1, forMs: 2000, match: 'member/invite' } } });
    try {
      const invite = async (e: string) => (await api.post('bc/member/invite', { bc_id: BC, emails: [e], asset_ids: [] })).body.code;
      assert.equal((await api.get('bc/get', {})).body.code, 0, 'unmatched endpoints pass');
      assert.deepEqual([await invite('a@example.com'), await invite('b@example.com')], [0, 40100]);
      now += 2000;
      assert.equal(await invite('c@example.com'), 0);
      api.emulator.control.setFaults({ codes: [{ match: 'bc/asset/assign', code: 40202, times: 1 }] });
      const assign = { bc_id: BC, user_id: S.standard[0], asset_type: 'CATALOG', asset_id: S.catalogId, catalog_role: 'ADMIN' };
      assert.equal((await api.post('bc/asset/assign', assign)).body.code, 40202);
      assert.equal((await api.post('bc/asset/assign', assign)).body.code, 0);
      api.emulator.control.setFaults({ errorRate: 1, seed: 7 });
      const r = await api.get('bc/get', {});
      assert.equal(r.status, 200);
      assert.ok([50000, 50002, 51060].includes(r.body.code));
    } finally {
      await api.close();
    }
  });

  test('transport faults: HTTP 503, a dropped socket, a held request', async () => {
    const api = await startTestApi({ faults: { httpErrorRate: 1 } });
    try {
      assert.equal((await api.get('bc/get', {})).status, 503);
      api.emulator.control.setFaults({ dropRate: 1 });
      await assert.rejects(api.get('bc/get', {}));
      api.emulator.control.setFaults({ timeoutRate: 1 });
      await assert.rejects(fetch(`${api.url}/open_api/v1.3/bc/get/`, { headers: { 'Access-Token': S.token }, signal: AbortSignal.timeout(200) }));
      assert.deepEqual(api.emulator.calls.map((c) => c.status), [503, 0, 0]);
    } finally {
      await api.close();
    }
  });

  test('short pages keep page_info, so a reader can tell and read again', async () => {
    const api = await startTestApi({ faults: { shortPageRate: 1, seed: 3 } });
    try {
      const r = await api.get('bc/member/get', { bc_id: BC, page_size: 5 });
      assert.ok(r.body.data.list.length < 5);
      assert.equal(r.body.data.page_info.total_number, 7);
    } finally {
      await api.close();
    }
  });

  test('chosen short pages: the page asked for is cut to `keep` rows, `times` times, page_info unchanged', async () => {
    const api = await startTestApi({ faults: { shortPages: [{ match: 'bc/member/get', page: 2, keep: 1, times: 1 }, { match: 'bc/member/get', page: 4, keep: 1 }] } });
    try {
      const rows = async (page: number) => {
        const d = (await api.get('bc/member/get', { bc_id: BC, page, page_size: 2 })).body.data;
        return [d.list.length, d.page_info.total_number];
      };
      // 7 rows at 2 a page; page 4 holds 1, no more than it would keep: not cut.
      assert.deepEqual([await rows(1), await rows(2), await rows(2), await rows(4)], [[2, 7], [1, 7], [2, 7], [1, 7]]);
    } finally {
      await api.close();
    }
  });

  test('control endpoints over HTTP: accept by email, faults, state with tokens redacted', async () => {
    const api = await startTestApi();
    try {
      const accepted = await api.raw(`/__emulator/invites/${BC}/${encodeURIComponent(S.pendingEmail)}/accept`, { method: 'POST', body: JSON.stringify({ name: 'New Hire' }) });
      assert.match(accepted.body.userId, /^\d+$/);
      assert.equal((await api.raw(`/__emulator/invites/${BC}/${encodeURIComponent(S.pendingEmail)}/accept`, { method: 'POST' })).status, 409);
      assert.equal((await api.raw(`/__emulator/invites/${BC}/nobody%40example.com/decline`, { method: 'POST' })).status, 404);
      assert.equal((await api.raw('/__emulator/faults', { method: 'PUT', body: '{nope' })).status, 400);
      const state = await api.raw('/__emulator/state');
      assert.ok(state.body.tokens.every((t: { value: string }) => t.value === '[redacted]'));
      assert.ok(!state.text.includes(S.token));
    } finally {
      await api.close();
    }
  });
});
