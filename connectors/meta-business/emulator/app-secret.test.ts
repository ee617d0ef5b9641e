import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startTestGraph, type TestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';
import type { MetaEmulatorOptions } from './index.ts';

// "Require App Secret" (https://developers.facebook.com/docs/graph-api/securing-requests): with the
// option `appSecret`, a call's appsecret_proof must be the HMAC-SHA256 of its token under the
// secret; a missing or wrong one is refused (#100), the [INF] strict reading. Without the option
// nothing changes: a proof is taken and ignored.
const BIZ = SANDBOX.businessId;
const SECRET = 'emulator-test-app-secret';
const proofOf = (token: string, secret = SECRET) => createHmac('sha256', secret).update(token).digest('hex');

const withGraph = (options: MetaEmulatorOptions, fn: (g: TestGraph) => Promise<void>) => async () => {
  const g = await startTestGraph(options);
  try { await fn(g); } finally { await g.close(); }
};

function refused(res: { status: number; body: { error?: { code: number; type: string; message: string } } }, message: RegExp): void {
  assert.equal(res.status, 400);
  assert.equal(res.body.error?.code, 100);
  assert.equal(res.body.error?.type, 'OAuthException');
  assert.match(res.body.error!.message, message);
}

const MISSING = /^\(#100\) The parameter appsecret_proof is required$/;
const WRONG = /^\(#100\) Invalid appsecret_proof provided in the API argument$/;

function batch(g: TestGraph, ops: unknown[], extra: Record<string, string>) {
  return g.raw('/v25.0/', { method: 'POST', body: new URLSearchParams({ access_token: SANDBOX.token, batch: JSON.stringify(ops), ...extra }) });
}

describe('meta emulator with an app secret', () => {
  test('GET, POST and DELETE: the right proof is served, none or a wrong one is refused (#100) and nothing is done', withGraph({ appSecret: SECRET }, async (g) => {
    const right = proofOf(SANDBOX.token);
    refused(await g.get(`/${BIZ}/business_users`), MISSING);
    refused(await g.get(`/${BIZ}/business_users`, { appsecret_proof: proofOf(SANDBOX.token, 'another-secret') }), WRONG);
    // A proof of another token: the proof goes with the token it is sent with.
    refused(await g.get(`/${BIZ}/business_users`, { appsecret_proof: proofOf(SANDBOX.partner.token) }), WRONG);
    refused(await g.get(`/${BIZ}/business_users`, { appsecret_proof: right.toUpperCase() }), WRONG);
    assert.equal((await g.get(`/${BIZ}/business_users`, { appsecret_proof: right })).status, 200);

    const before = g.emulator.control.state();
    refused(await g.post(`/${BIZ}/business_users`, { email: 'proof.less@sandbox.example', role: 'EMPLOYEE' }), MISSING);
    refused(await g.del(`/${SANDBOX.pendingInviteId}`, { appsecret_proof: 'not-a-proof' }), WRONG);
    assert.deepEqual(g.emulator.control.state(), before, 'nothing done');
    assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'with.proof@sandbox.example', role: 'EMPLOYEE', appsecret_proof: right })).status, 200);
    assert.equal((await g.del(`/${SANDBOX.pendingInviteId}`, { appsecret_proof: right })).status, 200);
    // The call log never holds the proof.
    assert.ok(!JSON.stringify(g.emulator.calls).includes(right));
    // A token error comes first: an unknown token with no proof is 190, as without a secret.
    assert.equal((await g.get(`/${BIZ}/business_users`, {}, 'not-a-token')).body.error?.code, 190);
  }));

  test('a batch: the request\'s proof covers operations on its token; an operation with a token of its own needs its own proof', withGraph({ appSecret: SECRET }, async (g) => {
    const ops = [{ method: 'GET', relative_url: `${BIZ}/business_users` }];
    refused(await batch(g, ops, {}), MISSING);
    refused(await batch(g, ops, { appsecret_proof: proofOf(SANDBOX.token, 'another-secret') }), WRONG);
    const ok = await batch(g, [
      ...ops,
      { method: 'GET', relative_url: `${SANDBOX.partner.businessId}/business_users`, access_token: SANDBOX.partner.token },
      { method: 'GET', relative_url: `${SANDBOX.partner.businessId}/business_users?appsecret_proof=${proofOf(SANDBOX.partner.token)}`, access_token: SANDBOX.partner.token },
    ], { appsecret_proof: proofOf(SANDBOX.token) });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.map((r: { code: number }) => r.code), [200, 400, 200]);
    assert.match(JSON.parse(ok.body[1].body).error.message, MISSING);
    assert.ok(!JSON.stringify(g.emulator.calls).includes(proofOf(SANDBOX.partner.token)), 'a proof inside a batch is redacted in the call log');
  }));

  // A guard of the behaviour kept: it passes with and without the option's code.
  test('without the option: no proof, a wrong one and the right one are all served', withGraph({}, async (g) => {
    assert.equal((await g.get(`/${BIZ}/business_users`)).status, 200);
    assert.equal((await g.get(`/${BIZ}/business_users`, { appsecret_proof: 'anything' })).status, 200);
    assert.equal((await g.get(`/${BIZ}/business_users`, { appsecret_proof: proofOf(SANDBOX.token) })).status, 200);
    const ok = await batch(g, [{ method: 'GET', relative_url: `${BIZ}/business_users?appsecret_proof=x` }], { appsecret_proof: 'y' });
    assert.deepEqual(ok.body.map((r: { code: number }) => r.code), [200]);
  }));
});
