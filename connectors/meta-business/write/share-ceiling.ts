import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AppAsset, AssetRef } from '../../sdk/hub-model.ts';
import type { MetaContext } from '../meta-context.ts';
import { scanAssetListing } from '../read/assets.ts';

/**
 * A write on another business's asset refused as a permission error (code 200–299, 10) because of
 * what that asset's owner granted, not because of the token. Meta's Business-to-Business guide
 * (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business)
 * says an agency assigns its people only within the `permitted_tasks` the owner shared, and only
 * the asset's owner business can share it on; it gives no error code for either, and a Graph may
 * answer them with "Permissions error" (200). Read as the token lacking a permission, one team
 * asking for too much on one client asset paused the whole hub: every other invite, change and
 * removal waited for an admin. Checked on the error path only (no extra call on a success): the
 * business's asset listings say whether the asset is a client asset and what it may grant; when
 * they do, the refusal is this one write's (invalid-argument: the task fails with the reason, not
 * applied). Otherwise, or when the listings cannot be read, Graph's error stands.
 */

/** The asset as the business's owned and client listings show it; undefined when not listed or not readable. */
async function listed(ctx: MetaContext, asset: AssetRef): Promise<AppAsset | undefined> {
  try {
    return await scanAssetListing(ctx, asset.type, `is ${asset.type} ${asset.id} a client asset`, (page) => page.items.find((a) => a.id === asset.id));
  } catch {
    return undefined;
  }
}

function isPermissionRefusal(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError && err.kind === 'permission-denied' && err.providerCode !== 'local';
}

/** `err` from `POST /{asset}/assigned_users`, as this write's own failure when the tasks exceed the client asset's share. */
export async function assignBeyondShare(ctx: MetaContext, err: unknown, asset: AssetRef, tasks: string[], whatFor: string): Promise<unknown> {
  if (!isPermissionRefusal(err)) return err;
  const found = await listed(ctx, asset);
  if (found?.ownership !== 'client' || !found.permittedTasks) return err;
  const ceiling = new Set(found.permittedTasks.map((t) => t.toUpperCase()));
  const beyond = tasks.filter((t) => !ceiling.has(t.toUpperCase()));
  if (beyond.length === 0) return err;
  return new ConnectorError('invalid-argument', `${whatFor}: refused: [${beyond.join(',')}] is beyond what the owner of this client asset shared with business ${ctx.businessId} ([${[...ceiling].join(',')}]); ask the owner to share more, or assign within it (${err.providerCode ?? 'permission error'})`, {
    field: 'tasks', providerCode: err.providerCode, notApplied: true, cause: err,
  });
}

/** `err` from `POST /{asset}/agencies`, as this write's own failure when the asset is another business's (only the owner can share it). */
export async function shareOfClientAsset(ctx: MetaContext, err: unknown, asset: AssetRef, whatFor: string): Promise<unknown> {
  if (!isPermissionRefusal(err)) return err;
  const found = await listed(ctx, asset);
  if (found?.ownership !== 'client') return err;
  return new ConnectorError('invalid-argument', `${whatFor}: refused: ${asset.type} ${asset.id} is a client asset of business ${ctx.businessId} (another business owns it), and only the owner business can share it with a partner (${err.providerCode ?? 'permission error'})`, {
    field: 'asset', providerCode: err.providerCode, notApplied: true, cause: err,
  });
}
