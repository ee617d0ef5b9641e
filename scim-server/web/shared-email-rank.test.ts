/**
 * The rank rule (a manager does not take away an owner's seat, docs/security.md items 35 and 37)
 * and an email two directory users share. The own-seat rule counts every directory user of the
 * email as the person (the strict side there), and removing one's own seat stays one's own: so a
 * manager whose email a namesake owner also has (Okta and Entra do not keep emails unique) could
 * remove the owner's seat "as his own", though the sign-in named him, or named neither of them.
 * Only the directory users the sign-in says are the person are theirs to take away.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { managerKeepsOffOwnersSeat, sharedEmailDashboard } from './shared-email-fixtures.ts';

describe('the rank rule and an email a manager and an owner share', () => {
  const t = sharedEmailDashboard('shared-email-rank');
  const { remove, removals } = t;

  test('the sign-in names the manager: she may not remove her namesake owner\'s seat (refused, audited), and still removes her own', async () => {
    await managerKeepsOffOwnersSeat(t);
  });

  test('the sign-in names neither (the lowest role of both, a manager): the owner\'s seat is not taken as hers', async () => {
    t.agent.calls.length = 0;
    assert.equal((await remove(['oid-of-nobody'], 'm-owen')).status, 403);
    assert.deepEqual(removals(), []);
  });

  test('the owner signing in removes his own seat', async () => {
    t.agent.calls.length = 0;
    assert.equal((await remove(['00u-owen'], 'm-owen')).status, 202);
    assert.deepEqual(removals().map((c) => c.args[1]), ['m-owen']);
  });
});
