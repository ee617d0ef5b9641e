import { ConnectorError, isConnectorError } from '../../sdk/connector-error.ts';
import type { AssetAssignment, AssetRef } from '../../sdk/hub-model.ts';
import type { AssignmentsOptions } from '../../sdk/capabilities.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { accessOfRow, isTikTokAssetType, TIKTOK_ASSET_TYPES, type TikTokAssetType } from '../mappers/asset-types.ts';
import type { AssetRow, MemberRow } from '../mappers/rows.ts';
import { MEMBER_PAGE_SIZE, refusedAsNonMember } from './members.ts';
import { findAssetRow } from './assets.ts';
import { assetRowKey, firstNames, hasAssetId, hasUserId, memberRowKey, unkeyedRows } from '../mappers/row-keys.ts';
import type { Holdings } from './holdings-cache.ts';

/**
 * Who holds which asset, with their role (TikTok API for Business v1.3):
 * - ad accounts and catalogs: `GET /bc/asset/member/get/` per asset, every page (≤ 20 rows);
 *   it lists BOUND members with an explicit assignment (admins' implicit access is not one);
 * - TikTok accounts: `GET /bc/asset/get/?asset_type=TT_ACCOUNT&filtering={"user_id":…}` per
 *   BOUND member, the only read that shows `tt_account_roles` (HoldingsCache).
 */
const IN_FLIGHT = 4;

async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Does the BC still list this asset (owned or shared in)? */
async function stillInBc(ctx: TikTokContext, type: TikTokAssetType, assetId: string): Promise<boolean> {
  const what = `tiktok-business: check that ${TIKTOK_ASSET_TYPES[type].label} ${assetId} is still in Business Center ${ctx.bcId}`;
  return (await findAssetRow(ctx, type, assetId, what)) !== undefined;
}

/**
 * A holder (or BOUND member) row is keyed by `user_id`, the key TikTok's update, delete and asset
 * calls take (the member object `/bc/asset/member/get/` returns, github.com/bububa/tiktok-business
 * `model/bc/member_get.go`); TikTok does not say it may be missing. A row without it cannot be filed under any member, and leaving it
 * out silently made the holders look complete with one missing, so a grant it holds looked absent
 * (assigned again, or a held grant taken for revoked). The read fails instead, naming the rows:
 * the check keeps the assignments it knew and reports the section not read [INF #54], as a
 * member listing with an unkeyed row is incomplete [INF #53].
 */
function failOnKeyless(rows: MemberRow[], what: string): void {
  const keyless = rows.filter((r) => !hasUserId(r)).map((r) => r.user_email ?? r.user_name ?? '?');
  if (keyless.length === 0) return;
  throw unkeyedRows(`${what}: ${keyless.length} row(s) without user_id (${firstNames(keyless)}): who holds it is not known in full`);
}

/**
 * Whether a holding row states its role as TikTok documents it: the role field of its asset type
 * with one of that field's values (`advertiser_role` ADMIN, OPERATOR, ANALYST; `catalog_role`
 * ADMIN, AD_PROMOTE; `tt_account_roles` a non-empty list of POST, LIVE, DIRECT_MESSAGE:
 * `bc_asset_assign.yml`, github.com/tiktok/tiktok-business-api-sdk). A row without it, or with
 * another value, holds a role that is not known: taken as "no role" (`[]`), an assign over it was
 * planned as an upgrade whatever the person held, and an undocumented value made one a downgrade.
 * As for a member row's `user_role` [INF #52], nothing is guessed.
 */
function knownAccess(type: TikTokAssetType, row: Record<string, unknown>): boolean {
  const t = TIKTOK_ASSET_TYPES[type];
  const value = row[t.roleField];
  const roles = t.roles as readonly string[];
  if (t.list) return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && roles.includes(v));
  return typeof value === 'string' && roles.includes(value);
}

function unknownRoles(what: string, field: string, names: string[]): ConnectorError {
  return new ConnectorError('unavailable', `${what}: ${names.length} row(s) without a documented ${field} (${firstNames(names)}): the role held is not known`, { providerCode: 'unknown-role' });
}

