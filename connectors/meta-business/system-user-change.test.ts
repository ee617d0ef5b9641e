import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';

/**
 * A system user's id given to removeMember or changeMemberRole: Graph reads it as no business user
 * (`GET /{id}` with the BusinessUser fields is refused, business_users does not list it), which is
 * how a member that is gone reads. Removal answered "already-done" and the system user kept every
 * access it had; the role change said "no such member". Meta has no API to change or remove a
 * system user (system users overview), so both are refused, not applied, and nothing is sent.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const server = listeningEmulator();

test('removing or re-roling a system user is refused, not reported done, and the system user stays', async () => {
  server.emulator.control.seed(sandboxFixture());
  const writes: string[] = [];
  const counting = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (init?.method && init.method !== 'GET') writes.push(`${init.method} ${String(input)}`);
    return fetch(input, init);
  }) as typeof fetch;
  const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: counting });
  const refused = (e: unknown) => e instanceof ConnectorError && e.kind === 'invalid-argument' && e.providerCode === 'system-user' && e.notApplied === true && e.message.includes(SANDBOX.systemUserId);
  await assert.rejects(c.removeMember!(SANDBOX.systemUserId), refused);
  await assert.rejects(c.changeMemberRole!(SANDBOX.systemUserId, 'EMPLOYEE'), refused);
  assert.deepEqual(writes, []);
  assert.ok(server.emulator.control.state().systemUsers.some((s) => s.id === SANDBOX.systemUserId));
  // A member truly gone still reads as such: removal already-done, role change not-found.
  const gone = '1000000000009999';
  assert.equal(await c.removeMember!(gone), 'already-done');
  await assert.rejects(c.changeMemberRole!(gone, 'ADMIN'), (e: unknown) => e instanceof ConnectorError && e.kind === 'not-found');
});

test('a token that may not list system users: a departed member\'s removal is still already-done (the check never pauses the hub)', async () => {
  server.emulator.control.seed(sandboxFixture());
  const refusing = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (String(input).includes('/system_users')) {
      return new Response(JSON.stringify({ error: { message: '(#200) Permissions error', type: 'OAuthException', code: 200, fbtrace_id: 'x' } }), { status: 400, headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  }) as typeof fetch;
  const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: refusing });
  assert.equal(await c.removeMember!('1000000000009999'), 'already-done');
});
