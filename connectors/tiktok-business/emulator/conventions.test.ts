import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from './test-client.ts';
import { TIKTOK_SANDBOX as S } from './sandbox-ids.ts';

describe('tiktok emulator: URL, envelope and authentication conventions', () => {
  test('every answer that reaches the API is HTTP 200 with code, message, request_id and data, and X-Tt-Logid', async () => {
    const api = await startTestApi();
    try {
      const r = await api.get('bc/get', { bc_id: S.bcId });
      assert.equal(r.status, 200);
      assert.equal(r.body.code, 0);
      assert.equal(r.body.message, 'OK');
      assert.match(r.body.request_id, /^\d{14}\d{9}[0-9A-F]{6}$/);
      assert.equal(r.headers.get('x-tt-logid'), r.body.request_id);
      assert.equal(r.body.data.list[0].bc_info.bc_id, S.bcId);
      assert.equal(r.body.data.list[0].user_role, 'ADMIN');
      const e = await api.get('bc/member/get', {});
      assert.equal(e.status, 200);
      assert.equal(e.body.code, 40002);
      assert.deepEqual(e.body.data, {});
      assert.match(e.body.message, /bc_id/);
    } finally {
      await api.close();
    }
  });

  test('missing trailing slash: HTTP 404 plain text; wrong method: HTTP 405; unknown endpoint 40008; other version 40051', async () => {
    const api = await startTestApi();
    try {
      const noSlash = await api.raw(`/open_api/v1.3/bc/get?bc_id=${S.bcId}`, { headers: { 'Access-Token': S.token } });
      assert.deepEqual([noSlash.status, noSlash.text], [404, '404 page not found']);
      const wrongMethod = await api.raw('/open_api/v1.3/bc/member/invite/', { headers: { 'Access-Token': S.token } });
      assert.equal(wrongMethod.status, 405);
      assert.equal((await api.get('bc/member/list', { bc_id: S.bcId })).body.code, 40008);
      assert.equal((await api.raw('/open_api/v1.2/bc/get/', { headers: { 'Access-Token': S.token } })).body.code, 40051);
    } finally {
      await api.close();
    }
  });

  test('an endpoint name that is an Object.prototype key (constructor, toString, __proto__) is 40008 like any unknown name, not HTTP 405', async () => {
    const api = await startTestApi();
    try {
      for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
        const r = await api.raw(`/open_api/v1.3/${name}/`, { headers: { 'Access-Token': S.token } });
        assert.deepEqual([r.status, r.body?.code], [200, 40008], name);
      }
    } finally {
      await api.close();
    }
  });

  test('the token goes in the Access-Token header: 40104 without it (also when in the query), 40105 when unknown', async () => {
    const api = await startTestApi();
    try {
      const none = await api.get('bc/get', {}, null);
      assert.equal(none.body.code, 40104);
      assert.equal(none.body.message, 'Access token is null, you should set it in http header with key Access-Token.');
      const inQuery = await api.raw(`/open_api/v1.3/bc/get/?access_token=${S.token}`);
      assert.equal(inQuery.body.code, 40104);
      assert.equal((await api.get('bc/get', {}, 'not-a-token')).body.code, 40105);
      assert.ok(!JSON.stringify(api.emulator.calls).includes(S.token), 'the token is never recorded');
    } finally {
      await api.close();
    }
  });

  test('a token a client puts in the query (as the spec files spell it, Access-Token) or in a POST body is never recorded either', async () => {
    const api = await startTestApi();
    try {
      // TikTok's bc_*.yml specs declare `Access-Token` as a query parameter: a client that follows them sends it there.
      assert.equal((await api.raw(`/open_api/v1.3/bc/get/?Access-Token=${S.token}`)).body.code, 40104);
      const inBody = await api.post('bc/member/delete', { bc_id: S.bcId, user_id: '7200000000000000104', access_token: S.token, note: `token ${S.token}` });
      assert.equal(inBody.body.code, 40002);
      const log = JSON.stringify(api.emulator.calls);
      assert.equal(api.emulator.calls.length, 2);
      assert.ok(!log.includes(S.token), `the token is not in the call log: ${log}`);
      const overHttp = await api.raw('/__emulator/calls');
      assert.ok(!overHttp.text.includes(S.token), 'nor in /__emulator/calls');
    } finally {
      await api.close();
    }
  });

  test('POST bodies are JSON only; unknown fields, unsafe integers and bad JSON in filtering are 40002', async () => {
    const api = await startTestApi();
    try {
      const form = await api.raw('/open_api/v1.3/bc/member/update/', {
        method: 'POST', headers: { 'Access-Token': S.token, 'content-type': 'application/x-www-form-urlencoded' },
        body: `bc_id=${S.bcId}&user_id=${S.standard[0]}&user_role=ADMIN`,
      });
      assert.equal(form.body.code, 40002);
      assert.match(form.body.message, /application\/json/);
      const typo = await api.post('bc/member/update', { bc_id: S.bcId, user_id: S.standard[0], user_rol: 'ADMIN' });
      assert.equal(typo.body.code, 40002);
      assert.match(typo.body.message, /user_rol: unknown parameter/);
      const unsafe = await api.post('bc/member/update', { bc_id: 7000000000000000001, user_id: S.standard[0], user_role: 'ADMIN' });
      assert.equal(unsafe.body.code, 40002);
      assert.match(unsafe.body.message, /bc_id/);
      assert.equal((await api.get('bc/member/get', { bc_id: S.bcId, filtering: '{not json' })).body.code, 40002);
      assert.match((await api.get('bc/member/get', { bc_id: S.bcId, filtering: { status: 'BOUND' } })).body.message, /filtering\.status: unknown parameter/);
      const huge = await api.raw('/open_api/v1.3/bc/member/invite/', { method: 'POST', headers: { 'Access-Token': S.token, 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(huge.status, 413, 'a body past 1 MiB is refused before the API');
      const state = api.emulator.control.state();
      assert.equal(state.members.find((m) => m.user_id === S.standard[0])!.user_role, 'STANDARD', 'nothing was applied');
    } finally {
      await api.close();
    }
  });

  test('a POST takes its parameters in the JSON body: a query parameter (access_token beside the header too) is 40002 naming it', async () => {
    const api = await startTestApi();
    try {
      const post = (query: string) => api.raw(`/open_api/v1.3/bc/member/update/?${query}`, {
        method: 'POST', headers: { 'Access-Token': S.token, 'content-type': 'application/json' },
        body: JSON.stringify({ bc_id: S.bcId, user_id: S.standard[0], user_role: 'ADMIN' }),
      });
      const token = await post(`access_token=${S.token}`);
      assert.equal(token.body.code, 40002);
      assert.match(token.body.message, /^access_token: unknown parameter/);
      const extra = await post('child_bc_id=7000000000000000002');
      assert.equal(extra.body.code, 40002);
      assert.match(extra.body.message, /^child_bc_id: unknown parameter/);
      assert.equal(api.emulator.control.state().members.find((m) => m.user_id === S.standard[0])!.user_role, 'STANDARD', 'nothing was applied');
      assert.ok(!JSON.stringify(api.emulator.calls).includes(S.token), 'the token in the query is not recorded');
    } finally {
      await api.close();
    }
  });

  test('ids are int64: a digit string past 2^63 - 1 is 40002 naming the field, not an unknown Business Center', async () => {
    const api = await startTestApi();
    try {
      const past = await api.get('bc/member/get', { bc_id: '9223372036854775808' });
      assert.equal(past.body.code, 40002);
      assert.match(past.body.message, /^bc_id:/);
      assert.equal((await api.get('bc/member/get', { bc_id: '9223372036854775807' })).body.code, 40001, 'the largest int64 is an id (of no Business Center here)');
      const member = await api.post('bc/member/update', { bc_id: S.bcId, user_id: '9999999999999999999', user_role: 'ADMIN' });
      assert.equal(member.body.code, 40002);
      assert.match(member.body.message, /^user_id:/);
    } finally {
      await api.close();
    }
  });

  test('a token missing a scope gets 40130; a STANDARD member may read but not write (40001)', async () => {
    const api = await startTestApi();
    try {
      const state = api.emulator.control.state();
      state.tokens.push({ value: 'reader', user_id: S.standard[0], app_id: S.appId }, { value: 'no-assets', user_id: S.tokenUserId, app_id: S.appId, scopes: ['Read Business Center', 'Business Center Member Management'] });
      api.emulator.control.seed(state);
      assert.equal((await api.get('bc/asset/get', { bc_id: S.bcId, asset_type: 'ADVERTISER' }, 'no-assets')).body.code, 40130);
      assert.equal((await api.get('bc/member/get', { bc_id: S.bcId }, 'reader')).body.code, 0);
      assert.equal((await api.get('bc/get', { bc_id: S.bcId }, 'reader')).body.data.list[0].user_role, 'STANDARD');
      assert.equal((await api.post('bc/member/invite', { bc_id: S.bcId, emails: ['x@example.com'], asset_ids: [] }, 'reader')).body.code, 40001);
      assert.equal((await api.get('bc/partner/get', { bc_id: S.bcId }, 'reader')).body.code, 40001);
      assert.equal((await api.get('bc/member/get', { bc_id: '7000000000000000777' })).body.code, 40001);
    } finally {
      await api.close();
    }
  });

  test('a query parameter given twice answers 40002 naming it, never the last value taken silently [INF #70]', async () => {
    const api = await startTestApi();
    try {
      const H = { 'Access-Token': S.token };
      const size = await api.raw(`/open_api/v1.3/bc/member/get/?bc_id=${S.bcId}&page_size=50&page_size=20`, { headers: H });
      assert.deepEqual([size.status, size.body.code, size.body.data], [200, 40002, {}]);
      assert.match(size.body.message, /^page_size:/);
      const filtering = (status: string) => encodeURIComponent(JSON.stringify({ relation_status: status }));
      const twice = await api.raw(`/open_api/v1.3/bc/member/get/?bc_id=${S.bcId}&filtering=${filtering('BOUND')}&filtering=${filtering('PENDING')}`, { headers: H });
      assert.equal(twice.body.code, 40002);
      assert.match(twice.body.message, /^filtering:/);
      assert.equal((await api.raw(`/open_api/v1.3/bc/get/?bc_id=1&bc_id=${S.bcId}`, { headers: H })).body.code, 40002);
      assert.equal((await api.get('bc/member/get', { bc_id: S.bcId, page_size: 20 })).body.code, 0, 'each parameter once: answered');
    } finally {
      await api.close();
    }
  });

  test('a JSON null is no value: 40002 naming the field, never read as the field left out [INF #69]', async () => {
    const api = await startTestApi();
    try {
      const declined = 'declined@sandbox.example';
      const both = await api.post('bc/member/delete', { bc_id: S.bcId, user_id: null, user_email: declined });
      assert.equal(both.body.code, 40002);
      assert.match(both.body.message, /^user_id:/);
      const rows = await api.get('bc/member/get', { bc_id: S.bcId, filtering: { relation_status: 'REJECTED' } });
      assert.ok(rows.body.data.list.some((r: { user_email: string }) => r.user_email === declined), 'the declined invitation is still listed');
      assert.equal((await api.post('bc/member/update', { bc_id: S.bcId, user_id: S.admins[0], user_role: null, user_name: 'Ada' })).body.code, 40002);
      assert.equal((await api.post('bc/member/invite', { bc_id: S.bcId, emails: ['x@example.com'], asset_ids: [], advertiser_role: null })).body.code, 40002);
      const filter = await api.get('bc/member/get', { bc_id: S.bcId, filtering: { relation_status: null } });
      assert.equal(filter.body.code, 40002);
      assert.match(filter.body.message, /^filtering\.relation_status:/);
    } finally {
      await api.close();
    }
  });
});
