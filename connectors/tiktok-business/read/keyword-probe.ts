import type { TikTokContext } from '../tiktok-context.ts';
import type { AssetRow, MemberRow } from '../mappers/rows.ts';
import { inviteIdOf } from '../mappers/rows.ts';

/**
 * Whether `filtering.keyword` finds a row by its address (`/bc/member/get/`, whatever the
 * capitals) or by its asset id (`/bc/asset/get/`). TikTok documents `keyword` only as a string;
 * that it matches `user_email` case-insensitively and `asset_id` is an inference
 * [INF #47] (other readings match names only, or addresses case-sensitively). The
 * connector narrows look-ups of one address or asset with it, so a keyword that cannot find them
 * read "no such row" for rows that exist: a declined invitation not revoked before a retried
 * invite, a pending one taken for none, an asset taken for gone from the Business Center.
 *
 * Asked once per connector (per asset type), by looking up a row the first page lists (one whose
 * name does not contain its address or id, else a name match would pass for one): `true`
 * found, `false` not found (look-ups then read the listing whole), `undefined` unknown (no row to
 * try, or the probe failed: look-ups that miss read the listing whole, and the probe runs again).
 */
interface KeywordProbes {
  address?: Promise<boolean | undefined>;
  assetId: Map<string, Promise<boolean | undefined>>;
}

const probes = new WeakMap<TikTokContext, KeywordProbes>();

function probesOf(ctx: TikTokContext): KeywordProbes {
  let p = probes.get(ctx);
  if (!p) probes.set(ctx, (p = { assetId: new Map() }));
  return p;
}

/** Keep a settled answer; forget an unknown one so a later look-up asks again. */
function remember<K>(cache: { get(): Promise<boolean | undefined> | undefined; set(p: Promise<boolean | undefined> | undefined): void }, run: () => Promise<boolean | undefined>): Promise<boolean | undefined> {
  const known = cache.get();
  if (known) return known;
  const p = run().catch(() => undefined);
  cache.set(p);
  void p.then((v) => { if (v === undefined && cache.get() === p) cache.set(undefined); });
  return p;
}

/** The address in other capitals (upper-cased, or lower-cased when it is all capitals already). */
function otherCase(email: string): string {
  const upper = email.toUpperCase();
  return upper !== email ? upper : email.toLowerCase();
}

/** Whether a row's name contains the value probed, case-insensitively (as `keyword` matches names). */
function nameHolds(name: unknown, value: unknown): boolean {
  return typeof name === 'string' && value !== undefined && value !== null && String(value) !== '' && name.toLowerCase().includes(String(value).trim().toLowerCase());
}

export function keywordFindsAddresses(ctx: TikTokContext, what: string): Promise<boolean | undefined> {
  const p = probesOf(ctx);
  return remember({ get: () => p.address, set: (v) => { p.address = v; } }, async () => {
    const first = await ctx.client.page<MemberRow>('bc/member/get', { bc_id: ctx.bcId }, 1, 20, `${what} (does keyword find addresses?)`);
    // A row whose name holds its address could be found by its name: it would say nothing of addresses.
    const email = first.list.filter((r) => !nameHolds(r.user_name, r.user_email)).map((r) => r.user_email).find((e): e is string => typeof e === 'string' && e.includes('@') && otherCase(e) !== e);
    if (!email) return undefined;
    // Asked in other capitals: hubwarden looks an address up lower-cased, and TikTok lists it as it
    // was invited, so a keyword that matches addresses only case-sensitively cannot be trusted to find it.
    const found = await ctx.client.page<MemberRow>('bc/member/get', { bc_id: ctx.bcId, filtering: { keyword: otherCase(email) } }, 1, 20, `${what} (does keyword find addresses?)`);
    return found.list.some((r) => inviteIdOf(r.user_email ?? '') === inviteIdOf(email));
  });
}

export function keywordFindsAssetIds(ctx: TikTokContext, apiType: string, what: string): Promise<boolean | undefined> {
  const p = probesOf(ctx);
  return remember({ get: () => p.assetId.get(apiType), set: (v) => { if (v) p.assetId.set(apiType, v); else p.assetId.delete(apiType); } }, async () => {
    const first = await ctx.client.page<AssetRow>('bc/asset/get', { bc_id: ctx.bcId, asset_type: apiType }, 1, 50, `${what} (does keyword find asset ids?)`);
    // Likewise an asset named after its id (`asset_name` is a keyword match in every reading).
    const id = first.list.filter((r) => !nameHolds(r.asset_name, r.asset_id)).map((r) => r.asset_id).find((a) => a !== undefined && a !== null && String(a) !== '');
    if (id === undefined) return undefined;
    const found = await ctx.client.page<AssetRow>('bc/asset/get', { bc_id: ctx.bcId, asset_type: apiType, filtering: { keyword: String(id) } }, 1, 50, `${what} (does keyword find asset ids?)`);
    return found.list.some((r) => String(r.asset_id) === String(id));
  });
}
