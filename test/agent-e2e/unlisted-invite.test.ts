import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, invitePosts, silent, startHarness, until, type Harness } from './harness.ts';

/**
 * Meta lists invites in `pending_users` only while they are pending
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users):
 * a declined invite, or one an admin cancelled in Business Manager, leaves the listing before its
 * expiry, and the two look alike. hubwarden treats it as a failed invite, as a declined one it can
 * see: re-sent once, then held for an owner. Before, the person looked seatless after every
 * decline and was invited afresh, without end. The emulator runs with `inviteVisibility:
 * 'pending-only'` (that reading of Meta's page); declined-invite.test.ts runs the other.
 */
let h: Harness;
before(async () => {
  h = await startHarness({ emulator: { inviteVisibility: 'pending-only' } });
  await checkForUpdates(h);
});
after(() => h.close());

const pendingOf = (email: string) => h.emulator.control.state().invites.find((i) => i.email === email && i.status === 'PENDING');
/** Someone with access to the business, acting in Business Manager (through the Graph API). */
const byHand = () => createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: h.url }, { log: silent });

async function passes(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await checkForUpdates(h);
    await h.agent.idle();
  }
}

describe('invites that leave pending_users before they expire', () => {
  test('declined each time: re-sent once, then held for an owner, never an invite after every decline', async () => {
    const email = 'dee@example.com';
    await h.directory.createUser('u-dee', email);
    await h.directory.patchGroup('Meta Advertisers', ['u-dee']);
    const first = await until('the invite', () => pendingOf(email));
    await passes(1); // the check learns Meta's id of the invite
    h.emulator.control.declineInvite(first.id);
    await passes(1);
    const second = await until('the re-sent invite', () => pendingOf(email));
    assert.equal(invitePosts(h.emulator, email).length, 2, 'the vanished invite is re-sent once');
    h.emulator.control.declineInvite(second.id);
    await passes(3);
    assert.equal(invitePosts(h.emulator, email).length, 2, 'declined again: held, not invited again');
    assert.equal(pendingOf(email), undefined);
    const audit = (await h.agent.api.audit({ hubId: HUB, email })).items;
    const lines = JSON.stringify(audit.map((e) => `${e.action} ${e.outcome}: ${e.why}`));
    assert.ok(audit.some((e) => e.action === 'reinvite' && e.outcome === 'ok'), lines);
    assert.ok(audit.some((e) => e.action === 'reinvite' && e.outcome === 'skipped' && /declined, or cancelled in the app, before it expired and was already re-sent 1 time/.test(e.why)), lines);
  });

  test('an invite cancelled in Business Manager while the person has a new one made there: no re-send', async () => {
    const email = 'cal@example.com';
    await h.directory.createUser('u-cal', email);
    await h.directory.patchGroup('Meta Advertisers', ['u-dee', 'u-cal']);
    const first = await until('the invite', () => pendingOf(email));
    await passes(1);
    // An admin cancels hubwarden's invite and invites the person again by hand, between two checks.
    await byHand().cancelInvite!(first.id);
    await byHand().invite!({ email, role: 'EMPLOYEE' });
    await passes(2);
    assert.equal(invitePosts(h.emulator, email).length, 2, "hubwarden's and the admin's: the lapsed one is history beside a live invite");
    assert.ok(pendingOf(email));
  });
});
