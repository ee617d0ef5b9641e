import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';

/**
 * Changing the role of an invite that stopped being pending between the plan and the call
 * (expired or declined). Graph refuses the update with (#100), the one error the request's update
 * lists, and the task failed for good as invalid-argument. The contract's answer for "no longer
 * pending" is `not-found` (InviteRoleChange; the agent re-reads the person and re-plans, a re-send
 * for an expired invite), not applied: nothing changed.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const server = listeningEmulator();
const notPending = (e: unknown) => e instanceof ConnectorError && e.kind === 'not-found' && e.providerCode === 'invite-not-pending' && e.notApplied === true;

test('an invite that reads expired is not changed: not-found, no POST sent', async () => {
  server.emulator.control.seed(sandboxFixture());
  const posts: string[] = [];
  const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, {
    log,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.method === 'POST') posts.push(String(input));
      return fetch(input, init);
    }) as typeof fetch,
  });
  server.emulator.control.expireInvite(SANDBOX.pendingInviteId);
  await assert.rejects(c.changeInviteRole!(SANDBOX.pendingInviteId, 'ADMIN'), notPending);
  assert.deepEqual(posts, []);
});

test('an invite declined between the read and the POST: Graph refuses (#100), a re-read finds it not pending: not-found', async () => {
  server.emulator.control.seed(sandboxFixture());
  const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, {
    log,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.method === 'POST' && String(input).includes(`/${SANDBOX.pendingInviteId}`)) server.emulator.control.declineInvite(SANDBOX.pendingInviteId);
      return fetch(input, init);
    }) as typeof fetch,
  });
  await assert.rejects(c.changeInviteRole!(SANDBOX.pendingInviteId, 'ADMIN'), notPending);
  assert.notEqual(server.emulator.control.state().invites.find((i) => i.id === SANDBOX.pendingInviteId)?.role, 'ADMIN');
  // Still pending, a refusal stands as Graph gave it.
  server.emulator.control.seed(sandboxFixture());
  const plain = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
  await assert.rejects(plain.changeInviteRole!(SANDBOX.pendingInviteId, 'NOT_A_ROLE'), (e: unknown) => e instanceof ConnectorError && e.kind === 'invalid-argument');
});
