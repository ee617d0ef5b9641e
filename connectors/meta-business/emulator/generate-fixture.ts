/**
 * A large, deterministic business for benchmarks (10,000 members, 1,000 pending
 * invites, 2,000 ad accounts, 500 pages, 200 catalogs). Same business id and token as the sandbox,
 * so the same connector config reads either.
 */
import type { MetaFixture } from './fixture.ts';
import { SANDBOX } from './sandbox-ids.ts';

export interface GenerateFixtureOptions {
  members?: number;
  invites?: number;
  adAccounts?: number;
  pages?: number;
  catalogs?: number;
  pixels?: number;
  /** people assigned to each asset (besides the system user), default 3 */
  assignmentsPerAsset?: number;
  /** ad accounts shared with the partner agency (default 10) */
  sharedAdAccounts?: number;
  /** partner agency users assigned on each shared ad account (default 2) */
  partnerUsers?: number;
}

const AD_ACCOUNT_BUNDLES = [['ANALYZE'], ['ADVERTISE', 'ANALYZE'], ['MANAGE', 'ADVERTISE', 'ANALYZE']];
const PAGE_BUNDLES = [['ANALYZE'], ['ADVERTISE', 'ANALYZE'], ['CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE']];
const CATALOG_BUNDLES = [['ADVERTISE'], ['MANAGE', 'ADVERTISE']];

export function generateFixture(options: GenerateFixtureOptions = {}): MetaFixture {
  const o = {
    members: 10_000, invites: 1_000, adAccounts: 2_000, pages: 500, catalogs: 200, pixels: 0,
    assignmentsPerAsset: 3, sharedAdAccounts: 10, partnerUsers: 2, ...options,
  };
  const biz = SANDBOX.businessId;
  const partner = SANDBOX.partner.businessId;
  const su = SANDBOX.systemUserId;
  const fixture: MetaFixture = {
    businesses: [
      { id: biz, name: 'Benchmark Portfolio', two_factor_type: 'none' },
      { id: partner, name: 'Benchmark Agency', two_factor_type: 'none' },
    ],
    tokens: [
      { value: SANDBOX.token, kind: 'system_user', businessId: biz, userId: su, scopes: ['business_management', 'ads_management', 'pages_show_list', 'pages_manage_metadata', 'catalog_management'], expiresAt: '+60d', appId: SANDBOX.appId },
      { value: SANDBOX.partner.token, kind: 'system_user', businessId: partner, userId: SANDBOX.partner.systemUserId, scopes: ['business_management', 'ads_management'], expiresAt: '+60d', appId: SANDBOX.appId },
    ],
    businessUsers: [],
    invites: [],
    systemUsers: [
      { id: su, businessId: biz, name: 'Benchmark Automation', role: 'ADMIN' },
      { id: SANDBOX.partner.systemUserId, businessId: partner, name: 'Agency Automation', role: 'ADMIN' },
    ],
    assets: [],
    assignments: [],
    shares: [],
  };
  const memberId = (i: number) => String(3000000000000000 + i);
  for (let i = 0; i < o.members; i++) {
    const admin = i < 3;
    fixture.businessUsers.push({
      id: memberId(i), businessId: biz, name: `Member ${i}`, email: `member${i}@bench.example`,
      role: admin ? 'ADMIN' : 'EMPLOYEE', tasks: admin ? ['MANAGE'] : ['DEFAULT'],
    });
  }
  for (let i = 0; i < o.invites; i++) {
    fixture.invites.push({
      id: String(4000000000000000 + i), businessId: biz, email: `invitee${i}@bench.example`, role: 'EMPLOYEE',
      status: 'PENDING', created_time: '-1d', expiration_time: '+29d',
    });
  }
  let n = 0;
  const assign = (assetId: string, bundles: string[][], manage: string[]) => {
    fixture.assignments.push({ assetId, userId: su, tasks: manage });
    for (let k = 0; k < o.assignmentsPerAsset && o.members > 0; k++) {
      fixture.assignments.push({ assetId, userId: memberId((n * 7 + k * 13) % o.members), tasks: bundles[(n + k) % bundles.length] });
    }
    n++;
  };
  for (let i = 0; i < o.adAccounts; i++) {
    const id = `act_${5000000000 + i}`;
    fixture.assets.push({ type: 'ad_account', id, name: `Ad account ${i}`, ownerBusinessId: biz });
    assign(id, AD_ACCOUNT_BUNDLES, ['MANAGE', 'ADVERTISE', 'ANALYZE']);
    if (i < o.sharedAdAccounts) {
      fixture.shares.push({ assetId: id, partnerBusinessId: partner, permittedTasks: ['ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED' });
      for (let p = 0; p < o.partnerUsers; p++) {
        const pid = String(2000000000001000 + p);
        if (i === 0) fixture.businessUsers.push({ id: pid, businessId: partner, name: `Agency user ${p}`, email: `agency${p}@agency.example`, role: p === 0 ? 'ADMIN' : 'EMPLOYEE' });
        fixture.assignments.push({ assetId: id, userId: pid, tasks: ['ANALYZE'] });
      }
    }
  }
  for (let i = 0; i < o.pages; i++) {
    const id = String(6000000000 + i);
    fixture.assets.push({ type: 'page', id, name: `Page ${i}`, ownerBusinessId: biz });
    assign(id, PAGE_BUNDLES, ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE']);
  }
  for (let i = 0; i < o.catalogs; i++) {
    const id = String(7000000000 + i);
    fixture.assets.push({ type: 'catalog', id, name: `Catalog ${i}`, ownerBusinessId: biz });
    assign(id, CATALOG_BUNDLES, ['MANAGE', 'ADVERTISE']);
  }
  for (let i = 0; i < o.pixels; i++) {
    const id = String(8000000000 + i);
    fixture.assets.push({ type: 'pixel', id, name: `Pixel ${i}`, ownerBusinessId: biz });
    fixture.assignments.push({ assetId: id, userId: su, tasks: ['EDIT', 'ADVERTISE', 'ANALYZE'] });
  }
  return fixture;
}
