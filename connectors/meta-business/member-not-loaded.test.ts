import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';

/**
 * 100/33 says an object "does not exist, cannot be loaded due to missing permissions, or does not
 * support this operation" (https://developers.facebook.com/docs/graph-api/guides/error-handling);
 * another business user's details have been answered so (facebook/facebook-java-business-sdk#311).
 * A member Graph will not load by id, while business_users still lists them, is not a member gone:
 * a removal or role change on them fails saying so, and the seat stays.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };

/** Answers GET and DELETE on `/{memberId}` with 100/33; everything else reaches the emulator. */
function notLoading(memberId: string): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const method = init?.method ?? 'GET';
    if ((method === 'GET' || method === 'DELETE') && url.pathname.replace(/^\/v\d+\.\d+/, '') === `/${memberId}`) {
      const verb = method === 'GET' ? 'get' : 'delete';
      const body = { error: { message: `Unsupported ${verb} request. Object with ID '${memberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`, type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: 'nl' } };
      return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  };
}

describe('a member Graph answers 100/33 for while business_users lists them', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  const connector = (memberId: string) => {
    emulator.control.seed(sandboxFixture());
    emulator.control.clearCalls();
    return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: notLoading(memberId) });
  };
  const listed = (id: string) => emulator.control.state().users.some((u) => u.id === id);

  test('removing them is an error naming why, never already-done; the seat stays and no DELETE is sent', async () => {
    const member = SANDBOX.employees[2];
    const c = connector(member);
    await assert.rejects(c.removeMember!(member), (e: unknown) => e instanceof ConnectorError && e.kind === 'not-found' && e.notApplied === true
      && /still listed in business_users/.test(e.message) && e.providerCode === '100/33');
    assert.ok(listed(member), 'still a member');
    assert.equal(emulator.calls.filter((x) => x.method === 'DELETE').length, 0);
  });

  test('changing their role fails the same way (not "no such member")', async () => {
    const member = SANDBOX.employees[2];
    const c = connector(member);
    await assert.rejects(c.changeMemberRole!(member, 'ADMIN'), (e: unknown) => e instanceof ConnectorError && e.kind === 'not-found' && /still listed in business_users/.test(e.message));
  });

  test('a member really gone (not listed) is still already-done on removal', async () => {
    const member = SANDBOX.employees[3];
    const c = connector('none');
    assert.equal(await c.removeMember!(member), 'done');
    assert.equal(await c.removeMember!(member), 'already-done');
    assert.ok(!listed(member));
  });

  test('a person\'s re-read by id only (no email) still finds them: the seat is read from the listing, never reported gone', async () => {
    const member = SANDBOX.employees[2];
    const c = connector(member);
    const reading = await c.readPerson!({ memberId: member });
    assert.deepEqual(reading.members.map((m) => m.id), [member], 'still a member: the listing has them though GET /{id} answers 100/33');
    assert.ok(reading.members[0].role, 'read with their role from the listing');
  });

  test('a person\'s re-read of a member really gone (not listed) finds no seat', async () => {
    const member = SANDBOX.employees[3];
    const c = connector('none');
    assert.equal(await c.removeMember!(member), 'done');
    assert.deepEqual((await c.readPerson!({ memberId: member })).members, []);
  });
});
