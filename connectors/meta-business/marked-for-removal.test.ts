import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { HubConnector } from '../sdk/connector.ts';
import { all, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';
import { toMember } from './mappers/member.ts';

/**
 * BusinessUser `marked_for_removal` (a bool among the BusinessUser fields,
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user; Meta says no
 * more). Our emulator answers false for everyone; a Graph that marks a seat is made here by
 * rewriting its answers. Strict reading (README [INF]): a seat on its way out.
 */
describe('meta-business members marked for removal', () => {
  const graph = servedEmulator();
  const marking = (marked: string[]): HubConnector => {
    const reading: Reading = async (op, forward) => {
      const a = await forward();
      const wanted = (op.query.get('fields') ?? '').split(',').includes('marked_for_removal');
      const rows = Array.isArray(a.body?.data) ? a.body.data : a.body?.id ? [a.body] : [];
      if (op.method === 'GET' && wanted) for (const u of rows) if (marked.includes(String(u.id))) u.marked_for_removal = true;
      return a;
    };
    return graph.connector(reading);
  };

  test('the listing reads marked_for_removal: the member is removalPending, the others are not', async () => {
    const c = marking([SANDBOX.employees[0]]);
    const members = await all((x) => c.listMembers!(x));
    assert.deepEqual(members.filter((m) => m.removalPending).map((m) => m.id), [SANDBOX.employees[0]]);
    assert.equal(toMember({ id: '1', role: 'EMPLOYEE', marked_for_removal: false }).removalPending, undefined);
  });

  test('an admin marked for removal is no admin to count on: the other admin is not demoted or removed', async () => {
    const [keep, leaving] = SANDBOX.admins;
    const c = marking([leaving]);
    for (const change of [() => c.changeMemberRole!(keep, 'EMPLOYEE'), () => c.removeMember!(keep)]) {
      await assert.rejects(change(), (e: unknown) => e instanceof ConnectorError && e.kind === 'conflict' && e.providerCode === '3914' && e.message.includes(leaving));
    }
    assert.equal(graph.emulator.control.state().users.find((u) => u.id === keep)?.role, 'ADMIN');
    // Unmarked, the two admins are two: the demotion goes through.
    assert.equal(await marking([]).changeMemberRole!(keep, 'EMPLOYEE'), 'done');
  });
});
