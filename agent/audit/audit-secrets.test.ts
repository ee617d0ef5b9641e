import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { appendAudit } from './audit-log.ts';
import { queryAudit } from './audit-query.ts';

/**
 * What an audit entry must never hold, whatever a caller hands `appendAudit`: Meta's
 * `appsecret_proof` (an HMAC-SHA256 of the access token keyed with the app secret,
 * https://developers.facebook.com/docs/graph-api/security#appsecret_proof: with the token it
 * passes "Require App Secret"), in a quoted Graph URL, in quoted JSON or as a detail field (also
 * named as the connector names it, `appSecretProof`); and a credential in the trigger's free text
 * (`trigger.detail`, `trigger.actor`), which every reader of the log (CLI, dashboard,
 * `audit.file`, CSV) shows as the "who".
 */
const PROOF = '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbkBleGFtcGxlLmNvbSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

test('an audit entry keeps no appsecret_proof (URL parameter, quoted JSON, detail field) and no credential in the trigger\'s detail or actor', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => {
    appendAudit(tx, {
      hubId: 'h1', trigger: { type: 'admin', actor: `ci-bot Bearer ${JWT}`, detail: `callback?access_token=EAAB-secret&appsecret_proof=${PROOF}` },
      action: 'invite', subject: { email: 'jane@example.com' }, outcome: 'failed',
      why: `invite jane: POST https://graph.facebook.com/v19.0/123/business_users?appsecret_proof=${PROOF}&access_token=EAAB-secret: (#100) error; body {"appsecret_proof":"${PROOF}"}`,
      detail: { appsecret_proof: PROOF, appSecretProof: PROOF, request: { url: `/v19.0/123?appsecret_proof=${PROOF}` } },
    });
  });
  const [entry] = (await queryAudit(store, { hubId: 'h1' })).items;
  assert.ok(entry);
  const text = JSON.stringify(entry);
  assert.ok(!text.includes(PROOF.slice(0, 16)), `no appsecret_proof in the entry: ${text}`);
  assert.ok(!text.includes('EAAB-secret'), 'no access token in the entry');
  assert.ok(!text.includes(JWT.split('.')[1]!), 'no JWT in the trigger');
  assert.match(entry.why, /^invite jane: POST https:\/\/graph\.facebook\.com\/v19\.0\/123\/business_users\?appsecret_proof=\[redacted\]/, 'the why still says what was asked');
  assert.equal(entry.trigger.type, 'admin');
  assert.match(entry.trigger.actor ?? '', /^ci-bot /, 'the who is kept');
});
