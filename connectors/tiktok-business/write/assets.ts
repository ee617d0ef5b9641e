import { ConnectorError, markedNotApplied } from '../../sdk/connector-error.ts';
import type { AssetRef, ChangeResult } from '../../sdk/hub-model.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { accessOfRow, isTikTokAssetType, roleFieldOf, TIKTOK_ASSET_TYPES, type TikTokAssetType } from '../mappers/asset-types.ts';
import type { AssetRow } from '../mappers/rows.ts';
import { isSupportedAccess } from '../asset-roles.ts';
import { explainAssetDenied } from './asset-denied.ts';
import { isRefusal } from '../tiktok-errors.ts';
import { keywordFindsAssetIds } from '../read/keyword-probe.ts';
import { assetRowKey, hasAssetId, unkeyedRows } from '../mappers/row-keys.ts';
import { assertId } from './ids.ts';
import { isAlreadyGone } from './gone.ts';
import { refusedAsNonMember } from '../read/members.ts';

/**
 * A member's access to one asset (TikTok API for Business v1.3 `/bc/asset/assign/`,
 * `/bc/asset/unassign/`). Both read the member's current holding of that type first
 * (`/bc/asset/get/` with `filtering.user_id`), so a repeat is `already-done` rather than a silent
 * overwrite; assigning replaces the role, which is how a role on an asset changes.
 */
function typeOf(asset: AssetRef, what: string): TikTokAssetType {
  if (!isTikTokAssetType(asset.type)) {
    throw new ConnectorError('invalid-argument', `${what}: invalid-argument (type): "${asset.type}" is not one of ${Object.keys(TIKTOK_ASSET_TYPES).join(', ')}`, { field: 'type', notApplied: true });
  }
  return asset.type;
}

/**
 * The member's access to `asset`, or undefined when not held. `filtering.keyword` (a string in
 * github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_asset_get.yml`; a substring of
 * `asset_name` or `asset_id` [INF #47]) narrows the read to that asset: without it a member
 * holding hundreds of ad accounts cost every page of them per assign. The keyword match is an
 * inference, so where the narrowed read shows nothing and a miss would matter
 * (`thorough`: an unassign, a refusal to explain) every holding of the type is read.
 */
async function heldAccess(ctx: TikTokContext, type: TikTokAssetType, asset: AssetRef, userId: string, what: string, thorough: boolean): Promise<string[] | undefined> {
  const read = async (keyword?: string) => {
    const filtering = { user_id: userId, ...(keyword ? { keyword } : {}) };
    const rows = await ctx.client.all<AssetRow>('bc/asset/get', { bc_id: ctx.bcId, asset_type: TIKTOK_ASSET_TYPES[type].api, filtering }, 50, what, assetRowKey);
    const row = rows.find((r) => String(r.asset_id) === asset.id);
    // A holding without `asset_id` may be this asset [INF #55]: where "not held" would end the
    // change (an unassign answered already-done), it is not known, so the read fails instead.
    if (!row && thorough && rows.some((r) => !hasAssetId(r))) {
      throw unkeyedRows(`${what}: the member's ${TIKTOK_ASSET_TYPES[type].label} holdings include a row without asset_id, so whether ${asset.id} is held is not known`);
    }
    return row ? accessOfRow(type, row) : undefined;
  };
  // Narrowed only where `keyword` is known to find asset ids; unknown, only a thorough read tries
  // again whole (as before); known not to, every read is whole [INF #47].
  const narrows = await keywordFindsAssetIds(ctx, TIKTOK_ASSET_TYPES[type].api, what);
  if (narrows === false) return read();
  return await read(asset.id) ?? (thorough ? read() : undefined);
}

