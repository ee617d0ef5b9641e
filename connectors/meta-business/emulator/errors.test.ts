import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';
import { sandboxFixture } from './fixture.ts';

const BIZ = SANDBOX.businessId;

describe('error envelope and codes (Graph error handling)', () => {
  const cases: Array<{ name: string; path: string; token?: string | null; method?: string; status: number; code: number; subcode?: number; authenticate?: RegExp }> = [
    { name: 'missing token', path: `/v25.0/${BIZ}/business_users`, token: null, status: 400, code: 104, authenticate: /invalid_request/ },
    { name: 'invalid token', path: `/v25.0/${BIZ}/business_users`, token: 'nope', status: 400, code: 190, authenticate: /^OAuth "Facebook Platform" "invalid_token"/ },
    { name: 'partner token on our business_users', path: `/v25.0/${BIZ}/business_users`, token: SANDBOX.partner.token, status: 400, code: 200 },
    { name: 'partner token on our member', path: `/v25.0/${SANDBOX.admins[0]}`, token: SANDBOX.partner.token, status: 400, code: 100, subcode: 33 },
    { name: 'unknown edge', path: `/v25.0/${BIZ}/friends`, status: 400, code: 2500 },
    { name: 'path too deep', path: `/v25.0/${BIZ}/business_users/extra`, status: 400, code: 2500 },
    { name: 'unknown word', path: '/v25.0/nonsense', status: 400, code: 2500 },
    { name: 'unknown numeric id', path: '/v25.0/987654321', status: 400, code: 100, subcode: 33 },
    { name: 'unknown ad account', path: '/v25.0/act_999/assigned_users?business=1', status: 400, code: 100, subcode: 33 },
    { name: 'DELETE on a business', method: 'DELETE', path: `/v25.0/${BIZ}`, status: 400, code: 100, subcode: 33 },
    { name: 'POST on an edge without POST', method: 'POST', path: `/v25.0/${BIZ}/pending_users`, status: 400, code: 100, subcode: 33 },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.status} code ${c.code}${c.subcode ? `/${c.subcode}` : ''}`, async () => {
      const g = await startTestGraph();
      try {
        const token = c.token === undefined ? SANDBOX.token : c.token;
        const sep = c.path.includes('?') ? '&' : '?';
        const r = await g.raw(token === null ? c.path : `${c.path}${sep}access_token=${token}`, { method: c.method ?? 'GET' });
        assert.equal(r.status, c.status);
        assert.equal(r.body.error.code, c.code);
        assert.equal(r.body.error.error_subcode, c.subcode);
        assert.equal(typeof r.body.error.message, 'string');
        assert.equal(typeof r.body.error.type, 'string');
        assert.match(r.body.error.fbtrace_id, /^[A-Za-z0-9]+$/);
        assert.equal(r.headers.get('x-fb-trace-id'), null, "only the headers Meta's docs name");
        if (c.authenticate) assert.match(r.headers.get('www-authenticate') ?? '', c.authenticate);
        else assert.equal(r.headers.get('www-authenticate'), null);
        assert.ok(r.headers.get('x-app-usage'));
      } finally {
        await g.close();
      }
    });
  }

  test('unknown id message names the method', async () => {
    const g = await startTestGraph();
    try {
      const r = await g.del('/987654321');
      assert.match(r.body.error.message, /^Unsupported delete request\. Object with ID '987654321' does not exist/);
      assert.equal(r.body.error.type, 'GraphMethodException');
    } finally {
      await g.close();
    }
  });

  test('debug_token is not served unless asked for: Meta\'s business-management reference pages do not document it (2500, as any path Graph does not know)', async () => {
    const g = await startTestGraph();
    try {
      const r = await g.get('/debug_token', { input_token: SANDBOX.token });
      assert.equal(r.body.error.code, 2500);
      assert.equal(r.body.data, undefined);
    } finally {
      await g.close();
    }
  });

  test('an expired token is 190/463; debug_token (opt-in) reports expiry and scopes', async () => {
    let now = Date.now();
    const g = await startTestGraph({ now: () => now, debugToken: true });
    try {
      const dbg = await g.get('/debug_token', { input_token: SANDBOX.token });
      assert.equal(dbg.body.data.is_valid, true);
      assert.deepEqual(Object.keys(dbg.body.data).sort(), ['app_id', 'expires_at', 'is_valid', 'scopes', 'type', 'user_id'], 'only the fields the README lists: nothing invented');
      assert.equal(dbg.body.data.type, 'SYSTEM_USER');
      assert.equal(dbg.body.data.app_id, SANDBOX.appId);
      assert.ok(dbg.body.data.scopes.includes('business_management'));
      const days = (dbg.body.data.expires_at * 1000 - now) / 86_400_000;
      assert.ok(days > 59 && days <= 60, `expires in ${days} days`);
      const forged = (await g.get('/debug_token', { input_token: 'forged' })).body.data;
      assert.equal(forged.is_valid, false);
      assert.deepEqual(Object.keys(forged).sort(), ['error', 'is_valid', 'scopes']);
      assert.equal((await g.get('/debug_token')).body.error.code, 100);
      now += 61 * 86_400_000;
      const expired = await g.get(`/${BIZ}/business_users`);
      assert.equal(expired.body.error.code, 190);
      assert.equal(expired.body.error.error_subcode, 463);
      const viaPartner = await g.get('/debug_token', { input_token: SANDBOX.token }, 'sandbox-partner-token');
      assert.equal(viaPartner.body.error.code, 190, 'the partner token expired too');
    } finally {
      await g.close();
    }
  });

  test('token in Authorization: Bearer; any vNN.0 or no version', async () => {
    const g = await startTestGraph();
    try {
      const headers = { authorization: `Bearer ${SANDBOX.token}` };
      for (const prefix of ['/v25.0', '/v26.0', '/v19.0', '']) {
        const r = await g.raw(`${prefix}/${BIZ}/system_users`, { headers });
        assert.equal(r.status, 200, prefix);
        assert.equal(r.headers.get('facebook-api-version'), null, "only the headers Meta's docs name");
        assert.equal(r.body.data.length, 1);
      }
    } finally {
      await g.close();
    }
  });

  test('bodies: JSON (Node SDK), multipart (curl -F), form; method=delete and suppress_http_code overrides (opt-in)', async () => {
    const g = await startTestGraph({ legacyOverrides: true });
    try {
      const json = await g.raw(`/v25.0/act_112/assigned_users?access_token=${SANDBOX.token}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: SANDBOX.employees[0], tasks: ['ANALYZE'] }),
      });
      assert.deepEqual(json.body, { success: true });
      const form = new FormData();
      form.set('user', SANDBOX.employees[1]);
      form.set('tasks', "['ADVERTISE', 'ANALYZE']");
      form.set('access_token', SANDBOX.token);
      const multipart = await g.raw('/v25.0/act_112/assigned_users', { method: 'POST', body: form });
      assert.deepEqual(multipart.body, { success: true });
      const tasks = g.emulator.control.state().assignments.filter((a) => a.assetId === 'act_112').map((a) => [a.userId, a.tasks]);
      assert.deepEqual(tasks, [
        ['1000000000000104', ['ADVERTISE', 'ANALYZE']],
        ['1000000000000900', ['MANAGE', 'ADVERTISE', 'ANALYZE']],
        [SANDBOX.employees[0], ['ANALYZE']],
      ]);
      const del = await g.get('/act_112/assigned_users', { method: 'delete', user: SANDBOX.employees[0] });
      assert.deepEqual(del.body, { success: true });
      const suppressed = await g.get('/act_112/assigned_users', { suppress_http_code: '1' });
      assert.equal(suppressed.status, 200);
      assert.equal(suppressed.body.error.code, 100);
      const bad = await g.raw(`/v25.0/act_112/assigned_users?access_token=${SANDBOX.token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 100);
    } finally {
      await g.close();
    }
  });

  test('the legacy method= and suppress_http_code= overrides are off by default (legacy features Meta\'s docs do not document)', async () => {
    const g = await startTestGraph();
    try {
      const before = g.emulator.control.state().assignments.filter((a) => a.assetId === 'act_111').length;
      // A GET stays a GET: `method` is no parameter of assigned_users (refused, route-params.ts), and nothing is removed.
      const del = await g.get('/act_111/assigned_users', { method: 'delete', user: SANDBOX.admins[0], business: BIZ });
      assert.equal(del.status, 400);
      assert.equal(del.body.error.code, 100);
      assert.equal(g.emulator.control.state().assignments.filter((a) => a.assetId === 'act_111').length, before, 'nothing removed');
      const post = await g.get(`/${BIZ}/business_users`, { method: 'post', email: 'legacy.override@sandbox.example' });
      assert.equal(post.body.error.code, 100, 'no invite made through a GET');
      assert.equal(g.emulator.control.state().invites.some((i) => i.email === 'legacy.override@sandbox.example'), false);
      const suppressed = await g.get('/act_112/assigned_users', { suppress_http_code: '1' });
      assert.equal(suppressed.status, 400, 'an error keeps its HTTP status');
      assert.equal(suppressed.body.error.code, 100);
    } finally {
      await g.close();
    }
  });

  test('read-after-write: POST with fields returns the node', async () => {
    const g = await startTestGraph();
    try {
      const r = await g.post(`/${BIZ}/business_users`, { email: 'raw@sandbox.example', fields: 'id,email,status' });
      assert.equal(r.body.email, 'raw@sandbox.example');
      assert.equal(r.body.status, 'PENDING');
      assert.match(r.body.id, /^\d+$/);
    } finally {
      await g.close();
    }
  });

  test('an oversized body is refused with 100, and a bad control body is a 409 not a crash', async () => {
    const g = await startTestGraph();
    try {
      const big = 'x'.repeat(6 * 1024 * 1024);
      const r = await g.raw(`/v25.0/${BIZ}/business_users?access_token=${SANDBOX.token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `email=${big}` });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 100);
      const ctl = await g.raw(`/__emulator/invites/${SANDBOX.pendingInviteId}/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
      assert.equal(ctl.status, 409);
      assert.equal(g.emulator.control.state().invites.length, 2, 'nothing accepted');
    } finally {
      await g.close();
    }
  });

  test('an emulator bug is answered as code 1 (500) and reported to the log, not thrown', async () => {
    const logged: string[] = [];
    const fixture = sandboxFixture();
    // In-process fixtures skip file validation: a name that is not a string makes first_name throw.
    fixture.businessUsers[0].name = 42 as unknown as string;
    const g = await startTestGraph({ fixture, log: { error: (msg) => logged.push(msg) } });
    try {
      const bad = await g.get(`/${BIZ}/business_users`, { limit: 'abc' });
      assert.equal(bad.body.error.code, 100, 'bad input is a Graph error, not a bug');
      assert.deepEqual(logged, []);
      const bug = await g.get(`/${SANDBOX.admins[0]}`, { fields: 'first_name' });
      assert.equal(bug.status, 500);
      assert.equal(bug.body.error.code, 1);
      assert.equal(logged.length, 1);
      assert.match(logged[0], /GET \/1000000000000101 failed inside the emulator/);
      assert.equal((await g.get(`/${SANDBOX.admins[1]}`)).status, 200, 'the emulator keeps serving');
    } finally {
      await g.close();
    }
  });

  test('error_user_title / error_user_msg only with the words Meta shows: none made up where the notes quote none', async () => {
    const fixture = sandboxFixture();
    fixture.businesses[0].two_factor_type = 'admin_required';
    const g = await startTestGraph({ fixture });
    try {
      const userFields = (r: { body: { error: Record<string, unknown> } }) => ({ title: r.body.error.error_user_title, msg: r.body.error.error_user_msg });
      // Only the owner business can share (B2B guide): Meta gives code 200 and no words.
      const reshare = await g.post('/act_111/agencies', { business: BIZ, permitted_tasks: '["ANALYZE"]' }, SANDBOX.partner.token);
      assert.equal(reshare.body.error.code, 200);
      assert.equal(reshare.body.error.message, '(#200) Permissions error');
      assert.deepEqual(userFields(reshare), { title: undefined, msg: undefined });
      // 1752100: "User is not business-scoped" ([OBS]), no user message quoted.
      const global = await g.post('/act_111/assigned_users', { user: '999999999', tasks: '["ANALYZE"]' });
      assert.equal(global.body.error.error_subcode, 1752100);
      assert.deepEqual(userFields(global), { title: 'User is not business-scoped', msg: undefined });
      // 1752129: the error reference's title and sentence.
      const combo = await g.post('/act_111/assigned_users', { user: SANDBOX.employees[0], tasks: '["MANAGE"]' });
      assert.equal(combo.body.error.error_subcode, 1752129);
      assert.deepEqual(userFields(combo), { title: 'This Task Combination Is Not Supported', msg: 'To assign valid capabilities, pass one of the combinations from the mapping.' });
      // 415/2859009: the recorded title only.
      g.emulator.control.setGuards({ enforceTwoFactor: true });
      const twoFactor = await g.post(`/${SANDBOX.employees[0]}`, { role: 'ADMIN' });
      assert.equal(twoFactor.body.error.error_subcode, 2859009);
      assert.deepEqual(userFields(twoFactor), { title: 'Two-factor authentication required', msg: undefined });
    } finally {
      await g.close();
    }
  });
});
