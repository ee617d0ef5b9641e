/**
 * The rank rule and an email a manager shares with an owner the IdP has suspended (Okta's
 * `user.lifecycle.suspend`: the account cannot sign in, its groups are kept, and lifting the
 * suspension gives everything back). The owner's rank counts while suspended (docs/dashboard.md,
 * "Hub roles and My access"), and removing one's own seat stays one's own only for the directory
 * users the sign-in names as the person (docs/security.md item 41). A suspended namesake cannot be
 * the one signing in, yet with one user of the email able to sign in the person was taken for every
 * user of the email (agent/offers/claimant.ts `ownUsersAmong`), the suspended owner included: the
 * manager removed the owner's seat "as her own", even with a sign-in that named her.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEEDED_AT } from '../../agent/access/directory-fixtures.ts';
import { personOnHubs } from '../../agent/access/hub-access.ts';
import { managerKeepsOffOwnersSeat, sharedEmailDashboard } from './shared-email-fixtures.ts';

describe('the rank rule and an email a manager shares with a suspended owner', () => {
  const t = sharedEmailDashboard('shared-email-suspended', { suspended: { at: SEEDED_AT, by: 'okta-event-hook' } });
  const { remove, removals } = t;

  test('the sign-in names the manager: the suspended owner is not her (not among the users it names)', async () => {
    const [mia] = await personOnHubs(t.store, t.config.file.hubs, 'desk@acme.example', ['00u-mia']);
    assert.equal(mia?.hubRole, 'manager');
    assert.deepEqual(mia?.ownDirectoryUserIds, ['u-mia']);
    // The own-seat rules' strict side still counts both: neither seat is hers to exempt or re-match.
    assert.deepEqual([...(mia?.directoryUserIds ?? [])].sort(), ['u-mia', 'u-owen']);
  });

  test('she may not remove the suspended owner\'s seat as her own (refused, audited), and still removes her own', async () => {
    await managerKeepsOffOwnersSeat(t);
  });

  test('a sign-in naming neither is still the one who may sign in (the manager), not the suspended owner', async () => {
    t.agent.calls.length = 0;
    assert.equal((await remove(['oid-of-nobody'], 'm-owen')).status, 403);
    assert.deepEqual(removals(), []);
  });
});
