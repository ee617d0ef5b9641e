import { configSchema } from '../../config/schema.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/sandbox-ids.ts';
import { HUB } from './harness.ts';

/**
 * The harness hub's advertisers (a seat and ad account act_111) and a team that gives a seat and
 * no asset, so leaving the advertisers only takes the ad account (failed-assign-maker,
 * unknown-outcome-audit).
 */
export const advertisersAndStaff = () => configSchema.parse({
  hubs: [{
    id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId },
    teams: [
      { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
      { group: 'Meta Staff', appRole: 'EMPLOYEE' },
    ],
    safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false },
  }],
});
