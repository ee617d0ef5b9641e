import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';
import type { ThrottleCode } from './faults.ts';

const BIZ = SANDBOX.businessId;

describe('fault injection (Graph error codes and rate limits)', () => {
  const throttles: Array<[ThrottleCode, number | undefined]> = [[4, undefined], [17, undefined], [32, undefined], [341, undefined], [613, undefined], [80004, 2446079]];
  for (const [code, subcode] of throttles) {
    test(`throttle ${code} with estimated_time_to_regain_access`, async () => {
      const g = await startTestGraph({ faults: { throttle: { code, regainMinutes: 12, match: 'assigned_users' } } });
      try {
        assert.equal((await g.get(`/${BIZ}/system_users`)).status, 200, 'unmatched paths pass');
        const r = await g.get('/act_111/assigned_users', { business: BIZ });
        assert.equal(r.status, 400);
        assert.equal(r.body.error.code, code);
        assert.equal(r.body.error.error_subcode, subcode);
        assert.equal('is_transient' in r.body.error, false, 'no is_transient: Meta documents it on no throttling error');
        const buc = JSON.parse(r.headers.get('x-business-use-case-usage')!);
        assert.equal(buc['111'][0].estimated_time_to_regain_access, 12);
        if (code === 4) assert.equal(JSON.parse(r.headers.get('x-app-usage')!).call_count, 100);
      } finally {
        await g.close();
      }
    });
  }

  test('businessUsersSeen: business_users lists only that many people; their seats and asset edges stay', async () => {
    const g = await startTestGraph({ faults: { businessUsersSeen: 2 } });
    try {
      const listed = (await g.get(`/${BIZ}/business_users`, { fields: 'id', limit: '1' })).body;
      assert.equal(listed.data.length, 1);
      const next = (await g.raw(new URL(listed.paging.next).pathname + new URL(listed.paging.next).search)).body;
      assert.equal(next.data.length, 1);
      assert.equal(next.paging?.next, undefined, 'no third person is listed');
      g.emulator.control.setFaults({});
      const all = (await g.get(`/${BIZ}/business_users`, { fields: 'id' })).body.data.map((u: { id: string }) => u.id);
      assert.ok(all.length > 2);
      assert.deepEqual([listed.data[0].id, next.data[0].id], all.slice(0, 2), 'the first people by creation');
    } finally {
      await g.close();
    }
  });

  test('listingLagMs: a new invite shows in pending_users only once the lag has passed', async () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    const g = await startTestGraph({ now: () => now, faults: { listingLagMs: 60_000 } });
    try {
      const made = await g.post(`/${BIZ}/business_users`, { email: 'lagged@sandbox.example', role: 'EMPLOYEE' });
      assert.equal(made.status, 200);
      const listed = async () => (await g.get(`/${BIZ}/pending_users`, { email: 'lagged@sandbox.example' })).body.data.map((i: { id: string }) => i.id);
      assert.deepEqual(await listed(), []);
      assert.ok((await g.get(`/${BIZ}/pending_users`)).body.data.some((i: { id: string }) => i.id === SANDBOX.pendingInviteId), 'older invites stay listed');
      now += 60_000;
      assert.deepEqual(await listed(), [made.body.id]);
    } finally {
      await g.close();
    }
  });

  test('a throttle on a business-node edge carries X-App-Usage only, no BUC header', async () => {
    const g = await startTestGraph({ faults: { throttle: { code: 613, regainMinutes: 12, match: 'business_users|pending_users' } } });
    try {
      for (const r of [await g.post(`/${BIZ}/business_users`, { email: 'a@sandbox.example', role: 'EMPLOYEE' }), await g.get(`/${BIZ}/pending_users`)]) {
        assert.equal(r.body.error.code, 613);
        assert.equal(r.headers.get('x-business-use-case-usage'), null);
        assert.ok(JSON.parse(r.headers.get('x-app-usage')!).call_count < 100);
      }
    } finally {
      await g.close();
    }
  });

  test('throttle after N calls, lifted when the clock passes regain time', async () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    const g = await startTestGraph({ now: () => now, faults: { throttle: { code: 80004, afterCalls: 2, regainMinutes: 5 } } });
    try {
      const codes = async () => (await g.get('/act_111/assigned_users', { business: BIZ })).status;
      assert.deepEqual([await codes(), await codes(), await codes()], [200, 200, 400]);
      now += 2 * 60_000;
      const r = await g.get('/act_111/assigned_users', { business: BIZ });
      assert.equal(JSON.parse(r.headers.get('x-business-use-case-usage')!)['111'][0].estimated_time_to_regain_access, 3);
      now += 3 * 60_000;
      assert.equal(await codes(), 200);
    } finally {
      await g.close();
    }
  });

  test('a throttle counts batch operations, not the batch envelope', async () => {
    const g = await startTestGraph({ faults: { throttle: { code: 613, afterCalls: 3 } } });
    try {
      const ops = Array.from({ length: 5 }, () => ({ method: 'GET', relative_url: `${BIZ}/system_users` }));
      const b = await g.raw('/v25.0/', { method: 'POST', body: new URLSearchParams({ access_token: SANDBOX.token, batch: JSON.stringify(ops) }) });
      assert.equal(b.status, 200);
      assert.deepEqual(b.body.map((op: { code: number }) => op.code), [200, 200, 200, 400, 400]);
    } finally {
      await g.close();
    }
  });

  test('errorRate 1 gives 500 with code 1 or 2; batch ops fail one by one', async () => {
    const g = await startTestGraph({ faults: { errorRate: 1, match: 'system_users' } });
    try {
      const r = await g.get(`/${BIZ}/system_users`);
      assert.equal(r.status, 500);
      assert.ok([1, 2].includes(r.body.error.code));
      const b = await g.raw('/v25.0/', {
        method: 'POST',
        body: new URLSearchParams({ access_token: SANDBOX.token, batch: JSON.stringify([{ method: 'GET', relative_url: `${BIZ}/system_users` }, { method: 'GET', relative_url: `${BIZ}/owned_pages` }]) }),
      });
      assert.deepEqual(b.body.map((op: { code: number }) => op.code), [500, 200]);
    } finally {
      await g.close();
    }
  });

  test('the same seed gives the same faults', async () => {
    const run = async () => {
      const g = await startTestGraph({ faults: { errorRate: 0.5, seed: 7 } });
      try {
        const out: number[] = [];
        for (let i = 0; i < 12; i++) out.push((await g.get(`/${BIZ}/system_users`)).status);
        return out;
      } finally {
        await g.close();
      }
    };
    const a = await run();
    assert.deepEqual(await run(), a);
    assert.ok(a.includes(500) && a.includes(200), String(a));
  });

  test('timeouts hold the request until the client gives up; drops reset the socket; both are recorded', async () => {
    const g = await startTestGraph({ faults: { timeoutRate: 1 } });
    try {
      await assert.rejects(fetch(`${g.url}/v25.0/${BIZ}/system_users?access_token=${SANDBOX.token}`, { signal: AbortSignal.timeout(200) }), /TimeoutError|aborted/i);
      g.emulator.control.setFaults({ dropRate: 1 });
      await assert.rejects(fetch(`${g.url}/v25.0/${BIZ}/system_users?access_token=${SANDBOX.token}`), /fetch failed/);
      assert.deepEqual(g.emulator.calls.map((c) => c.status), [0, 0]);
      g.emulator.control.setFaults({});
      assert.equal((await g.get(`/${BIZ}/system_users`)).status, 200);
    } finally {
      await g.close();
    }
  });

  test('lostReply: the write is made, its answer lost (socket destroyed); reads and later writes are answered', async () => {
    const g = await startTestGraph({ faults: { lostReply: { match: 'business_users$' } } });
    try {
      assert.equal((await g.get(`/${BIZ}/business_users`)).status, 200, 'a read is never lost');
      await assert.rejects(fetch(`${g.url}/v25.0/${BIZ}/business_users?access_token=${SANDBOX.token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'lost@sandbox.example', role: 'EMPLOYEE' }) }), /fetch failed/);
      assert.ok(g.emulator.control.state().invites.some((i) => i.email === 'lost@sandbox.example' && i.status === 'PENDING'), 'the invite was made');
      assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'next@sandbox.example', role: 'EMPLOYEE' })).status, 200, 'one reply lost (calls: 1 by default)');
    } finally {
      await g.close();
    }
  });

  test('plainForbidden: the next matching calls get a plain HTTP 403 without a Graph envelope and change nothing', async () => {
    const g = await startTestGraph({ faults: { plainForbidden: { match: 'business_users$', calls: 2 } } });
    try {
      assert.equal((await g.get(`/${BIZ}/system_users`)).status, 200, 'unmatched paths pass');
      const refused = await g.post(`/${BIZ}/business_users`, { email: 'quota@sandbox.example', role: 'EMPLOYEE' });
      assert.deepEqual([refused.status, refused.body], [403, undefined]);
      assert.equal((await g.get(`/${BIZ}/business_users`)).status, 403);
      assert.ok(!g.emulator.control.state().invites.some((i) => i.email === 'quota@sandbox.example'), 'nothing was invited');
      assert.equal((await g.get(`/${BIZ}/business_users`)).status, 200, 'two calls refused, then answered');
      assert.deepEqual(g.emulator.calls.filter((c) => c.path.endsWith('business_users')).map((c) => c.status), [403, 403, 200]);
    } finally {
      await g.close();
    }
  });

  test('latency, and faults changed over HTTP (PUT /__emulator/faults), calls listed at GET /__emulator/calls', async () => {
    const g = await startTestGraph({ latencyMs: 60 });
    try {
      const t0 = performance.now();
      await g.get(`/${BIZ}/system_users`);
      assert.ok(performance.now() - t0 >= 55);
      const put = await g.raw('/__emulator/faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ throttle: { code: 613 } }) });
      assert.equal(put.status, 200);
      assert.equal((await g.get(`/${BIZ}/business_users`)).body.error.code, 613);
      assert.equal((await g.raw('/__emulator/faults', { method: 'PUT', body: '{bad' })).status, 400);
      const calls = await g.raw('/__emulator/calls');
      assert.deepEqual(calls.body.map((c: { status: number }) => c.status), [200, 400]);
      g.emulator.control.clearCalls();
      assert.equal(g.emulator.calls.length, 0);
    } finally {
      await g.close();
    }
  });
});
