import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AssetRef, ChangeResult } from '../../sdk/hub-model.ts';
import { what, type MetaContext } from '../meta-context.ts';
import { requireSupported } from './assets.ts';

/**
 * Share / unshare an asset with a partner business (`/{asset}/agencies`, https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). Only
 * the owner business can share. The current share is read first (GET /{asset}/agencies, pixels:
 * shared_agencies) so a repeat is already-done; 3944 "already has access" is already-done too.
 */
const LIST_EDGE: Record<AssetRef['type'], string> = { ad_account: 'agencies', page: 'agencies', catalog: 'agencies', pixel: 'shared_agencies' };

async function currentShare(ctx: MetaContext, asset: AssetRef, partnerId: string, whatFor: string): Promise<string[] | undefined> {
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<{ id: string; permitted_tasks?: string[] }>(`${asset.id}/${LIST_EDGE[asset.type]}`, { fields: 'id,permitted_tasks', limit: 100 }, cursor, {
      what: `${whatFor}: read current partners`, businessId: ctx.businessId,
    });
    const hit = page.data.find((p) => String(p.id) === partnerId);
    if (hit) return (hit.permitted_tasks ?? []).map((t) => t.toUpperCase());
    cursor = page.next;
  } while (cursor);
  return undefined;
}

export async function shareAsset(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string; tasks: string[] }): Promise<ChangeResult> {
  const tasks = input.tasks.map((t) => t.toUpperCase());
  const whatFor = what(`share ${input.asset.type} ${input.asset.id} with partner ${input.partnerBusinessId} as [${tasks.join(',')}]`);
  requireSupported(input.asset.type, tasks, whatFor);
  const current = await currentShare(ctx, input.asset, input.partnerBusinessId, whatFor);
  if (current && current.length === tasks.length && tasks.every((t) => current.includes(t))) return 'already-done';
  try {
    await ctx.graph.call('POST', `${input.asset.id}/agencies`, { business: input.partnerBusinessId, permitted_tasks: tasks }, { what: whatFor, businessId: ctx.businessId });
  } catch (err) {
    if (err instanceof ConnectorError && err.providerCode === '3944') return 'already-done';
    throw err;
  }
  return 'done';
}

export async function unshareAsset(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string }): Promise<ChangeResult> {
  const whatFor = what(`unshare ${input.asset.type} ${input.asset.id} from partner ${input.partnerBusinessId}`);
  const current = await currentShare(ctx, input.asset, input.partnerBusinessId, whatFor);
  if (!current) return 'already-done';
  try {
    await ctx.graph.call('DELETE', `${input.asset.id}/agencies`, { business: input.partnerBusinessId }, { what: whatFor, businessId: ctx.businessId });
  } catch (err) {
    if (err instanceof ConnectorError && err.kind === 'not-found') return 'already-done';
    throw err;
  }
  return 'done';
}
