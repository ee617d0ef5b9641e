import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { listenOnLoopback } from '../../test/emulators/loopback-server.ts';
import { isConnectorError } from '../../connectors/sdk/connector-error.ts';
import type { OktaProviderConfig } from '../../config/schema.ts';
import { createOktaTarget } from './okta-target.ts';
import { TokenBucket } from './pacing.ts';
import { movableClock } from './writeback-fixtures.ts';
import { classifyFailure } from './problem-of.ts';

/**
 * An Okta org (or a proxy in front of it) that takes the request and never answers: each attempt
 * gives up after `attemptTimeoutMs` (node-fetch's timeout), the SDK's 429 retry and the private-key
 * token request included, instead of holding the write-back run (and its lease) for good. The
 * failure is a passing one: the person is sent again on the next run.
 */
const ANA = '00uana00000000000001';

async function blackHole(answer: (req: { method?: string; url?: string }, res: ServerResponse) => boolean) {
  const held: ServerResponse[] = [];
  const server = await listenOnLoopback((req, res) => {
    req.resume();
    req.on('end', () => {
      if (!answer(req, res)) held.push(res); // never answered
    });
  });
  return { url: server.url, close: async () => { for (const res of held) res.destroy(); await server.close(); } };
}

function targetOn(url: string, privateKey?: string) {
  const clock = movableClock();
  const config = (privateKey
    ? { kind: 'okta', orgUrl: url, clientId: '0oa1servicehubwarden', privateKey: 'env:OKTA_KEY' }
    : { kind: 'okta', orgUrl: url, token: 'env:OKTA_TOKEN' }) as OktaProviderConfig;
  return createOktaTarget('okta', config, (ref) => (ref === 'env:OKTA_TOKEN' ? 'ssws-token' : privateKey!), {
    bucket: new TokenBucket(100, 100, clock), clock, maxRetries: 2, resetMarginMs: 0, attemptTimeoutMs: 300,
  });
}

/** `tokenRequest`: the access token request was the one never answered, so no call can go out: the run stops (not as a refused key). */
async function assertGivesUp(call: Promise<unknown>, tokenRequest = false) {
  const started = Date.now();
  await assert.rejects(call, (err: unknown) => {
    assert.ok(isConnectorError(err), String(err));
    assert.match(err.message, /timeout/i);
    if (tokenRequest) {
      assert.equal(err.kind, 'unavailable');
      assert.match(err.message, /token endpoint was unavailable/);
      assert.deepEqual(classifyFailure(err), { stopRun: true }, 'no token: the run stops, tried again at the next run');
    } else assert.deepEqual(classifyFailure(err), { retryNextRun: true }, 'a passing failure, sent again on the next run');
    return true;
  });
  assert.ok(Date.now() - started < 5_000, `gave up after ${Date.now() - started} ms`);
}

test('okta write-back: an update Okta never answers fails after the attempt timeout', { timeout: 15_000 }, async () => {
  const okta = await blackHole(() => false);
  try {
    await assertGivesUp(targetOn(okta.url).update(ANA, 'meta-main', { status: 'onboarded' }));
  } finally {
    await okta.close();
  }
});

test('okta write-back: the SDK\'s retry of a 429 that is never answered fails after the attempt timeout too', { timeout: 15_000 }, async () => {
  let updates = 0;
  const okta = await blackHole((req, res) => {
    if (req.method !== 'POST' || ++updates > 1) return false;
    // Okta's 429 E0000047 with the reset already passed: the SDK retries at once.
    res.writeHead(429, { 'content-type': 'application/json', date: new Date().toUTCString(), 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) - 1) })
      .end(JSON.stringify({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorLink: 'E0000047', errorId: 'x', errorCauses: [] }));
    return true;
  });
  try {
    await assertGivesUp(targetOn(okta.url).update(ANA, 'meta-main', { status: 'onboarded' }));
    assert.equal(updates, 2, 'the retry went out');
  } finally {
    await okta.close();
  }
});

test('okta write-back, private-key mode: an access token request never answered fails after the attempt timeout', { timeout: 15_000 }, async () => {
  const okta = await blackHole(() => false);
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    await assertGivesUp(targetOn(okta.url, pem).update(ANA, 'meta-main', { status: 'onboarded' }), true);
  } finally {
    await okta.close();
  }
});