async function holdersOf(ctx: TikTokContext, asset: AssetRef, options: AssignmentsOptions): Promise<AssetAssignment[]> {
  if (!isTikTokAssetType(asset.type)) return [];
  const type = asset.type;
  const what = `tiktok-business: list who holds ${TIKTOK_ASSET_TYPES[type].label} ${asset.id}`;
  let rows: MemberRow[];
  try {
    rows = await ctx.client.all<MemberRow>('bc/asset/member/get', { bc_id: ctx.bcId, asset_type: TIKTOK_ASSET_TYPES[type].api, asset_id: asset.id }, MEMBER_PAGE_SIZE, what, memberRowKey);
  } catch (err) {
    // 40001 ("no permission", the asset is not owned by or shared into the BC) or 40007 ("the
    // object does not exist"), Return codes https://business-api.tiktok.com/portal/docs?id=1737172488964097:
    // the asset was removed or unshared after the asset listing. Nobody in this BC holds an asset
    // the BC no longer has, so one departed asset must not fail every holding of the check. The
    // same codes also mean a token that lost its admin role or a scope, so the asset counts as
    // gone only when the BC's own asset listing (`/bc/asset/get/`, keyword = its id) no longer
    // shows it; otherwise it might still exist and the read fails as before.
    if (isConnectorError(err) && (err.kind === 'permission-denied' || err.kind === 'not-found') && !await stillInBc(ctx, type, asset.id)) return [];
    // Still listed, and its holders refused (40001): that asset is unread. A caller that keeps
    // what it knew of such an asset (AssignmentsOptions.onUnreadableAsset) is told, and the other
    // assets' holders still count; failing the whole read held back every asset's holders.
    if (isConnectorError(err) && err.kind === 'permission-denied' && options.onUnreadableAsset) {
      options.onUnreadableAsset({ type, id: asset.id }, err.message);
      return [];
    }
    throw err;
  }
  failOnKeyless(rows, what);
  const unknown = rows.filter((r) => !knownAccess(type, r as Record<string, unknown>));
  if (unknown.length > 0) {
    const err = unknownRoles(what, TIKTOK_ASSET_TYPES[type].roleField, unknown.map((r) => String(r.user_id)));
    if (!options.onUnreadableAsset) throw err;
    options.onUnreadableAsset({ type, id: asset.id }, err.message);
    return [];
  }
  return rows.map((r) => ({
    asset: { type, id: asset.id }, userId: String(r.user_id), ...(r.user_name ? { userName: r.user_name } : {}),
    userType: 'member' as const, businessId: ctx.bcId, tasks: accessOfRow(type, r as Record<string, unknown>),
  }));
}

async function readTikTokAccountHoldings(ctx: TikTokContext): Promise<Holdings> {
  const what = `tiktok-business: list TikTok account access in Business Center ${ctx.bcId}`;
  const members = await ctx.client.all<MemberRow>('bc/member/get', { bc_id: ctx.bcId, filtering: { relation_status: 'BOUND' } }, MEMBER_PAGE_SIZE, what, memberRowKey);
  // A BOUND member without user_id cannot be asked for its TikTok accounts: not read silently as holding none.
  failOnKeyless(members, what);
  const holdings: Holdings = new Map();
  await inParallel(members, async (m) => {
    const userId = String(m.user_id);
    let rows: AssetRow[];
    try {
      rows = await ctx.client.all<AssetRow>('bc/asset/get', { bc_id: ctx.bcId, asset_type: 'TT_ACCOUNT', filtering: { user_id: userId } }, 50, what, assetRowKey);
    } catch (err) {
      // 40007 ("the object does not exist", Return codes, https://business-api.tiktok.com/portal/docs?id=1737172488964097):
      // the member left after the listing (removed by hand, or by the agent's own removal); a
      // removed member's access in the BC goes with them, so they hold nothing. One departure
      // must not fail the whole read: it is one call per member, minutes long in a large BC.
      // Only 40007 (write/gone.ts): 40300/40301 name a wrong advertiser, not a departure, and fail the read.
      if (isConnectorError(err) && err.providerCode === '40007') return;
      // Or a refusal (40002) of a user_id that is no member any more: the same departure.
      if (await refusedAsNonMember(ctx, err, userId, what)) return;
      throw err;
    }
    // A holding without `asset_id` names no TikTok account: which one it is cannot be told [INF #55].
    const keyless = rows.filter((r) => !hasAssetId(r));
    if (keyless.length > 0) throw unkeyedRows(`${what}: ${keyless.length} TikTok account row(s) of member ${userId} without asset_id: who holds which is not known in full`);
    const unknown = rows.filter((r) => !knownAccess('tiktok_account', r));
    if (unknown.length > 0) throw unknownRoles(`${what}: member ${userId}`, 'tt_account_roles', unknown.map((r) => String(r.asset_id)));
    if (rows.length > 0) holdings.set(userId, rows.map((r) => ({ assetId: String(r.asset_id), access: accessOfRow('tiktok_account', r), ...(m.user_name ? { userName: m.user_name } : {}) })));
  });
  return holdings;
}

export async function listAssignments(ctx: TikTokContext, assets: AssetRef[], options: AssignmentsOptions = {}): Promise<AssetAssignment[]> {
  const out: AssetAssignment[] = [];
  const tiktokAccounts = assets.filter((a) => a.type === 'tiktok_account');
  await inParallel(assets.filter((a) => a.type !== 'tiktok_account'), async (asset) => {
    out.push(...await holdersOf(ctx, asset, options));
  });
  if (tiktokAccounts.length > 0) {
    const wanted = new Set(tiktokAccounts.map((a) => a.id));
    const holdings = await ctx.holdings.get(() => readTikTokAccountHoldings(ctx));
    for (const [userId, held] of holdings) {
      for (const h of held) {
        if (!wanted.has(h.assetId)) continue;
        out.push({ asset: { type: 'tiktok_account', id: h.assetId }, userId, ...(h.userName ? { userName: h.userName } : {}), userType: 'member', businessId: ctx.bcId, tasks: h.access });
      }
    }
  }
  return out;
}
