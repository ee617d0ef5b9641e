/** Test fixtures shared by the dashboard's claim tests: a hub whose team Brand is claimable, and an agent whose claims run the agent's real code. */
import type { TaskView } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { SignedInClaimant } from '../../agent/offers/claimant.ts';
import { claimOwnOffer } from '../../agent/offers/offer-api.ts';
import { offerIdOf } from '../../agent/offers/offer-record.ts';
import type { Store, Transaction } from '../../agent/store/store.ts';
import { withCollections } from '../../config/schema.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { dashboardConfig } from './web-fixtures.ts';

export const CLAIM_HUB = 'acme-ads';

/** A dashboard config (no OIDC) with one Meta hub whose team Brand (EMPLOYEE) is claimable. */
export function claimConfig(name: string) {
  const config = dashboardConfig(name, `
  - id: ${CLAIM_HUB}
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams: [{ group: Brand, appRole: EMPLOYEE, claim: true }]
`, { oidc: false });
  return { config, hubs: withCollections(config.file) };
}

/** The fake agent, but claims go through the agent's real code (agent/offers/offer-api.ts) over `store`. */
export class ClaimingAgent extends FakeAgent {
  constructor(private readonly store: Store, private readonly claimHubs: ReturnType<typeof withCollections>) { super(); }
  override async claimOwnOffer(person: SignedInClaimant, offerId: string, trigger: Trigger): Promise<TaskView> {
    return claimOwnOffer(this.store, this.claimHubs, person, offerId, trigger, new Date());
  }
}

/** Stages an open offer of Brand to directory user `userId` at `email`, offered now; returns its id. */
export function offerBrand(tx: Transaction, userId: string, email: string): string {
  const id = offerIdOf(CLAIM_HUB, userId, 'Brand');
  tx.put('offers', CLAIM_HUB, id, { id, hubId: CLAIM_HUB, directoryUserId: userId, email, group: 'Brand', appRole: 'EMPLOYEE', assets: [], status: 'offered', offeredAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00.000Z', membership: 'brand' });
  return id;
}
