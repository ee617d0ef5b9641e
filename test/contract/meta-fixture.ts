import type { MetaFixture } from '../../connectors/meta-business/emulator/fixture.ts';

/**
 * A small business for the contract suite: one admin (so last-admin protection bites), employees
 * enough for several pages at small limits, every asset type, and a partner with its own token.
 */
export const BUSINESS = '1000000000000001';
export const PARTNER = '2000000000000002';
export const TOKEN = 'contract-system-user-token';
export const PARTNER_TOKEN = 'contract-partner-token';

export function contractFixture(): MetaFixture {
  const scopes = ['business_management', 'ads_management', 'pages_manage_metadata', 'catalog_management'];
  const employees = Array.from({ length: 30 }, (_, i) => ({
    id: String(100000000000100 + i), businessId: BUSINESS, name: `Employee ${i}`, email: `employee${i}@example.com`, role: 'EMPLOYEE',
  }));
  return {
    businesses: [{ id: BUSINESS, name: 'Contract Portfolio' }, { id: PARTNER, name: 'Partner Agency' }],
    tokens: [
      { value: TOKEN, kind: 'system_user', businessId: BUSINESS, userId: '900000000000001', scopes, expiresAt: null, appId: '1' },
      { value: PARTNER_TOKEN, kind: 'system_user', businessId: PARTNER, userId: '900000000000002', scopes, expiresAt: null, appId: '1' },
    ],
    businessUsers: [
      { id: '100000000000001', businessId: BUSINESS, name: 'Ada Admin', email: 'ada@example.com', role: 'ADMIN' },
      ...employees,
      { id: '200000000000001', businessId: PARTNER, name: 'Pat Partner', email: 'pat@agency.example', role: 'EMPLOYEE' },
    ],
    invites: [],
    systemUsers: [
      { id: '900000000000001', businessId: BUSINESS, name: 'hubwarden', role: 'ADMIN' },
      { id: '900000000000002', businessId: PARTNER, name: 'agency bot', role: 'ADMIN' },
    ],
    assets: [
      ...Array.from({ length: 60 }, (_, i) => ({ type: 'ad_account' as const, id: `act_${3000 + i}`, name: `Ads ${i}`, ownerBusinessId: BUSINESS })),
      { type: 'page', id: '4001', name: 'Page 1', ownerBusinessId: BUSINESS },
      { type: 'catalog', id: '5001', name: 'Catalog 1', ownerBusinessId: BUSINESS },
      { type: 'pixel', id: '6001', name: 'Pixel 1', ownerBusinessId: BUSINESS },
    ],
    assignments: [
      ...employees.slice(0, 20).map((e, i) => ({ assetId: `act_${3000 + (i % 60)}`, userId: e.id, tasks: ['ADVERTISE', 'ANALYZE'] })),
      { assetId: 'act_3001', userId: '200000000000001', tasks: ['ANALYZE'] },
    ],
    shares: [{ assetId: 'act_3001', partnerBusinessId: PARTNER, permittedTasks: ['ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED' }],
  };
}
