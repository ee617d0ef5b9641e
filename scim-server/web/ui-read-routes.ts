import type { Request, Response, Router } from 'express';
import { collect, type ReadView } from '../../agent/store/store.ts';
import '../../agent/app-state/records.ts';
import { isActiveUser } from '../../agent/desired-state/directory-records.ts';
import { parseInput, uiAssetsQuery, uiDirectoryQuery } from '../admin/request-schemas.ts';
import { requireHubRight } from './hub-guard.ts';
import { requireSession } from './session-guard.ts';
import type { WebContext } from './web-context.ts';

/** Holders listed per asset; the rest are counted (a shared ad account may have thousands). */
export const HOLDERS_PER_ASSET = 50;
export const ASSETS_PER_PAGE = 25;
export const DIRECTORY_RESULTS = 20;

interface Holder { userId: string; email?: string; name?: string; userType: 'member' | 'system-user'; tasks: string[] }

/**
 * One page of a hub's assets, each with who holds which tasks on it (from the last import's
 * snapshot). Paged like the members: a business with thousands of assets never ships them all;
 * the page's assets are read as a range, the assignments in one pass (kept only for the page's
 * assets; at most HOLDERS_PER_ASSET named per asset, each read by key, the rest counted).
 */
export async function assetsOf(store: ReadView, hubId: string, page: { offset?: number; limit?: number } = {}) {
  const offset = Math.max(0, page.offset ?? 0);
  const limit = Math.min(100, Math.max(1, page.limit ?? ASSETS_PER_PAGE));
  const shown = await collect(store.list('appAssets', hubId, { offset, limit }));
  const total = await store.count('appAssets', hubId);
  const byAsset = new Map<string, { holders: Holder[]; count: number }>(shown.map((a) => [`${a.type}:${a.id}`, { holders: [], count: 0 }]));
  for await (const a of store.list('appAssignments', hubId)) {
    const entry = byAsset.get(`${a.asset.type}:${a.asset.id}`);
    if (!entry) continue;
    entry.count++;
    if (entry.holders.length >= HOLDERS_PER_ASSET) continue;
    const member = a.userType === 'member' ? await store.get('appMembers', hubId, a.userId) : undefined;
    const systemUser = a.userType === 'system-user' ? await store.get('appSystemUsers', hubId, a.userId) : undefined;
    entry.holders.push({ userId: a.userId, email: member?.email, name: member?.name ?? systemUser?.name, userType: a.userType, tasks: [...a.tasks] });
  }
  const items = shown.map((asset) => {
    const { holders, count } = byAsset.get(`${asset.type}:${asset.id}`)!;
    return {
      type: asset.type, id: asset.id, name: asset.name, ownership: asset.ownership, permittedTasks: asset.permittedTasks,
      holderCount: count, holders,
    };
  });
  return { total, offset, limit, items };
}

/**
 * Partner businesses and their people on our shared assets. A business that is both our agency
 * and our client is two entries; its people are on assets we share with it, so they are listed
 * under the agency entry (under the client one only when there is no agency entry).
 */
export async function partnersOf(store: ReadView, hubId: string) {
  const users = await collect(store.list('partnerUsers', hubId));
  const partners = await collect(store.list('appPartners', hubId));
  const agencies = new Set(partners.filter((p) => p.relation === 'agency').map((p) => p.businessId));
  const holdsPeople = (p: { businessId: string; relation: string }) => p.relation === 'agency' || !agencies.has(p.businessId);
  return partners.map((p) => ({
    businessId: p.businessId, name: p.name, relation: p.relation, assets: p.assets,
    users: users.filter((u) => holdsPeople(p) && u.partnerBusinessId === p.businessId)
      .map((u) => ({ userId: u.userId, name: u.name, email: u.email, userType: u.userType, assignments: u.assignments })),
  }));
}

/**
 * Directory users whose user name, email or display name contains the search (the match dialog); stops at DIRECTORY_RESULTS.
 * `active` is whether the user holds seats (isActiveUser): a user suspended in Okta stays `active`
 * over SCIM (a suspension sends nothing, https://developer.okta.com/docs/reference/api/event-types/
 * `user.lifecycle.suspend`) but holds nothing, so they are shown inactive, with `suspended.at`.
 */
export async function searchDirectory(store: ReadView, hubId: string, search: string) {
  const needle = search.trim().toLowerCase();
  const out: Array<{ id: string; userName: string; email?: string; displayName?: string; active: boolean; suspended?: { at: string }; offboarded?: { at: string } }> = [];
  if (!needle) return out;
  for await (const u of store.list('directoryUsers', hubId)) {
    const hay = [u.userName, u.displayName ?? '', ...u.emails].join('\n').toLowerCase();
    if (!hay.includes(needle)) continue;
    out.push({ id: u.id, userName: u.userName, email: u.email ?? u.emails[0], displayName: u.displayName, active: isActiveUser(u), ...(u.suspended ? { suspended: { at: u.suspended.at } } : {}), ...(u.offboarded ? { offboarded: { at: u.offboarded.at } } : {}) });
    if (out.length >= DIRECTORY_RESULTS) break;
  }
  return out;
}

/**
 * Read-only routes the admin API has no equivalent for (assets, partners, the match
 * dialog's directory search). They read the store's snapshot records; they change nothing.
 */
export function registerUiReadRoutes(router: Router, ctx: WebContext): void {
  // A session, then the hub's owner or manager (or an administrator): 403 for anyone else.
  const session = requireSession(ctx, 'api');
  const manager = requireHubRight(ctx, 'manage', 'api');
  const hubOf = async (req: Request, res: Response) => {
    const hubId = String(req.params.hubId);
    if (await ctx.agent.hub(hubId)) return hubId;
    res.status(404).type('application/problem+json').send(JSON.stringify({
      type: 'https://hubwarden.dev/problems/not-found', title: 'Not Found', status: 404, detail: `hub "${hubId}" does not exist`,
    }));
    return undefined;
  };
  router.get('/api/hubs/:hubId/assets', session, manager, async (req, res) => {
    // Checked as the admin API's queries are (a 400 naming the parameter: repeated, not digits, out of range).
    const query = parseInput(uiAssetsQuery, req.query, 'query');
    const hubId = await hubOf(req, res);
    if (hubId) res.json(await assetsOf(ctx.store, hubId, query));
  });
  router.get('/api/hubs/:hubId/partners', session, manager, async (req, res) => {
    const hubId = await hubOf(req, res);
    if (hubId) res.json({ items: await partnersOf(ctx.store, hubId) });
  });
  router.get('/api/hubs/:hubId/directory-users', session, manager, async (req, res) => {
    const { search } = parseInput(uiDirectoryQuery, req.query, 'query');
    const hubId = await hubOf(req, res);
    if (hubId) res.json({ items: await searchDirectory(ctx.store, hubId, search ?? '') });
  });
}
