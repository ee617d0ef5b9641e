/**
 * Graph pages are followed until `next` is gone, empty pages included
 * (https://developers.facebook.com/docs/graph-api/results). A Graph whose `next` names the page
 * just read again never ends the listing: the connector's own page loops (the per-asset batched
 * reads, the agencies read whole on the partner listing's first page, and inside a task the
 * look-ups before a write and on its error paths) stop with an error saying so, as the agent's
 * page loop does (agent/check-for-updates/read-app.ts readAllPages), instead of calling Graph for
 * ever inside one check or one task (holding the hub's queue, spending its rate limit).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { createMetaBusiness } from './connector.ts';
import { alternativeFetch, log, type Reading } from './alternative-fetch.test-double.ts';
import { listeningEmulator } from './test-emulator.ts';
import { isConnectorError } from '../sdk/connector-error.ts';
import { graphError } from './alternative-fetch.test-double.ts';

describe('meta-business: a next page that is the page just read', () => {
  const server = listeningEmulator();
  const connector = (reading: Reading) => createMetaBusiness(
    { businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url },
    { log, fetch: alternativeFetch(reading) },
  );
  /** `edge` answers an empty page whose `next` is the URL asked (the first page's `after=x`): a loop. */
  const looping = (edge: RegExp): Reading => async (op, forward) => {
    if (op.method !== 'GET' || !edge.test(op.path)) return forward();
    const q = new URLSearchParams(op.query);
    q.delete('access_token');
    q.set('after', 'x');
    return { status: 200, body: { data: [], paging: { cursors: { before: 'x', after: 'x' }, next: `${server.url}/v25.0/${op.path}?${q}` } } };
  };
  const loops = (err: unknown) => {
    assert.ok(isConnectorError(err), String(err));
    assert.match(err.message, /next page .* already read/);
    return true;
  };

  test('an asset\'s assigned_users', { timeout: 10_000 }, async () => {
    await assert.rejects(connector(looping(/^act_111\/assigned_users$/)).listAssignments!([{ type: 'ad_account', id: 'act_111' }]), loops);
  });

  test('a pixel\'s shared_agencies', { timeout: 10_000 }, async () => {
    await assert.rejects(connector(looping(/\/shared_agencies$/)).listPartners!(), loops);
  });

  test('the business\'s agencies', { timeout: 10_000 }, async () => {
    await assert.rejects(connector(looping(/\/agencies$/)).listPartners!(), loops);
  });

  // Inside a task: a write's look-first read, and a look-up on an error path. Before, each of
  // these called Graph until the test's timeout.
  test('the admins read before removing an admin (the last-admin check)', { timeout: 10_000 }, async () => {
    await assert.rejects(connector(looping(/\/business_users$/)).removeMember!(SANDBOX.admins[0]), loops);
  });

  test('the pending invites looked up before an invite', { timeout: 10_000 }, async () => {
    await assert.rejects(connector(looping(/\/pending_users$/)).invite!({ email: 'new.person@example.com', role: 'EMPLOYEE' }), loops);
  });

  test('an ad account\'s partners read before sharing it', { timeout: 10_000 }, async () => {
    await assert.rejects(connector(looping(/^act_111\/agencies$/)).shareAsset!({ asset: { type: 'ad_account', id: 'act_111' }, partnerBusinessId: SANDBOX.partner.businessId, tasks: ['ANALYZE'] }), loops);
  });

  test('pending_users read to settle a cancellation answered 100/33', { timeout: 10_000 }, async () => {
    const invite = SANDBOX.pendingInviteId;
    const missing = graphError(100, `Unsupported delete request. Object with ID '${invite}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, { error_subcode: 33, type: 'GraphMethodException' });
    const listing = looping(/\/pending_users$/);
    await assert.rejects(connector((op, forward) => (op.method === 'DELETE' && op.path === invite ? Promise.resolve(missing) : listing(op, forward))).cancelInvite!(invite), loops);
  });
});
