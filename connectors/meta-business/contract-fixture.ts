import type { ContractFault, ContractFixture } from '../sdk/contract-fixture.ts';
import { createMetaBusiness } from './connector.ts';
import { createMetaEmulator, type FaultConfig, type MetaEmulatorOptions, type MetaFixture } from './emulator/index.ts';

/**
 * Meta's part of the shared connector contract suite (test/contract/connector-contract.ts): a
 * small business on the Graph emulator (one admin, so last-admin protection bites; employees for
 * several pages; every asset type; a partner with its own token) and Meta's throttling codes.
 */
export const BUSINESS = '1000000000000001';
export const PARTNER = '2000000000000002';
export const TOKEN = 'contract-system-user-token';
export const PARTNER_TOKEN = 'contract-partner-token';
const REVOKED = 'revoked-token-123';

/** Throttle codes of Graph (https://developers.facebook.com/docs/graph-api/overview/rate-limiting); the emulator announces a 3-minute wait for each. */
const THROTTLE_CODES = { 'code 4': 4, 'code 17': 17, 'code 341': 341, 'code 613': 613, 'code 80004': 80004 } as const;

export function contractBusiness(): MetaFixture {
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

function faultConfig(f: ContractFault): FaultConfig {
  switch (f.kind) {
    case 'throttle': return { throttle: { code: THROTTLE_CODES[f.name as keyof typeof THROTTLE_CODES], regainMinutes: 3 } };
    case 'server-error': return { errorRate: 1 };
    case 'timeout': return { timeoutRate: 1 };
    case 'drop': return { dropRate: 1 };
    case 'noisy': return { errorRate: 0.05, dropRate: 0.05, shortPageRate: 0.3, seed: f.seed };
  }
}

const log = { debug() {}, info() {}, warn() {}, error() {} };

/** The emulator on the contract business, and a connector factory pointed at it. */
export async function startContractBusiness(options: Omit<MetaEmulatorOptions, 'fixture'> = {}) {
  const emulator = createMetaEmulator({ ...options, fixture: contractBusiness() });
  const server = await emulator.listen(0, '127.0.0.1');
  const make = (o: { badCredential?: boolean; timeoutMs?: number } = {}) => createMetaBusiness({
    businessId: BUSINESS, accessToken: o.badCredential ? REVOKED : TOKEN, graphBaseUrl: server.url,
    timeoutMs: o.timeoutMs ?? 5000, managedAssetTypes: ['ad_account'], partners: [{ businessId: PARTNER, token: PARTNER_TOKEN }],
  }, { log });
  return { emulator, server, make };
}

export const contractFixture: ContractFixture = {
  // faultConfig's throttle announces estimated_time_to_regain_access: 3 (minutes) on the ad account;
  // only a BUC throttle (80004) waits it. Codes 4 and 341 are the app-level limits (10 min), 17 and 613 wait
  // 5 min (graph-errors.ts): the header's time is the ad account's quota, not theirs.
  throttles: { 'code 4': { waitMs: 10 * 60_000 }, 'code 341': { waitMs: 10 * 60_000 }, 'code 17': { waitMs: 5 * 60_000 }, 'code 613': { waitMs: 5 * 60_000 }, 'code 80004': { waitMs: 3 * 60_000 } },
  async start() {
    const { emulator, server, make } = await startContractBusiness();
    return {
      connector: make(),
      make,
      sample: {
        inviteEmail: 'new.person@example.com', inviteRole: 'EMPLOYEE',
        memberId: '100000000000125', memberRole: 'EMPLOYEE', lastAdminId: '100000000000001',
        asset: { type: 'ad_account', id: 'act_3002' }, tasks: ['ADVERTISE', 'ANALYZE'], unsupportedTasks: ['MANAGE'],
        unknownId: '999999999999999', badCredential: REVOKED,
        partner: { businessId: PARTNER, asset: { type: 'ad_account', id: 'act_3005' }, tasks: ['ANALYZE'] },
      },
      faults: { inject: (f) => emulator.control.setFaults(faultConfig(f)), clear: () => emulator.control.setFaults({}) },
      callCount: () => emulator.calls.length,
      close: () => server.close(),
    };
  },
};
