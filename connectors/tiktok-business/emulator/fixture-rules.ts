/**
 * What a fixture's rows may say, beyond their shape (fixture.ts): only what TikTok's own objects
 * can say, so the emulator never answers with a value or a state TikTok does not document.
 * Checked at load, naming the first bad place:
 * - an assignment's `asset_type` is its asset's, one of the eight `/bc/asset/assign/` takes, on an
 *   asset owned by or shared into its Business Center, and its `role` is what that type's role
 *   field takes (`advertiser_role` ADMIN | OPERATOR | ANALYST, `catalog_role` ADMIN | AD_PROMOTE,
 *   `tt_account_roles` a non-empty list of POST | LIVE | DIRECT_MESSAGE without repeats,
 *   `store_role`, `form_library_role`; none for PIXEL, STOREFRONT, DOMAIN), never above the role
 *   its owner shared it with [INF #22]. A role like "BOGUS", or `tt_account_roles` as a string, was
 *   answered as it stood: values and shapes TikTok's API spec does not have
 *   (`bc_asset_assign.yml`, https://github.com/tiktok/tiktok-business-api-sdk/tree/main/yml_files);
 * - a share is of its asset's type, by the asset's owner, to another Business Center it is a
 *   partner of, with the role field of that type only;
 * - an invitation's `invite_assets` are ad accounts (`/bc/member/invite/` takes ADVERTISER only);
 * - a Business Center lists an address once and a `user_id` once (addresses compare
 *   case-insensitively, `/bc/member/invite/`), and holds at most 4,000 members and 20 Admins
 *   ("How to add members to your TikTok Business Center",
 *   https://ads.tiktok.com/help/article/how-to-add-members-to-business-center; counted as the
 *   emulator counts them, BOUND and PENDING rows [INF #14]).
 */
import { ROLE_FIELD, ROLE_VALUES, type EmulatorState } from './model.ts';
import { MAX_ADMINS, MAX_MEMBERS } from './routes/members.ts';

type Fail = (where: string, what: string) => never;
type Fixture = Omit<EmulatorState, 'members'> & { members: Array<Omit<EmulatorState['members'][number], 'invited_at' | 'expires_at'>> };

/** Role ceilings compare by these ranks, highest first (as `/bc/asset/assign/` does, routes/assets.ts). */
const RANK: Record<string, readonly string[]> = { advertiser_role: ['ADMIN', 'OPERATOR', 'ANALYST'], catalog_role: ['ADMIN', 'AD_PROMOTE'] };

function checkRole(type: string, role: unknown, where: string, fail: Fail): void {
  const field = ROLE_FIELD[type as keyof typeof ROLE_FIELD];
  if (!field) {
    if (role !== '') fail(`${where}.role`, `${type} is assigned without a role: expected "" (got ${JSON.stringify(role)})`);
    return;
  }
  const values = ROLE_VALUES[field];
  if (field === 'tt_account_roles') {
    const ok = Array.isArray(role) && role.length > 0 && role.every((r) => values.includes(r)) && new Set(role).size === role.length;
    if (!ok) fail(`${where}.role`, `${field} is a non-empty list of ${values.join(', ')} without repeats (got ${JSON.stringify(role)})`);
    return;
  }
  if (typeof role !== 'string' || !values.includes(role)) fail(`${where}.role`, `${field} is one of ${values.join(', ')} (got ${JSON.stringify(role)})`);
}

