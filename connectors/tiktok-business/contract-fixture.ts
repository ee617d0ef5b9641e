import type { ContractFault, ContractFixture } from '../sdk/contract-fixture.ts';
import { createTikTokBusiness } from './connector.ts';
import { createTikTokEmulator, type EmulatorState, type FaultConfig } from './emulator/index.ts';
import { silentLog } from './test-setup.ts';

/**
 * TikTok's part of the shared connector contract suite (test/contract/connector-contract.ts): a
 * small Business Center on the emulator whose only admin is the token's own user (so last-admin
 * protection bites), 30 standard members (two pages of 20), ad accounts, and TikTok's ways of
 * throttling (40100, 40016), which announce no wait: the connector's backoff picks it.
 */
export const BC = '7000000000000000101';
export const TOKEN = 'contract-tiktok-token';
const REVOKED = 'revoked-tiktok-token-123';
const ADMIN_ID = '7200000000000000001';
const member = (i: number) => `72000000000001${String(i).padStart(5, '0')}`;
const adAccount = (i: number) => `71000000000001${String(i).padStart(5, '0')}`;

export function contractBusinessCenter(): EmulatorState {
  return {
    businessCenters: [{ bc_id: BC, name: 'Contract BC', company: 'Contract Inc.', currency: 'USD', registered_area: 'US', timezone: 'Etc/GMT', type: 'NORMAL', status: 'ENABLE', verification_status: 'VERIFIED' }],
    members: [
      { bc_id: BC, user_id: ADMIN_ID, user_name: 'hubwarden', user_email: 'bot@example.com', user_role: 'ADMIN', relation_status: 'BOUND' },
      ...Array.from({ length: 30 }, (_, i) => ({ bc_id: BC, user_id: member(i), user_name: `Member ${i}`, user_email: `member${i}@example.com`, user_role: 'STANDARD' as const, relation_status: 'BOUND' as const })),
    ],
    assets: [
      ...Array.from({ length: 60 }, (_, i) => ({ asset_type: 'ADVERTISER' as const, asset_id: adAccount(i), asset_name: `Ads ${i}`, owner_bc_id: BC })),
      { asset_type: 'CATALOG', asset_id: '7100000000000200001', asset_name: 'Catalog 1', owner_bc_id: BC },
      { asset_type: 'TT_ACCOUNT', asset_id: '7100000000000300001', asset_name: '@contract', owner_bc_id: BC },
    ],
    shares: [],
    partnerships: [],
    assignments: Array.from({ length: 20 }, (_, i) => ({ bc_id: BC, asset_type: 'ADVERTISER' as const, asset_id: adAccount(i % 60), user_id: member(i), role: 'OPERATOR' })),
    tokens: [{ value: TOKEN, user_id: ADMIN_ID, app_id: '7300000000000000101' }],
  };
}

const THROTTLE_CODES: Record<string, number> = { 'code 40100': 40100, 'code 40016': 40016 };

function faultConfig(f: ContractFault): FaultConfig {
  switch (f.kind) {
    case 'throttle': return { codes: [{ match: '.', code: THROTTLE_CODES[f.name] }] };
    case 'server-error': return { errorRate: 1 };
    case 'timeout': return { timeoutRate: 1 };
    case 'drop': return { dropRate: 1 };
    case 'noisy': return { errorRate: 0.05, dropRate: 0.05, shortPageRate: 0.3, seed: f.seed };
  }
}

export const contractFixture: ContractFixture = {
  // TikTok sends no wait with a throttle: any wait > 0 (the backoff's, 1 s to 1.2 s at first).
  throttles: Object.fromEntries(Object.keys(THROTTLE_CODES).map((name) => [name, {}])),
  async start() {
    const emulator = createTikTokEmulator({ state: contractBusinessCenter(), rateLimits: null });
    const server = await emulator.listen(0, '127.0.0.1');
    const make = (o: { badCredential?: boolean; timeoutMs?: number } = {}) => createTikTokBusiness({
      businessCenterId: BC, accessToken: o.badCredential ? REVOKED : TOKEN, apiBaseUrl: server.url,
      timeoutMs: o.timeoutMs ?? 5000, pace: { qps: 1000, qpm: 60_000 },
    }, { log: silentLog });
    return {
      connector: make(),
      make,
      sample: {
        inviteEmail: 'new.person@example.com', inviteRole: 'STANDARD',
        memberId: member(25), memberRole: 'STANDARD', lastAdminId: ADMIN_ID,
        asset: { type: 'ad_account', id: adAccount(2) }, tasks: ['OPERATOR'], unsupportedTasks: ['ADMIN', 'ANALYST'],
        unknownId: '7200000000009999999', badCredential: REVOKED,
      },
      faults: { inject: (f) => emulator.control.setFaults(faultConfig(f)), clear: () => emulator.control.setFaults({}) },
      callCount: () => emulator.calls.length,
      close: () => server.close(),
    };
  },
};
