import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';

/**
 * A removal Graph answers 100/33 ("does not exist, cannot be loaded due to missing permissions",
 * https://developers.facebook.com/docs/graph-api/guides/error-handling) for a person the token's
 * business_users listing leaves out (the emulator's opt-in `businessUsersSeen`): the listing's
 * silence is no proof they left, so the removal is not taken as already done while a read by id
 * still loads them.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };

/** Answers DELETE on `/{memberId}` with 100/33; everything else reaches the emulator. */
function deleteNotLoading(memberId: string): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if ((init?.method ?? 'GET') === 'DELETE' && url.pathname.replace(/^\/v\d+\.\d+/, '') === `/${memberId}`) {
      const body = { error: { message: `Unsupported delete request. Object with ID '${memberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`, type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: 'rh' } };
      return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  };
}

describe('a removal answered 100/33 for a person the filtered business_users listing leaves out', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  const seated = (id: string) => emulator.control.state().users.some((u) => u.id === id);
  const connector = (fetchImpl?: typeof fetch) => createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, ...(fetchImpl ? { fetch: fetchImpl } : {}) });

  test('the person still reads by id: an error saying the removal is not confirmed, never already-done; the seat stays', async () => {
    emulator.control.seed(sandboxFixture());
    emulator.control.setFaults({ businessUsersSeen: 1 });
    const member = SANDBOX.employees[2];
    const listed = (await connector().listMembers!()).items.map((m) => m.id);
    assert.ok(!listed.includes(member), 'the token does not list the person');
    await assert.rejects(connector(deleteNotLoading(member)).removeMember!(member), (e: unknown) => e instanceof ConnectorError && e.notApplied === true
      && /still reads by id/.test(e.message) && /filtered/.test(e.message));
    assert.ok(seated(member), 'still a member');
  });

  test('a person really gone is still already-done under the filtered listing', async () => {
    emulator.control.seed(sandboxFixture());
    emulator.control.setFaults({ businessUsersSeen: 1 });
    const member = SANDBOX.employees[2];
    const c = connector();
    assert.equal(await c.removeMember!(member), 'done');
    assert.equal(await c.removeMember!(member), 'already-done');
    assert.ok(!seated(member));
  });
});
