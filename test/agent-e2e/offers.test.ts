import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../config/schema.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, invitePosts, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

/** Seat-less owners and claim access, end to end: the Meta connector against the Meta emulator. */
const config = () => configSchema.parse({
  collections: [{ id: 'brand-hubs', label: 'Brand hubs', offerDays: 14 }],
  hubs: [{
    id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId },
    teams: [
      { group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [] },
      { group: 'IT', hubRole: 'owner', seat: false },
      { group: 'Brand', appRole: 'EMPLOYEE', collection: 'brand-hubs', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
      { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [] },
    ],
    safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false },
  }],
});
const portal = { type: 'okta-workflows' as const, actor: 'claim-flow' };
const graphWrites = (h: Harness, email: string) => h.emulator.calls.filter((c) => c.method !== 'GET' && JSON.stringify(c.body ?? {}).toLowerCase().includes(email));
/** Waits until the dispatcher has planned everything pushed so far (the outbox is empty and no reconcile is pending). */
const settled = (h: Harness) => until('dispatch settled', async () => (await h.store.count('outbox', HUB)) === 0 && (await h.agent.api.tasks({ hubId: HUB, kind: 'reconcile-person' })).items.every((t) => t.status === 'completed'));
const auditOf = async (h: Harness, action: string, email: string) => (await h.agent.api.audit({ hubId: HUB, action })).items.filter((e) => e.subject?.email === email);

// The agent's end-to-end flows on the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`claim access (collections) and seat-less owners (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind, config: config() }); await checkForUpdates(h); });
    after(() => h.close());

    test('a seat-less owner is never invited', async () => {
      await h.directory.createUser('u-it', 'it@example.com');
      await h.directory.patchGroup('IT', ['u-it']);
      // A seat team pushed after it proves the dispatcher got this far: its invite arrives, the owner's never does.
      await h.directory.createUser('u-adv', 'adv@example.com');
      await h.directory.patchGroup('Meta Advertisers', ['u-adv']);
      await until('advertiser invited', () => invitePosts(h.emulator, 'adv@example.com').length === 1);
      await settled(h);
      assert.equal(invitePosts(h.emulator, 'it@example.com').length, 0);
      assert.deepEqual(await h.agent.api.offers('it@example.com'), [], 'a seat-less team offers nothing either');
    });

    test('joining a collection team makes an offer and sends nothing; claiming twice sends one invite', async () => {
      await h.directory.createUser('u-kim', 'kim@example.com');
      await h.directory.patchGroup('Brand', ['u-kim']);
      const [offer] = await until('offer made', async () => { const o = await h.agent.api.offers('KIM@example.com'); return o.length ? o : undefined; });
      assert.deepEqual({ ...offer!, offeredAt: 'x', expiresAt: 'x' }, { id: offer!.id, hubId: HUB, collection: 'brand-hubs', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }], status: 'offered', offeredAt: 'x', expiresAt: 'x' });
      assert.equal(Date.parse(offer!.expiresAt!) - Date.parse(offer!.offeredAt), 14 * 86_400_000, 'the collection\'s offerDays');
      await settled(h);
      assert.deepEqual(graphWrites(h, 'kim@example.com'), [], 'no operation reaches the app before the claim');
      assert.equal((await auditOf(h, 'offer-made', 'kim@example.com')).length, 1);

      const first = await h.agent.api.claimOffer('kim@example.com', offer!.id, portal);
      const second = await h.agent.api.claimOffer('kim@example.com', offer!.id, portal);
      await until('claim planned', async () => (await Promise.all([first, second].map((t) => h.agent.api.task(t.id)))).every((t) => t?.status === 'completed'));
      const invite = await until('invite in the emulator', () => h.emulator.control.state().invites.find((i) => i.email === 'kim@example.com'));
      await h.agent.api.claimOffer('kim@example.com', offer!.id, portal).then((t) => until('third claim planned', async () => (await h.agent.api.task(t.id))?.status === 'completed'));
      await settled(h);
      assert.equal(invitePosts(h.emulator, 'kim@example.com').length, 1, 'claiming three times sent one invite');
      assert.equal((await h.agent.api.offers('kim@example.com'))[0]!.status, 'claimed');
      const claimed = await auditOf(h, 'offer-claimed', 'kim@example.com');
      assert.equal(claimed.length, 1, 'claimed once in the audit log');
      assert.equal(claimed[0]!.trigger.actor, 'claim-flow');

      // After the claim the person is like any grantee: accepting gives the team's asset.
      h.emulator.control.acceptInvite(invite.id);
      await checkForUpdates(h);
      await until('asset assigned', () => h.emulator.calls.some((c) => c.method === 'POST' && c.path.includes('act_111') && c.path.endsWith('assigned_users')));

      // Leaving after the claim is an ordinary removal (settle window of 1 s here), the offer stays claimed.
      await h.directory.patchGroup('Brand', [], ['u-kim']);
      await until('seat removed after the settle window', () => !h.emulator.control.state().users.some((u) => u.email === 'kim@example.com'), 10_000);
      assert.equal((await auditOf(h, 'offer-withdrawn', 'kim@example.com')).length, 0);
    });

    test('leaving the group before claiming withdraws the offer, nothing sent to the app; claiming it then is not-found', async () => {
      await h.directory.createUser('u-lou', 'lou@example.com');
      await h.directory.patchGroup('Brand', ['u-lou']);
      const [offer] = await until('offer made', async () => { const o = await h.agent.api.offers('lou@example.com'); return o.length ? o : undefined; });
      await h.directory.patchGroup('Brand', [], ['u-lou']);
      await until('offer withdrawn', async () => (await h.agent.api.offers('lou@example.com')).length === 0);
      await settled(h);
      const [withdrawn] = await auditOf(h, 'offer-withdrawn', 'lou@example.com');
      assert.match(withdrawn?.why ?? '', /no longer in Brand.*nothing was sent/);
      await assert.rejects(h.agent.api.claimOffer('lou@example.com', offer!.id, portal), (err: Error & { kind?: string }) => err.kind === 'not-found');
      assert.deepEqual(graphWrites(h, 'lou@example.com'), [], 'a withdrawn offer sends nothing');
    });
  });
}
