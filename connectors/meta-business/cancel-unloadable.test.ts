import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import { graphError, servedEmulator } from './alternative-fetch.test-double.ts';

/**
 * Cancelling an invite Graph answers as a missing object (100/33: "does not exist, cannot be loaded
 * due to missing permissions, or does not support this operation",
 * https://developers.facebook.com/docs/graph-api/guides/error-handling). Taken as "already gone"
 * while pending_users still lists it, the cancellation was audited as made and the person could
 * still accept the invite.
 */
const PENDING = '1000000000000301'; // new.hire@sandbox.example, pending in the sandbox fixture

describe('cancelling an invite answered 100/33', () => {
  const served = servedEmulator();
  const unsupported = graphError(100, `Unsupported delete request. Object with ID '${PENDING}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`, { error_subcode: 33, type: 'GraphMethodException' });

  test('still listed in pending_users: the error stands (not applied), never already-done', async () => {
    const c = served.connector(async (op, forward) => (op.method === 'DELETE' && op.path === PENDING ? unsupported : forward()));
    await assert.rejects(c.cancelInvite!(PENDING), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'not-found' && e.notApplied === true && /still listed in pending_users/.test(e.message));
    assert.ok(served.emulator.control.state().invites.some((i) => i.id === PENDING && i.status === 'PENDING'), 'the invite still stands');
  });

  test('gone from pending_users: already-done, as before', async () => {
    const c = served.connector();
    assert.equal(await c.cancelInvite!(PENDING), 'done');
    assert.equal(await c.cancelInvite!(PENDING), 'already-done');
    assert.equal(await c.cancelInvite!('1000000000000399'), 'already-done', 'an id Graph never had');
  });
});
