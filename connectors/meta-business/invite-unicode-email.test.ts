import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';

/**
 * The look-up by `pending_users?email=` before a retried invite, and the one that resolves a
 * provisional invite id, find an invite whose email differs only in Unicode normalization form:
 * pending_users lists "josé" precomposed (U+00E9), the IdP sent it decomposed ("e" + U+0301).
 * Meta does not say the filter compares the forms alike (the emulator compares case only, README
 * [INF]), so the filter missed it and a second invite was sent, or a cancel found nothing to cancel.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const server = listeningEmulator();
const NFC = 'jos\u00e9@sandbox.example';
const NFD = 'jose\u0301@sandbox.example';
const INVITE_ID = '1000000000000977';

function seeded() {
  const fixture = sandboxFixture();
  const pending = fixture.invites.find((i) => i.id === SANDBOX.pendingInviteId)!;
  fixture.invites.push({ ...structuredClone(pending), id: INVITE_ID, email: NFC });
  server.emulator.control.seed(fixture);
  return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
}

const posts = () => server.emulator.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/business_users')).length;
const pendingOfJose = () => server.emulator.control.state().invites.filter((i) => i.email.normalize('NFC') === NFC && i.status === 'PENDING').map((i) => i.id);

test('a retried invite of a decomposed email finds the invite pending_users lists precomposed: no second invite', async () => {
  const connector = seeded();
  const before = posts();
  const r = await connector.invite!({ email: NFD, role: 'EMPLOYEE' });
  assert.deepEqual([r.result, r.inviteId], ['already-done', INVITE_ID]);
  assert.equal(posts(), before, 'no invite was posted');
  assert.deepEqual(pendingOfJose(), [INVITE_ID]);
});

test('a provisional invite id of the decomposed email resolves to the precomposed invite, which is cancelled', async () => {
  const connector = seeded();
  assert.equal(await connector.cancelInvite!(`pending:${NFD}`), 'done');
  assert.deepEqual(pendingOfJose(), []);
});
