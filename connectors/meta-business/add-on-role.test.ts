import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import type { HubConnector } from '../sdk/connector.ts';

/**
 * An invite's `role` holds any role of the enum (BusinessRoleRequest reference), and its `tasks`
 * are set apart from it (POST /{request-id} takes both). An add-on in `role` (FINANCE_ANALYST) beside
 * a lower add-on in `tasks` (DEVELOPER) is the higher one, as the role ranking says (README
 * Decisions): read as DEVELOPER, a role change to FINANCE_ANALYST that Graph applied read back as
 * "unchanged" (unavailable, retried for ever) and every check saw a role to change.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };

describe('meta-business: an add-on role in an invite\'s role field', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  let c: HubConnector;
  before(() => {
    const fixture = sandboxFixture();
    const invite = fixture.invites.find((i) => i.id === SANDBOX.pendingInviteId)!;
    invite.role = 'FINANCE_ANALYST';
    invite.tasks = ['DEFAULT', 'DEVELOPER'];
    emulator.control.seed(fixture);
    c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
  });

  test('is read as the higher add-on, not the one in tasks', async () => {
    const invite = (await c.listInvites!()).items.find((i) => i.id === SANDBOX.pendingInviteId);
    assert.equal(invite?.role, 'FINANCE_ANALYST');
  });

  test('changing the invite to that role is already-done, not a change Graph "did not apply"', async () => {
    emulator.control.clearCalls();
    assert.equal(await c.changeInviteRole!(SANDBOX.pendingInviteId, 'FINANCE_ANALYST'), 'already-done');
    assert.equal(emulator.calls.filter((x) => x.method === 'POST').length, 0, 'nothing sent');
  });
});
