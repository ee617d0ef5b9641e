import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFixture } from './fixture.ts';
import { TIKTOK_SANDBOX as S } from './sandbox-ids.ts';

/** The checked-in sandbox fixture as raw JSON, changed by `edit` (a fresh copy each time). */
function fixtureWith(edit: (raw: Record<string, any>) => void): unknown {
  const raw = JSON.parse(readFileSync(new URL('./fixtures/sandbox.json', import.meta.url), 'utf8')) as Record<string, any>;
  edit(raw);
  return raw;
}

const load = (raw: unknown) => parseFixture(raw, 'mine.json', Date.now());

test('the sandbox fixture keeps to the rules', () => {
  assert.equal(load(fixtureWith(() => {})).assignments.length, 6);
});

test('a fixture assignment holds only a role its asset type takes, in the shape TikTok gives it (never answered as it stood)', () => {
  // Each was answered as it stood: `advertiser_role: "BOGUS"` on /bc/asset/member/get/,
  // `tt_account_roles: "POST"` (a string, not a list) on /bc/asset/get/.
  const cases: Array<[string, (raw: Record<string, any>) => void, RegExp]> = [
    ['an undocumented ad account role', (r) => { r.assignments[1].role = 'BOGUS'; }, /assignments\[1\]\.role: advertiser_role is one of ADMIN, OPERATOR, ANALYST/],
    ['a catalog role of ad accounts', (r) => { r.assignments[3].role = 'OPERATOR'; }, /assignments\[3\]\.role: catalog_role is one of ADMIN, AD_PROMOTE/],
    ['TikTok-account roles as a string', (r) => { r.assignments[4].role = 'POST'; }, /assignments\[4\]\.role: tt_account_roles is a non-empty list/],
    ['TikTok-account roles repeated', (r) => { r.assignments[4].role = ['POST', 'POST']; }, /assignments\[4\]\.role: tt_account_roles/],
    ['TikTok-account roles empty', (r) => { r.assignments[4].role = []; }, /assignments\[4\]\.role: tt_account_roles/],
    ['another asset type than the asset\'s', (r) => { r.assignments[0].asset_type = 'CATALOG'; }, /assignments\[0\]\.asset_type: asset 7100000000000000001 is ADVERTISER, not CATALOG/],
    ['an asset of another Business Center, not shared', (r) => { r.assignments[5].asset_id = S.adAccounts[1]; }, /assignments\[5\]: asset 7100000000000000002 is neither owned by nor shared into Business Center 7000000000000000009/],
    ['above the role its owner shared', (r) => { r.assignments[5].role = 'ADMIN'; }, /assignments\[5\]\.role: ADMIN is above the OPERATOR/],
    ['the same holding twice', (r) => { r.assignments.push({ ...r.assignments[1] }); }, /assignments\[6\]: user 7200000000000000103 holds asset 7100000000000000001 twice/],
  ];
  for (const [what, edit, message] of cases) assert.throws(() => load(fixtureWith(edit)), message, what);
});

test('a fixture share, invitation and member listing keep to what TikTok can list', () => {
  const cases: Array<[string, (raw: Record<string, any>) => void, RegExp]> = [
    ['a share of another type than its asset', (r) => { r.shares[0].asset_type = 'CATALOG'; }, /shares\[0\]\.asset_type: asset 7100000000000000001 is ADVERTISER/],
    ['a share by a BC that does not own the asset', (r) => { r.shares[0].owner_bc_id = S.partner.bcId; r.shares[0].partner_bc_id = S.bcId; }, /shares\[0\]\.owner_bc_id: asset 7100000000000000001 is owned by 7000000000000000001/],
    ['a share without a partnership', (r) => { r.partnerships = []; }, /shares\[0\]: 7000000000000000001 and 7000000000000000009 are not partners/],
    ['a catalog role on an ad account share', (r) => { r.shares[0].catalog_role = 'ADMIN'; }, /shares\[0\]\.catalog_role: only with a CATALOG asset/],
    ['an invitation giving a catalog', (r) => { r.members[5].invite_assets[0].asset_id = S.catalogId; }, /members\[5\]\.invite_assets\[0\]: asset 7100000000000000101 is not an ADVERTISER asset/],
    ['an address listed twice, in other capitals', (r) => { r.members.push({ ...r.members[6], user_email: 'DECLINED@sandbox.example' }); }, /members\[10\]: DECLINED@sandbox\.example is listed twice/],
    ['a user_id listed twice', (r) => { r.members.push({ ...r.members[2], user_email: 'other@sandbox.example' }); }, /members\[10\]: user 7200000000000000103 is listed twice/],
    ['21 Admins', (r) => {
      for (let i = 0; i < 19; i++) r.members.push({ bc_id: S.bcId, user_email: `admin${i}@sandbox.example`, user_role: 'ADMIN', relation_status: 'PENDING' });
    }, /members: Business Center 7000000000000000001 holds 21 Admins \(BOUND and PENDING\), more than 20/],
  ];
  for (const [what, edit, message] of cases) assert.throws(() => load(fixtureWith(edit)), message, what);
});