function notAMember(ctx: TikTokContext, err: unknown, userId: string, what: string): ConnectorError {
  const code = err instanceof ConnectorError ? err.providerCode : undefined;
  return new ConnectorError('not-found', `${what}: not-found: ${userId} is not a member of Business Center ${ctx.bcId} (TikTok answered ${code} to reading their holdings)`, { notApplied: true, cause: err });
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

export async function assignAsset(ctx: TikTokContext, input: { asset: AssetRef; userId: string; tasks: string[] }): Promise<ChangeResult> {
  const what = `tiktok-business: give member ${input.userId} ${input.tasks.join('+')} on ${input.asset.type} ${input.asset.id}`;
  const type = typeOf(input.asset, what);
  assertId(input.userId, 'userId', what);
  assertId(input.asset.id, 'asset id', what);
  if (!isSupportedAccess(type, input.tasks)) {
    throw new ConnectorError('invalid-argument', `${what}: invalid-argument (tasks): ${TIKTOK_ASSET_TYPES[type].label} roles are ${TIKTOK_ASSET_TYPES[type].list ? 'one or more of' : 'one of'} ${TIKTOK_ASSET_TYPES[type].roles.join(', ')}`, { field: 'tasks', notApplied: true });
  }
  let held: string[] | undefined;
  try {
    held = await heldAccess(ctx, type, input.asset, input.userId, what, false);
  } catch (err) {
    // A member who left cannot be given anything (TikTok's answer for them is not documented).
    if (await refusedAsNonMember(ctx, err, input.userId, what).catch((recheck: unknown) => { throw markedNotApplied(recheck); })) throw notAMember(ctx, err, input.userId, what);
    // Nothing was sent: the agent must not count this attempt as one that may have made the grant
    // (agent/app-state/grant-maker.ts).
    throw markedNotApplied(err);
  }
  if (held && sameSet(held, input.tasks)) return 'already-done';
  const ref = { bc_id: ctx.bcId, user_id: input.userId, asset_type: TIKTOK_ASSET_TYPES[type].api, asset_id: input.asset.id };
  const assign = (access: readonly string[]) => ctx.client.call('POST', 'bc/asset/assign', { ...ref, ...roleFieldOf(type, access) }, what);
  try {
    try {
      await assign(input.tasks);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      // 40050, "a duplicate request was sent" (Return codes, https://business-api.tiktok.com/portal/docs?id=1737172488964097):
      // an identical earlier request may have applied (hubwarden's reading, README [INF] #73), so
      // the holding read before the call is stale: read it again, and send nothing more.
      const duplicate = err.providerCode === '40050';
      // Only with a held role to give back: a row showing none could not be restored.
      const was = duplicate ? await heldAccess(ctx, type, input.asset, input.userId, what, true) : held ?? await heldAccess(ctx, type, input.asset, input.userId, what, true);
      // Held as asked after all (the narrowed read missed it): the refusal was of a repeat.
      if (was && was.length > 0 && sameSet(was, input.tasks)) return 'already-done';
      if (duplicate || !was?.length) throw err;
      await replaceHeld(ctx, was, input.tasks, ref, assign, what);
    }
  } catch (err) {
    // One asset not in the BC, or above its owner's share, fails this task only (asset-denied.ts).
    throw await explainAssetDenied(ctx, err, { type, assetId: input.asset.id, userId: input.userId, tasks: input.tasks, what });
  } finally {
    ctx.holdings.invalidate();
  }
  return 'done';
}

/**
 * TikTok does not say whether assigning an asset the member already holds replaces the role or
 * is refused ([INF #20]). When an assign over a held role is refused
 * (40000, 40002), the held access is taken away and the asked one given; if that assign
 * fails too, the held access is given back (best effort) so the member is not left with less
 * than before, and the assign's error is thrown.
 */
async function replaceHeld(ctx: TikTokContext, held: readonly string[], tasks: readonly string[], ref: Record<string, string>, assign: (access: readonly string[]) => Promise<unknown>, what: string): Promise<void> {
  await ctx.client.call('POST', 'bc/asset/unassign', ref, what);
  try {
    await assign(tasks);
  } catch (err) {
    await assign(held).catch((restore: unknown) => ctx.log?.error(`${what}: the held ${held.join('+')} could not be given back after the new role was refused`, { bcId: ctx.bcId, error: String(restore) }));
    throw err;
  }
}

export async function unassignAsset(ctx: TikTokContext, input: { asset: AssetRef; userId: string }): Promise<ChangeResult> {
  const what = `tiktok-business: take ${input.asset.type} ${input.asset.id} from member ${input.userId}`;
  const type = typeOf(input.asset, what);
  assertId(input.userId, 'userId', what);
  assertId(input.asset.id, 'asset id', what);
  let held: string[] | undefined;
  try {
    held = await heldAccess(ctx, type, input.asset, input.userId, what, true);
  } catch (err) {
    // The member is gone (40007, or a refusal of a user_id the BOUND listing no longer has): so is their access.
    if (isAlreadyGone(err)) return 'already-done';
    if (await refusedAsNonMember(ctx, err, input.userId, what).catch((recheck: unknown) => { throw markedNotApplied(recheck); })) return 'already-done';
    throw err;
  }
  if (!held) return 'already-done';
  try {
    await ctx.client.call('POST', 'bc/asset/unassign', { bc_id: ctx.bcId, user_id: input.userId, asset_type: TIKTOK_ASSET_TYPES[type].api, asset_id: input.asset.id }, what);
  } catch (err) {
    // 40007: the access, the member or the asset is not there (read first, so gone meanwhile;
    // TikTok does not say unassigning access not held answers 0 [INF #20]): nothing to take.
    // Not 40300/40301 (a wrong ad account id: gone.ts), which fail as TikTok gave them.
    if (isAlreadyGone(err)) return 'already-done';
    // An asset no longer in the BC took its holders' access with it (asset-denied.ts).
    const why = await explainAssetDenied(ctx, err, { type, assetId: input.asset.id, userId: input.userId, what });
    if (why === 'gone') return 'already-done';
    throw why;
  } finally {
    ctx.holdings.invalidate();
  }
  return 'done';
}
