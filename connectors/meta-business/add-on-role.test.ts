import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import type { HubConnector } from '../sdk/connector.ts';
import { all, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

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

/**
 * DEVELOPER on a member. The business_users edge reports only the base role (ADMIN or EMPLOYEE)
 * and `tasks` carries add-ons "like finance and developer" (business_users reference); the role
 * enum of BusinessUser and of its update holds DEVELOPER (API spec `businessuser_role`). So the
 * change is written as `role=DEVELOPER`, and the member reads as DEVELOPER whether Graph shows it
 * in `tasks` beside a base EMPLOYEE (our emulator) or in `role` itself.
 */
describe('meta-business: a member\'s DEVELOPER role', () => {
  const served = servedEmulator();
  const eve = SANDBOX.employees[0];

  test('written as role=DEVELOPER; read back from tasks beside the base role; a repeat is already-done', async () => {
    const c = served.connector();
    assert.equal(await c.changeMemberRole!(eve, 'DEVELOPER'), 'done');
    assert.deepEqual(served.emulator.calls.filter((x) => x.method === 'POST').map((x) => x.body.role), ['DEVELOPER']);
    const row = (await all((cur) => c.listMembers!(cur))).find((m) => m.id === eve);
    assert.equal(row?.role, 'DEVELOPER');
    served.emulator.control.clearCalls();
    assert.equal(await c.changeMemberRole!(eve, 'DEVELOPER'), 'already-done');
    assert.equal(served.emulator.calls.filter((x) => x.method === 'POST').length, 0);
  });

  test('a Graph that answers DEVELOPER in role (tasks without it) reads the same', async () => {
    const inRole: Reading = async (op, forward) => {
      const a = await forward();
      const rows = op.path.endsWith('/business_users') ? a.body?.data ?? [] : op.path === eve ? [a.body] : [];
      for (const r of rows) if (r?.id === eve) Object.assign(r, { role: 'DEVELOPER', tasks: ['DEFAULT'] });
      return a;
    };
    const c = served.connector(inRole);
    assert.equal((await all((cur) => c.listMembers!(cur))).find((m) => m.id === eve)?.role, 'DEVELOPER');
    served.emulator.control.clearCalls();
    assert.equal(await c.changeMemberRole!(eve, 'DEVELOPER'), 'already-done');
    assert.equal(served.emulator.calls.filter((x) => x.method === 'POST').length, 0);
  });
});
