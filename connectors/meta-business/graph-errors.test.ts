import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toConnectorError } from './graph-errors.ts';
import { redactSecrets } from '../sdk/redact.ts';

// Recorded Graph error responses (reference examples), replayed through THE table.
const recorded = JSON.parse(readFileSync(new URL('./recorded/graph-responses.json', import.meta.url), 'utf8'));
const ctx = { what: 'meta-business: test call', businessId: '1000000000000001' };

describe('graph error table on recorded responses', () => {
  for (const r of recorded.errors) {
    test(`${r._ref}: ${r.body?.error?.code ?? r.status} → ${r.kind}`, () => {
      const err = toConnectorError({ status: r.status, body: r.body, headers: r.headers }, ctx);
      assert.equal(err.kind, r.kind);
      assert.match(err.message, /^meta-business: test call: /);
      if (r.field) assert.equal(err.field, r.field);
      if (r.retryAfterMs) assert.equal(err.retryAfterMs, r.retryAfterMs);
      if (r.kind === 'rate-limited') assert.ok((err.retryAfterMs ?? 0) > 0);
    });
  }
});

describe('graph error table: decisions', () => {
  const envelope = (code: number, subcode?: number, message = `(#${code}) x`) => ({ error: { message, type: 'OAuthException', code, error_subcode: subcode, fbtrace_id: 't' } });
  test('code 17 on an invite is the 24 h invite limit scoped to the business', () => {
    const err = toConnectorError({ status: 400, body: envelope(17) }, { ...ctx, isInvite: true });
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 24 * 3_600_000);
    assert.equal(err.limitScope, 'invite:1000000000000001');
    assert.match(err.message, /retry in 24 h/);
  });
  test('a code the table does not know flagged is_transient is unavailable (retried); unflagged it stays a refusal', () => {
    const body = (is_transient: boolean) => ({ error: { message: '(#9007) Something odd', type: 'OAuthException', code: 9007, is_transient, fbtrace_id: 't' } });
    assert.equal(toConnectorError({ status: 400, body: body(true) }, ctx).kind, 'unavailable');
    assert.equal(toConnectorError({ status: 400, body: body(false) }, ctx).kind, 'invalid-argument');
    // A documented code keeps its kind whatever the flag says.
    assert.equal(toConnectorError({ status: 400, body: { error: { ...envelope(100).error, is_transient: true } } }, ctx).kind, 'invalid-argument');
  });
  test('2635 (deprecated API version) pauses the hub: every call fails alike until the version is changed', () => {
    assert.equal(toConnectorError({ status: 400, body: envelope(2635) }, ctx).kind, 'permission-denied');
  });
  test('code 17 elsewhere is a user-level limit, app scope', () => {
    const err = toConnectorError({ status: 400, body: envelope(17) }, ctx);
    assert.equal(err.limitScope, 'app');
    assert.notEqual(err.retryAfterMs, 24 * 3_600_000);
  });
  test('code 4 waits 10 min whatever X-App-Usage shows: Graph answered the limit reached, a reading below 100 % does not shorten it', () => {
    const full = toConnectorError({ status: 400, body: envelope(4), headers: { 'x-app-usage': '{"call_count":100,"total_time":20,"total_cputime":20}' } }, ctx);
    assert.equal(full.retryAfterMs, 10 * 60_000);
    // A Graph whose X-App-Usage counts apart from its throttle (Meta ties the two nowhere).
    const low = toConnectorError({ status: 400, body: envelope(4), headers: { 'x-app-usage': '{"call_count":40,"total_time":20,"total_cputime":20}' } }, ctx);
    assert.equal(low.retryAfterMs, 10 * 60_000);
    assert.equal(low.limitScope, 'app');
  });
  test('613, 17 and 32 with X-App-Usage only (a business-node edge, no BUC header) wait 5 min, whatever the app usage', () => {
    const appOnly = { 'x-app-usage': '{"call_count":3,"total_time":2,"total_cputime":2}' };
    for (const code of [613, 17, 32]) {
      const err = toConnectorError({ status: 400, body: envelope(code), headers: appOnly }, ctx);
      assert.equal(err.kind, 'rate-limited');
      assert.equal(err.limitScope, 'app');
      assert.equal(err.retryAfterMs, 5 * 60_000, `code ${code}`);
    }
  });
  test('a plain HTTP 403 (no Graph error code) is the request limit, as code 4: rate-limited, scope app, never permission-denied', () => {
    // Quota exhaustion can show up as a plain 403 (python-social-auth/social-core#859).
    for (const body of [null, undefined, '', '<html>Forbidden</html>', {}]) {
      const err = toConnectorError({ status: 403, body }, ctx);
      assert.equal(err.kind, 'rate-limited', `body ${JSON.stringify(body)}`);
      assert.equal(err.limitScope, 'app');
      assert.equal(err.retryAfterMs, 10 * 60_000);
      assert.equal(err.providerCode, 'http 403');
      assert.match(err.message, /^meta-business: test call: rate-limited \(retry in 10 min\): HTTP 403 without a Graph error code/);
    }
    const low = toConnectorError({ status: 403, body: null, headers: { 'x-app-usage': '{"call_count":40,"total_time":20,"total_cputime":20}' } }, ctx);
    assert.equal(low.retryAfterMs, 60_000, 'X-App-Usage below 100 % shortens a plain 403 (no code: the limit is a guess)');
  });
  test('a 403 that carries a Graph code keeps the code\'s kind (OAuth errors inside a batch come back 403)', () => {
    assert.equal(toConnectorError({ status: 403, body: envelope(200, 2655040, '(#200) Permissions error') }, ctx).kind, 'permission-denied');
    assert.equal(toConnectorError({ status: 403, body: envelope(190) }, ctx).kind, 'unauthenticated');
    assert.equal(toConnectorError({ status: 403, body: envelope(10) }, ctx).kind, 'permission-denied');
  });
  test('a policy block (368, 10/2859030) answered with a BUC header waits its own rule: the header\'s estimated_time_to_regain_access is a quota\'s', () => {
    const headers = { 'x-business-use-case-usage': JSON.stringify({ 222: [{ type: 'ads_management', call_count: 100, total_cputime: 9, total_time: 9, estimated_time_to_regain_access: 1 }] }) };
    for (const [code, subcode, ms] of [[368, undefined, 3_600_000], [10, 2859030, 5 * 60_000]] as Array<[number, number | undefined, number]>) {
      assert.equal(toConnectorError({ status: 400, body: envelope(code, subcode), headers }, ctx).retryAfterMs, ms, `code ${code}`);
    }
    // A BUC throttle takes it, capped at a day.
    assert.equal(toConnectorError({ status: 400, body: envelope(80004, 2446079), headers }, ctx).retryAfterMs, 60_000);
    const huge = { 'x-business-use-case-usage': JSON.stringify({ 222: [{ type: 'ads_management', call_count: 100, estimated_time_to_regain_access: 1e12 }] }) };
    assert.equal(toConnectorError({ status: 400, body: envelope(80004, 2446079), headers: huge }, ctx).retryAfterMs, 24 * 3_600_000);
  });
  test('code 4 (app-level) answered with a BUC header waits its own 10 min on the app: estimated_time_to_regain_access is one object\'s quota', () => {
    // Code 4: "back off; see X-App-Usage"; only 80000–80014 "wait estimated_time_to_regain_access" (error reference, rate-limiting guide).
    const buc = (minutes: number) => ({ 'x-app-usage': '{"call_count":100,"total_time":20,"total_cputime":20}', 'x-business-use-case-usage': JSON.stringify({ 222: [{ type: 'ads_management', call_count: 100, total_cputime: 9, total_time: 9, estimated_time_to_regain_access: minutes }] }) });
    for (const minutes of [1, 60]) {
      const err = toConnectorError({ status: 400, body: envelope(4), headers: buc(minutes), path: 'act_222/assigned_users' }, ctx);
      assert.equal(err.kind, 'rate-limited');
      assert.equal(err.limitScope, 'app');
      assert.equal(err.retryAfterMs, 10 * 60_000, `BUC regain ${minutes} min`);
    }
    for (const code of [17, 32, 613]) {
      const err = toConnectorError({ status: 400, body: envelope(code), headers: buc(60), path: 'act_222/assigned_users' }, ctx);
      assert.equal(err.limitScope, 'app');
      assert.equal(err.retryAfterMs, 5 * 60_000, `code ${code}`);
    }
    const bucThrottle = toConnectorError({ status: 400, body: envelope(80004, 2446079), headers: buc(60), path: 'act_222/assigned_users' }, ctx);
    assert.deepEqual([bucThrottle.limitScope, bucThrottle.retryAfterMs], ['222', 3_600_000], 'a BUC throttle waits the header, on its object');
  });
  test('368 waits an hour (rate-limited, business scope)', () => {
    const err = toConnectorError({ status: 400, body: envelope(368) }, ctx);
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 3_600_000);
  });
  const kinds: Array<[number, string]> = [[102, 'unauthenticated'], [3, 'permission-denied'], [270, 'permission-denied'], [294, 'permission-denied'], [299, 'permission-denied'], [2, 'unavailable'], [341, 'rate-limited'], [3919, 'unavailable'], [4, 'rate-limited'], [32, 'rate-limited'], [80000, 'rate-limited'], [80014, 'rate-limited']];
  for (const [code, kind] of kinds) test(`${code} → ${kind}`, () => assert.equal(toConnectorError({ status: 400, body: envelope(code) }, ctx).kind, kind));
  test('an error message that quotes the token is redacted', () => {
    const err = toConnectorError({ status: 400, body: envelope(190, undefined, 'Bad token EAABsecret123') }, ctx, (s) => s.split('EAABsecret123').join('[redacted]'));
    assert.doesNotMatch(err.message, /EAABsecret123/);
  });
  test('a long token quoted back in a long message is redacted before the text is cut: no fragment survives', () => {
    const token = `EAAB${'x7Kq2ZpL9mW'.repeat(17)}`; // 191 characters, as long as real Meta tokens get
    const message = `Invalid OAuth access token ${token} (request: GET /v25.0/1/business_users?access_token=${token})`;
    const err = toConnectorError({ status: 400, body: envelope(190, undefined, message) }, ctx, (s) => redactSecrets(s, [token]));
    assert.equal(err.kind, 'unauthenticated');
    for (let i = 0; i + 20 <= token.length; i++) assert.ok(!err.message.includes(token.slice(i, i + 20)), `fragment at ${i} leaked: ${err.message}`);
    assert.match(err.message, /\[redacted\]/);
  });
});
