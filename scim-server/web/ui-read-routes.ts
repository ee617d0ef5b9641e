import type { Request, Response, Router } from 'express';
import type { ReadView } from '../../agent/store/store.ts';
import '../../agent/app-state/records.ts';
import '../../agent/desired-state/directory-records.ts';
import { requireSession } from './session-guard.ts';
import type { WebContext } from './web-context.ts';

/** Holders listed per asset; the rest are counted (a shared ad account may have thousands). */
export const HOLDERS_PER_ASSET = 50;
export const ASSETS_PER_PAGE = 25;
export const DIRECTORY_RESULTS = 20;

interface Holder { userId: string; email?: string; name?: string; userType: 'member' | 'system-user'; tasks: string[] }

/**
 * One page of a hub's assets, each with who holds which tasks on it (from the last import's
 * snapshot). Paged like the members: a business with thousands of assets never ships them all.
 */
export function assetsOf(store: ReadView, hubId: string, page: { offset?: number; limit?: number } = {}) {
  const offset = Math.max(0, page.offset ?? 0);
  const limit = Math.min(100, Math.max(1, page.limit ?? ASSETS_PER_PAGE));
  const all = [...store.list('appAssets', hubId)];
  const shown = all.slice(offset, offset + limit);
  const byAsset = new Map<string, Holder[]>(shown.map((a) => [`${a.type}:${a.id}`, []]));
  for (const a of store.list('appAssignments', hubId)) {
    const list = byAsset.get(`${a.asset.type}:${a.asset.id}`);
    if (!list) continue;
    const member = a.userType === 'member' ? store.get('appMembers', hubId, a.userId) : undefined;
    const systemUser = a.userType === 'system-user' ? store.get('appSystemUsers', hubId, a.userId) : undefined;
    list.push({ userId: a.userId, email: member?.email, name: member?.name ?? systemUser?.name, userType: a.userType, tasks: [...a.tasks] });
  }
  const items = shown.map((asset) => {
    const holders = byAsset.get(`${asset.type}:${asset.id}`)!;
    return {
      type: asset.type, id: asset.id, name: asset.name, ownership: asset.ownership, permittedTasks: asset.permittedTasks,
      holderCount: holders.length, holders: holders.slice(0, HOLDERS_PER_ASSET),
    };
  });
  return { total: all.length, offset, limit, items };
}

/** Partner businesses and their people on our shared assets. */
export function partnersOf(store: ReadView, hubId: string) {
  const users = [...store.list('partnerUsers', hubId)];
  return [...store.list('appPartners', hubId)].map((p) => ({
    businessId: p.businessId, name: p.name, relation: p.relation, assets: p.assets,
    users: users.filter((u) => u.partnerBusinessId === p.businessId)
      .map((u) => ({ userId: u.userId, name: u.name, email: u.email, userType: u.userType, assignments: u.assignments })),
  }));
}

/** Directory users whose user name, email or display name contains the search (the match dialog). */
export function searchDirectory(store: ReadView, hubId: string, search: string) {
  const needle = search.trim().toLowerCase();
  const out: Array<{ id: string; userName: string; email?: string; displayName?: string; active: boolean }> = [];
  if (!needle) return out;
  for (const u of store.list('directoryUsers', hubId)) {
    const hay = [u.userName, u.displayName ?? '', ...u.emails].join('\n').toLowerCase();
    if (!hay.includes(needle)) continue;
    out.push({ id: u.id, userName: u.userName, email: u.email ?? u.emails[0], displayName: u.displayName, active: u.active });
    if (out.length >= DIRECTORY_RESULTS) break;
  }
  return out;
}

/**
 * Read-only routes the admin API has no equivalent for (assets, partners, the match
 * dialog's directory search). They read the store's snapshot records; they change nothing.
 */
export function registerUiReadRoutes(router: Router, ctx: WebContext): void {
  const guard = requireSession(ctx, 'api');
  const hubOf = (req: Request, res: Response) => {
    const hubId = String(req.params.hubId);
    if (ctx.agent.hub(hubId)) return hubId;
    res.status(404).type('application/problem+json').send(JSON.stringify({
      type: 'https://hubwarden.dev/problems/not-found', title: 'Not Found', status: 404, detail: `hub "${hubId}" does not exist`,
    }));
    return undefined;
  };
  router.get('/api/hubs/:hubId/assets', guard, (req, res) => {
    const hubId = hubOf(req, res);
    if (hubId) res.json(assetsOf(ctx.store, hubId, { offset: Number(req.query.offset) || 0, limit: Number(req.query.limit) || undefined }));
  });
  router.get('/api/hubs/:hubId/partners', guard, (req, res) => {
    const hubId = hubOf(req, res);
    if (hubId) res.json({ items: partnersOf(ctx.store, hubId) });
  });
  router.get('/api/hubs/:hubId/directory-users', guard, (req, res) => {
    const hubId = hubOf(req, res);
    if (hubId) res.json({ items: searchDirectory(ctx.store, hubId, typeof req.query.search === 'string' ? req.query.search.slice(0, 200) : '') });
  });
}
