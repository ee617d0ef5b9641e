import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import type { HubConnector } from '../sdk/connector.ts';
import { all, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * Invites whose expiry a Graph gives otherwise than our emulator does (README [INF]): only under
 * the API spec's `expiry_time`, not at all (an invite that never expires), or as 0. None may read
 * as expired (hubwarden would re-send it: a second invite) and none may fail the listing.
 */
describe('meta-business invites with an expiry given otherwise', () => {
  const graph = servedEmulator();
  const connector = (rewrite: (invite: Record<string, unknown>) => void): HubConnector => {
    const reading: Reading = async (op, forward) => {
      const a = await forward();
      if (op.method === 'GET' && op.path.endsWith('/pending_users') && Array.isArray(a.body?.data)) for (const i of a.body.data) rewrite(i);
      return a;
    };
    return graph.connector(reading);
  };
  const pendingInvite = async (c: HubConnector) => (await all((x) => c.listInvites!(x))).find((i) => i.id === SANDBOX.pendingInviteId)!;

  test('only expiry_time given (the API spec lists both names): the expiry is read', async () => {
    const c = connector((i) => { delete i.expiration_time; });
    const held = graph.emulator.control.state().invites.find((i) => i.id === SANDBOX.pendingInviteId)!;
    const invite = await pendingInvite(c);
    assert.equal(invite.status, 'pending');
    assert.equal(invite.expiresAt, new Date(Math.floor(held.expiration_time / 1000) * 1000).toISOString()); // Graph datetimes hold whole seconds
  });

  test('no expiry at all, or 0: pending with no expiresAt, never expired', async () => {
    for (const rewrite of [(i: Record<string, unknown>) => { delete i.expiration_time; delete i.expiry_time; }, (i: Record<string, unknown>) => { i.expiration_time = 0; i.expiry_time = 0; }]) {
      const invite = await pendingInvite(connector(rewrite));
      assert.deepEqual([invite.status, invite.expiresAt], ['pending', undefined]);
    }
  });
});
