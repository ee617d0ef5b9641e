import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { HubConnector } from '../sdk/connector.ts';
import { all, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * `role` is a default field of `business_users` and `system_users` and the connector asks for it
 * by name, so Graph answers it. A person answered without one has an unknown role: the answer is
 * refused (README [INF]), never read as EMPLOYEE, which would hold an admin as already demoted,
 * or remove them without the last-admin check.
 */
describe('meta-business people answered without a role', () => {
  const graph = servedEmulator();
  /** A Graph that leaves `role` out for `ids`, on listings and on reads by id. */
  const withoutRole = (ids: string[]): HubConnector => {
    const reading: Reading = async (_op, forward) => {
      const a = await forward();
      const rows = Array.isArray(a.body?.data) ? a.body.data : a.body?.id ? [a.body] : [];
      for (const u of rows) if (ids.includes(String(u.id))) delete u.role;
      return a;
    };
    return graph.connector(reading);
  };
  const unknownRole = (id: string) => (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && e.providerCode === 'role-missing'
    && e.message.includes(id) && !e.message.includes(SANDBOX.token);

  test('a listing with a member or system user without a role fails, naming them', async () => {
    const [admin] = SANDBOX.admins;
    let c = withoutRole([admin]);
    await assert.rejects(all((x) => c.listMembers!(x)), unknownRole(admin));
    const systemUser = graph.emulator.control.state().systemUsers.find((s) => s.businessId === SANDBOX.businessId)!.id;
    c = withoutRole([systemUser]);
    await assert.rejects(all((x) => c.listSystemUsers!(x)), unknownRole(systemUser));
  });

  test('an admin answered without a role is neither "already" an employee nor removed unchecked: nothing is sent', async () => {
    const [admin] = SANDBOX.admins;
    const c = withoutRole([admin]);
    graph.emulator.control.clearCalls();
    await assert.rejects(c.changeMemberRole!(admin, 'EMPLOYEE'), (e: unknown) => unknownRole(admin)(e) && (e as ConnectorError).notApplied === true);
    await assert.rejects(c.removeMember!(admin), (e: unknown) => unknownRole(admin)(e) && (e as ConnectorError).notApplied === true);
    assert.deepEqual(graph.emulator.calls.filter((x) => x.method !== 'GET').map((x) => `${x.method} ${x.path}`), []);
    assert.equal(graph.emulator.control.state().users.find((u) => u.id === admin)?.role, 'ADMIN');
  });
});
