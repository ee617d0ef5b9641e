import { sandboxFixture, SANDBOX, type MetaFixture } from './emulator/index.ts';

/**
 * The sandbox with one client ad account: the partner business owns it and shares it with ours
 * (confirmed), and one of our employees holds ANALYZE on it. Test support only: imported by
 * *.test.ts files (the connector's and the end-to-end ones).
 */
export const CLIENT_AD_ACCOUNT = 'act_555';
export const CLIENT_ASSIGNEE = SANDBOX.employees[0];

export function withClientAdAccount(): MetaFixture {
  const f = sandboxFixture();
  f.assets.push({ type: 'ad_account', id: CLIENT_AD_ACCOUNT, name: 'Northwind Client Ads', ownerBusinessId: SANDBOX.partner.businessId, created_time: '-60d' });
  f.shares.push({ assetId: CLIENT_AD_ACCOUNT, partnerBusinessId: SANDBOX.businessId, permittedTasks: ['ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED', access_requested_time: '-60d' });
  f.assignments.push({ assetId: CLIENT_AD_ACCOUNT, userId: CLIENT_ASSIGNEE, tasks: ['ANALYZE'] });
  return f;
}
