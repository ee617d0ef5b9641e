import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { configSchema } from '../../config/schema.ts';
import { OKTA } from './directory.ts';
import { HUB, until, type Harness } from './harness.ts';
import { checkCase, finished, signedIn, startWorld } from './audit-completeness-fixtures.ts';

/** Audit completeness (audit-completeness.test.ts) of offers: made, claimed, and a claim of an expired one refused. */

/** A claim team (a collection): joining it makes an offer; claiming it invites. */
const offersConfig = () => configSchema.parse({
  collections: [{ id: 'brand-hubs', label: 'Brand hubs', offerDays: 14 }],
  hubs: [{
    id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId },
    teams: [{ group: 'Brand', appRole: 'EMPLOYEE', collection: 'brand-hubs', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] }],
    safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false },
  }],
});

describe('audit completeness: offers and claim access', () => {
  let h: Harness;
  before(async () => { h = await startWorld({}, offersConfig()); });
  after(() => h.close());
  test('an offer is made, claimed from the dashboard, and a claim of an expired one is refused', () => checkCase(h, {
    name: 'offers',
    async run(h) {
      await h.directory.createUser('u-kim', 'kim@example.com');
      await h.directory.createUser('u-lee', 'lee@example.com');
      await h.directory.patchGroup('Brand', ['u-kim', 'u-lee']);
      const offerOf = (email: string) => until(`offer to ${email}`, async () => (await h.agent.api.offers(email))[0]);
      const kim = await offerOf('kim@example.com');
      const lee = await offerOf('lee@example.com');
      const claim = await h.agent.api.claimOffer('kim@example.com', kim.id, signedIn);
      await finished(h, claim.id);
      await until('kim invited', () => h.emulator.control.state().invites.some((i) => i.email === 'kim@example.com'));
      // Lee's offer lapses unclaimed (its end date passed), then someone claims it.
      await h.store.transact(async (tx) => {
        const o = (await tx.get('offers', HUB, lee.id))!;
        tx.put('offers', HUB, lee.id, { ...o, expiresAt: new Date(Date.now() - 60_000).toISOString() });
      });
      await assert.rejects(h.agent.api.claimOffer('lee@example.com', lee.id, signedIn), /expired/);
      return [
        { action: 'offer-made', outcome: 'ok', trigger: OKTA, email: 'kim@example.com', why: /Brand/ },
        { action: 'offer-claimed', outcome: 'ok', trigger: signedIn, email: 'kim@example.com', why: /kim@example\.com claimed EMPLOYEE on hub meta-main offered through Brand/ },
        { action: 'invite', outcome: 'ok', trigger: signedIn, email: 'kim@example.com', why: /invite kim@example\.com as EMPLOYEE/ },
        { action: 'offer-claimed', outcome: 'failed', trigger: signedIn, email: 'lee@example.com', why: new RegExp(`dashboard:manager@example\\.com claimed offer ${lee.id} for lee@example\\.com: refused, offer ${lee.id} expired`), not: 'ok' },
      ];
    },
  }));
});