export function checkFixtureRules(f: Fixture, fail: Fail): void {
  const assets = new Map(f.assets.map((a) => [a.asset_id, a]));
  const partners = (a: string, b: string) => f.partnerships.some((p) => (p.bc_id === a && p.partner_id === b) || (p.bc_id === b && p.partner_id === a));
  const bcs = new Set(f.businessCenters.map((b) => b.bc_id));

  f.partnerships.forEach((p, i) => {
    if (!bcs.has(p.bc_id) || !bcs.has(p.partner_id)) fail(`partnerships[${i}]`, 'both Business Centers must be in businessCenters');
    if (p.bc_id === p.partner_id) fail(`partnerships[${i}]`, 'a Business Center is not its own partner');
  });

  const seenIds = new Set<string>();
  const seenEmails = new Set<string>();
  f.members.forEach((m, i) => {
    const email = `${m.bc_id}/${m.user_email.toLowerCase()}`;
    if (seenEmails.has(email)) fail(`members[${i}]`, `${m.user_email} is listed twice in Business Center ${m.bc_id}`);
    seenEmails.add(email);
    if (m.user_id !== undefined) {
      if (seenIds.has(`${m.bc_id}/${m.user_id}`)) fail(`members[${i}]`, `user ${m.user_id} is listed twice in Business Center ${m.bc_id}`);
      seenIds.add(`${m.bc_id}/${m.user_id}`);
    }
    (m.invite_assets ?? []).forEach((ia, j) => {
      if (assets.get(ia.asset_id)?.asset_type !== 'ADVERTISER') fail(`members[${i}].invite_assets[${j}]`, `asset ${ia.asset_id} is not an ADVERTISER asset in assets (an invitation gives ad accounts only)`);
    });
  });
  for (const bc of bcs) {
    const counted = f.members.filter((m) => m.bc_id === bc && (m.relation_status === 'BOUND' || m.relation_status === 'PENDING'));
    if (counted.length > MAX_MEMBERS) fail('members', `Business Center ${bc} holds ${counted.length} members (BOUND and PENDING), more than ${MAX_MEMBERS}`);
    const admins = counted.filter((m) => m.user_role === 'ADMIN').length;
    if (admins > MAX_ADMINS) fail('members', `Business Center ${bc} holds ${admins} Admins (BOUND and PENDING), more than ${MAX_ADMINS}`);
  }

  f.shares.forEach((s, i) => {
    const asset = assets.get(s.asset_id)!;
    if (s.asset_type !== asset.asset_type) fail(`shares[${i}].asset_type`, `asset ${s.asset_id} is ${asset.asset_type}, not ${s.asset_type}`);
    if (s.owner_bc_id !== asset.owner_bc_id) fail(`shares[${i}].owner_bc_id`, `asset ${s.asset_id} is owned by ${asset.owner_bc_id}`);
    if (!partners(s.owner_bc_id, s.partner_bc_id)) fail(`shares[${i}]`, `${s.owner_bc_id} and ${s.partner_bc_id} are not partners (partnerships)`);
    if (s.advertiser_role !== undefined && asset.asset_type !== 'ADVERTISER') fail(`shares[${i}].advertiser_role`, `only with an ADVERTISER asset (${s.asset_id} is ${asset.asset_type})`);
    if (s.catalog_role !== undefined && asset.asset_type !== 'CATALOG') fail(`shares[${i}].catalog_role`, `only with a CATALOG asset (${s.asset_id} is ${asset.asset_type})`);
  });

  const held = new Set<string>();
  f.assignments.forEach((a, i) => {
    const where = `assignments[${i}]`;
    const asset = assets.get(a.asset_id)!;
    if (a.asset_type !== asset.asset_type) fail(`${where}.asset_type`, `asset ${a.asset_id} is ${asset.asset_type}, not ${a.asset_type}`);
    if (a.asset_type === 'MANAGED_BUSINESS_ACCOUNT') fail(`${where}.asset_type`, '/bc/asset/assign/ does not take MANAGED_BUSINESS_ACCOUNT');
    const share = asset.owner_bc_id === a.bc_id ? undefined : f.shares.find((s) => s.asset_id === a.asset_id && s.partner_bc_id === a.bc_id);
    if (asset.owner_bc_id !== a.bc_id && !share) fail(where, `asset ${a.asset_id} is neither owned by nor shared into Business Center ${a.bc_id}`);
    checkRole(a.asset_type, a.role, where, fail);
    const field = ROLE_FIELD[a.asset_type];
    const ceiling = share && field ? (share as unknown as Record<string, string | undefined>)[field] : undefined;
    if (ceiling && typeof a.role === 'string' && RANK[field!] && RANK[field!].indexOf(a.role) < RANK[field!].indexOf(ceiling)) {
      fail(`${where}.role`, `${a.role} is above the ${ceiling} the owner shared asset ${a.asset_id} with`);
    }
    const key = `${a.bc_id}/${a.asset_id}/${a.user_id}`;
    if (held.has(key)) fail(where, `user ${a.user_id} holds asset ${a.asset_id} twice in Business Center ${a.bc_id}`);
    held.add(key);
  });
}
