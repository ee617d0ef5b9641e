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

/**
 * `role` is a default field of a BusinessRoleRequest too
 * (https://developers.facebook.com/docs/marketing-api/reference/business-role-request/), and every
 * invite read that uses the role asks for it by name. An invite answered without one was read as
 * EMPLOYEE: an ADMIN invite then looked "already" changed to EMPLOYEE and was never downgraded.
 * Now it is refused as a person's is; the reads that only resolve an invite's id go on.
 */
describe('meta-business invites answered without a role', () => {
  const graph = servedEmulator();
  /** A Graph that leaves `role` out for the invites `strip` names (looked up at each answer). */
  const withoutRole = (strip: (id: string) => boolean): HubConnector => graph.connector(async (_op, forward) => {
    const a = await forward();
    const rows = Array.isArray(a.body?.data) ? a.body.data : a.body?.id ? [a.body] : [];
    for (const r of rows) if (strip(String(r.id))) delete r.role;
    return a;
  });
  const unknownRole = (id: string) => (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && e.providerCode === 'role-missing'
    && e.message.includes(`invite ${id}`) && !e.message.includes(SANDBOX.token);
  const writes = () => graph.emulator.calls.filter((x) => x.method !== 'GET').map((x) => `${x.method} ${x.path}`);

  test('the listing and a person\'s re-read fail naming the invite; the reads that only resolve its id go on', async () => {
    const id = SANDBOX.pendingInviteId;
    const c = withoutRole((x) => x === id);
    await assert.rejects(all((x) => c.listInvites!(x)), unknownRole(id));
    await assert.rejects(c.readPerson!({ email: SANDBOX.pendingInviteEmail }), unknownRole(id));
    // Looking for a pending invite before sending, and resolving a provisional id, use no role.
    assert.deepEqual(await c.invite!({ email: SANDBOX.pendingInviteEmail, role: 'EMPLOYEE' }), { result: 'already-done', inviteId: id });
    assert.equal(await c.cancelInvite!(`pending:${SANDBOX.pendingInviteEmail}`), 'done');
  });

  test('an ADMIN invite answered without a role is not "already" EMPLOYEE: nothing is sent, it stays ADMIN', async () => {
    const email = 'admin.hire@sandbox.example';
    const stripped = new Set<string>();
    const c = withoutRole((x) => stripped.has(x));
    const sent = await c.invite!({ email, role: 'ADMIN', firstAttempt: true });
    const held = () => graph.emulator.control.state().invites.find((i) => i.email === email)!;
    assert.equal(held().role, 'ADMIN');
    stripped.add(held().id);
    graph.emulator.control.clearCalls();
    for (const given of [sent.inviteId, held().id]) {
      await assert.rejects(c.changeInviteRole!(given, 'EMPLOYEE'), (e: unknown) => unknownRole(held().id)(e) && (e as ConnectorError).notApplied === true);
    }
    assert.deepEqual(writes(), []);
    assert.equal(held().role, 'ADMIN');
  });

  test('read back without a role after the change: unavailable, not marked not applied (it was sent); the retry reads again', async () => {
    const id = SANDBOX.pendingInviteId;
    let posted = false;
    // The role goes missing once the POST is made: only the read back misses it.
    const c = graph.connector(async (op, forward) => {
      if (op.method === 'POST' && op.path === id) posted = true;
      const a = await forward();
      if (posted && op.method === 'GET' && String(a.body?.id) === id) delete a.body.role;
      return a;
    });
    await assert.rejects(c.changeInviteRole!(id, 'ADMIN'), (e: unknown) => unknownRole(id)(e) && (e as ConnectorError).notApplied !== true);
    assert.equal(posted, true);
    posted = false;
    assert.equal(await c.changeInviteRole!(id, 'ADMIN'), 'already-done');
  });

  test('answered with its role, as our emulator does: listed with it, changed once, then already-done', async () => {
    const c = graph.connector();
    const id = SANDBOX.pendingInviteId;
    assert.equal((await all((x) => c.listInvites!(x))).find((i) => i.id === id)?.role, 'EMPLOYEE');
    assert.equal(await c.changeInviteRole!(id, 'ADMIN'), 'done');
    assert.equal(await c.changeInviteRole!(id, 'ADMIN'), 'already-done');
    assert.equal((await all((x) => c.listInvites!(x))).find((i) => i.id === id)?.role, 'ADMIN');
    assert.equal(graph.emulator.control.state().invites.find((i) => i.id === id)?.role, 'ADMIN');
  });
});
