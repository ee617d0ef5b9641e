/**
 * A second, deliberately small and strict TikTok API for Business v1.3 Business Center server,
 * written apart from `emulator/` (its own code, no imports from it) for `strict-reference.test.ts`:
 * it checks that the connector leans only on what TikTok documents
 * (https://business-api.tiktok.com/portal/docs/api-reference/v1.3; the gateway specs in
 * github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_*.yml`) and not on something the
 * project's own emulator happens to do.
 *
 * Strict where TikTok is: `Access-Token` header only (40104 without it, 40105 for an unknown one);
 * every path ends in `/` (HTTP 404 plain text otherwise); HTTP 200 with `{code, message,
 * request_id, data}` for every answer that reaches the API, `data: {}` on errors and writes;
 * page-number paging with `page_info {page, page_size, total_number, total_page}` and each
 * endpoint's largest `page_size`; 40100 with HTTP 200 and no rate-limit headers past the app's
 * QPS. Strict where TikTok is silent (the connector README's [INF] answers): any parameter, or
 * `filtering` key, not in TikTok's parameter tables is 40002, as is any query parameter on a POST
 * and a POST body that is not JSON; ids must be digit strings. Every refusal of a parameter is
 * recorded in `violations`, so a test can say the connector sent none.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Role = 'ADMIN' | 'STANDARD';
export type Status = 'BOUND' | 'PENDING' | 'REJECTED';
export interface StrictMember { user_id?: string; user_name?: string; user_email: string; user_role: Role; relation_status: Status }
export interface StrictAsset { asset_type: string; asset_id: string; asset_name: string; relation_type: 'OWNER_BC' | 'OWNER_PARTNER' }
export interface StrictGrant { user_id: string; asset_type: string; asset_id: string; role: string | string[] }
export interface StrictPartner { bc_id: string; bc_name: string; sharing: string[]; shared: string[] }
export interface StrictWorld { bcId: string; bcName: string; token: string; tokenUserId: string; members: StrictMember[]; assets: StrictAsset[]; grants: StrictGrant[]; partners: StrictPartner[] }
export interface StrictCall { method: string; endpoint: string; params: Record<string, unknown>; code: number | string; message: string; headers: Record<string, string | string[] | undefined>; rawUrl: string }

class ApiError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}
const param = (m: string) => new ApiError(40002, m);

const IDS = /^\d{1,19}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ROLE_FIELD: Record<string, string | undefined> = { ADVERTISER: 'advertiser_role', CATALOG: 'catalog_role', TT_ACCOUNT: 'tt_account_roles', TIKTOK_SHOP: 'store_role', LEAD: 'form_library_role' };
const ROLE_VALUES: Record<string, string[]> = { advertiser_role: ['ADMIN', 'OPERATOR', 'ANALYST'], catalog_role: ['ADMIN', 'AD_PROMOTE'], tt_account_roles: ['POST', 'LIVE', 'DIRECT_MESSAGE'], store_role: ['AD_PROMOTION', 'MANAGER'], form_library_role: ['ADMIN'] };

/** One call's parameters, refusing anything TikTok's table for the endpoint does not name. */
class Params {
  constructor(readonly src: Record<string, unknown>, allowed: string[], readonly get: boolean, readonly prefix = '') {
    for (const k of Object.keys(src)) if (!allowed.includes(k)) throw param(`${prefix}${k}: unknown parameter`);
  }
  raw(k: string): unknown { return this.src[k]; }
  id(k: string, required = false): string | undefined {
    const v = this.src[k];
    if (v === undefined) { if (required) throw param(`${this.prefix}${k}: required`); return undefined; }
    if (typeof v !== 'string' || !IDS.test(v)) throw param(`${this.prefix}${k}: expected an id as a digit string`);
    return v;
  }
  oneOf(k: string, values: string[], required = false): string | undefined {
    const v = this.src[k];
    if (v === undefined) { if (required) throw param(`${this.prefix}${k}: required`); return undefined; }
    if (typeof v !== 'string' || !values.includes(v)) throw param(`${this.prefix}${k}: not one of ${values.join(', ')}`);
    return v;
  }
  str(k: string, max = 250): string | undefined {
    const v = this.src[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length > max) throw param(`${this.prefix}${k}: expected a string of at most ${max}`);
    return v;
  }
  int(k: string, min: number, max: number, dflt: number): number {
    const v = this.src[k];
    if (v === undefined) return dflt;
    const n = this.get ? (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN) : (typeof v === 'number' ? v : NaN);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw param(`${this.prefix}${k}: expected an integer from ${min} to ${max}`);
    return n;
  }
  obj(k: string, allowed: string[]): Params | undefined {
    let v = this.src[k];
    if (v === undefined) return undefined;
    if (this.get) { try { v = JSON.parse(String(v)); } catch { throw param(`${k}: expected a JSON object`); } }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw param(`${k}: expected a JSON object`);
    return new Params(v as Record<string, unknown>, allowed, false, `${k}.`);
  }
  list(k: string, required: boolean, max: number, min = 0): unknown[] | undefined {
    const v = this.src[k];
    if (v === undefined) { if (required) throw param(`${this.prefix}${k}: required`); return undefined; }
    if (!Array.isArray(v) || v.length > max || v.length < min) throw param(`${this.prefix}${k}: expected a list of ${min} to ${max}`);
    return v;
  }
}

function paged<T>(items: T[], p: Params, max: number): unknown {
  const page = p.int('page', 1, Number.MAX_SAFE_INTEGER, 1);
  const size = p.int('page_size', 1, max, 10);
  return { list: items.slice((page - 1) * size, page * size), page_info: { page, page_size: size, total_number: items.length, total_page: Math.ceil(items.length / size) } };
}

export interface StrictServer {
  url: string;
  world: StrictWorld;
  calls: StrictCall[];
  /** Refused parameters, paths, methods, headers: what the connector must never send. */
  violations(): StrictCall[];
  /** The app's calls per wall-clock second before 40100 (TikTok's Basic tier: 10). */
  qps: number;
  /** Answer the next `times` calls of `endpoint` with this code instead (after `after` answered as normal). */
  inject(endpoint: string, code: number, times: number, options?: { message?: string; after?: number }): void;
  close(): Promise<void>;
}

/**
 * `nonMemberFilterCode`: the code of `/bc/asset/get/` with `filtering.user_id` of someone who is not
 * a BOUND member. TikTok does not give one; as a parameter error it is 40002, while the project's
 * emulator answers 40007 (README [INF] #23).
 * `afterCall`: runs after each answer (a test changes the world between two calls).
 */
export async function startStrictServer(world: StrictWorld, options: { qps?: number; nonMemberFilterCode?: 40002 | 40007; afterCall?: (call: StrictCall) => void } = {}): Promise<StrictServer> {
  const calls: StrictCall[] = [];
  const injected: Array<{ endpoint: string; code: number; times: number; message: string; after: number }> = [];
  let second = 0;
  let inSecond = 0;
  let seq = 0;
  const server: StrictServer = {
    url: '', world, calls, qps: options.qps ?? 10,
    violations: () => calls.filter((c) => [40002, 40008, 40051, 40104, 404, 405].includes(c.code as number)),
    inject: (endpoint, code, times, o = {}) => void injected.push({ endpoint, code, times, message: o.message ?? 'injected', after: o.after ?? 0 }),
    close: () => new Promise((resolve) => { http.close(() => resolve()); http.closeAllConnections(); }),
  };
  const member = (id: string) => world.members.find((m) => m.relation_status === 'BOUND' && m.user_id === id);
  const tokenAdmin = () => member(world.tokenUserId)?.user_role === 'ADMIN';
  const needAdmin = () => { if (!tokenAdmin()) throw new ApiError(40001, 'No permission to operate'); };
  const ownBc = (p: Params) => { if (p.id('bc_id', true) !== world.bcId) throw new ApiError(40001, 'No permission to operate this Business Center'); };
  const render = (m: StrictMember, extra: Record<string, unknown> = {}) => (m.relation_status === 'BOUND'
    ? { user_id: m.user_id, user_name: m.user_name, user_email: m.user_email, user_role: m.user_role, relation_status: m.relation_status, ...extra }
    : { user_email: m.user_email, user_role: m.user_role, relation_status: m.relation_status });
  const assetRow = (a: StrictAsset, extra: Record<string, unknown> = {}) => ({ asset_type: a.asset_type, asset_id: a.asset_id, asset_name: a.asset_name, relation_type: a.relation_type, ...extra });
  const asset = (type: string, id: string) => world.assets.find((a) => a.asset_type === type && a.asset_id === id);
  const kw = (k: string | undefined, ...texts: Array<string | undefined>) => !k || texts.some((t) => t?.toLowerCase().includes(k.toLowerCase()));

  const routes: Record<string, { method: 'GET' | 'POST'; run: (p: Params) => unknown; allowed: string[] }> = {
    'bc/get': { method: 'GET', allowed: ['bc_id', 'scene', 'filtering', 'page', 'page_size'], run: (p) => {
      const bcId = p.id('bc_id'); p.oneOf('scene', ['SINGLE_ACCOUNT', 'TIERED_ACCOUNT']);
      const f = p.obj('filtering', ['keyword', 'keyword_type', 'relation_type']); f?.str('keyword'); f?.oneOf('keyword_type', ['ASSET', 'MEMBER', 'PARTNER', 'TIER']); f?.oneOf('relation_type', ['CHILD', 'PARENT']);
      const me = member(world.tokenUserId);
      const rows = me && (!bcId || bcId === world.bcId) ? [{ bc_info: { bc_id: world.bcId, name: world.bcName, company: 'Acme', currency: 'USD', registered_area: 'US', timezone: 'Etc/GMT', status: 'ENABLE', type: 'NORMAL', verification_status: 'VERIFIED' }, user_role: me.user_role }] : [];
      return paged(rows, p, 50);
    } },
    'bc/member/get': { method: 'GET', allowed: ['bc_id', 'child_bc_id', 'filtering', 'page', 'page_size'], run: (p) => {
      ownBc(p); if (p.raw('child_bc_id') !== undefined) throw new ApiError(40001, 'not a tiered Business Center');
      const f = p.obj('filtering', ['keyword', 'user_role', 'relation_status']);
      const k = f?.str('keyword'); const role = f?.oneOf('user_role', ['ADMIN', 'STANDARD']); const st = f?.oneOf('relation_status', ['BOUND', 'PENDING', 'REJECTED', 'UNBOUND']);
      if (!member(world.tokenUserId)) throw new ApiError(40001, 'No permission');
      return paged(world.members.filter((m) => (!role || m.user_role === role) && (!st || m.relation_status === st) && kw(k, m.user_email, m.relation_status === 'BOUND' ? m.user_name : undefined)).map((m) => render(m)), p, 20);
    } },
    'bc/member/invite': { method: 'POST', allowed: ['bc_id', 'emails', 'user_role', 'ext_user_role', 'asset_type', 'asset_ids', 'advertiser_role'], run: (p) => {
      ownBc(p);
      const emails = p.list('emails', true, 50, 1)!.map((e, i) => { if (typeof e !== 'string' || !EMAIL.test(e)) throw param(`emails[${i}]: not an email`); return e; });
      const role = (p.oneOf('user_role', ['ADMIN', 'STANDARD']) ?? 'STANDARD') as Role;
      p.obj('ext_user_role', ['finance_role'])?.oneOf('finance_role', ['MANAGER', 'ANALYST']);
      p.oneOf('asset_type', ['ADVERTISER']);
      const ids = p.list('asset_ids', true, 50)!.map((v, i) => { if (typeof v !== 'string' || !IDS.test(v)) throw param(`asset_ids[${i}]: expected an id`); return v; });
      p.oneOf('advertiser_role', ROLE_VALUES.advertiser_role);
      needAdmin();
      for (const id of ids) if (!asset('ADVERTISER', id)) throw new ApiError(40001, `asset_ids: ${id} is not in this Business Center`);
      for (const e of new Set(emails.map((x) => x.toLowerCase()))) {
        const rows = world.members.filter((m) => m.user_email.toLowerCase() === e);
        if (rows.some((m) => m.relation_status !== 'REJECTED')) continue;
        world.members = world.members.filter((m) => !rows.includes(m));
        world.members.push({ user_email: emails.find((x) => x.toLowerCase() === e)!, user_role: role, relation_status: 'PENDING' });
      }
      return {};
    } },
    'bc/member/update': { method: 'POST', allowed: ['bc_id', 'user_id', 'user_role', 'ext_user_role', 'user_name', 'child_bc_id'], run: (p) => {
      ownBc(p); const id = p.id('user_id', true)!; const role = p.oneOf('user_role', ['ADMIN', 'STANDARD']) as Role | undefined;
      p.obj('ext_user_role', ['finance_role'])?.oneOf('finance_role', ['MANAGER', 'ANALYST']); p.str('user_name', 250);
      if (p.raw('child_bc_id') !== undefined) throw new ApiError(40001, 'not a tiered Business Center');
      needAdmin();
      const m = member(id); if (!m) throw new ApiError(40007, `user_id: ${id} does not exist`);
      if (role === 'STANDARD' && m.user_role === 'ADMIN' && world.members.filter((x) => x.relation_status === 'BOUND' && x.user_role === 'ADMIN').length === 1) throw param('user_role: the last admin');
      if (role) m.user_role = role;
      return {};
    } },
    'bc/member/delete': { method: 'POST', allowed: ['bc_id', 'user_id', 'user_email', 'child_bc_id'], run: (p) => {
      ownBc(p); const id = p.id('user_id'); const email = p.str('user_email');
      if ((id === undefined) === (email === undefined)) throw param('exactly one of user_id, user_email');
      needAdmin();
      if (id) {
        const m = member(id); if (!m) throw new ApiError(40007, `user_id: ${id} does not exist`);
        world.members = world.members.filter((x) => x !== m); world.grants = world.grants.filter((g) => g.user_id !== id);
        return {};
      }
      const rows = world.members.filter((m) => m.user_email.toLowerCase() === email!.toLowerCase());
      if (rows.some((m) => m.relation_status === 'BOUND')) throw param('user_email: belongs to a member; use user_id');
      if (rows.length === 0) throw new ApiError(40007, 'user_email: no invitation');
      world.members = world.members.filter((m) => !rows.includes(m));
      return {};
    } },
    'bc/asset/get': { method: 'GET', allowed: ['bc_id', 'asset_type', 'filtering', 'child_bc_id', 'page', 'page_size'], run: (p) => {
      ownBc(p); const type = p.oneOf('asset_type', ['ADVERTISER', 'CATALOG', 'LEAD', 'PIXEL', 'STOREFRONT', 'TIKTOK_SHOP', 'TT_ACCOUNT'], true)!;
      const f = p.obj('filtering', ['keyword', 'user_id', 'user_email']); const k = f?.str('keyword'); const uid = f?.id('user_id'); const email = f?.str('user_email');
      if (uid && email) throw param('filtering: user_id and user_email together');
      if (email && type !== 'ADVERTISER') throw param('filtering.user_email: ADVERTISER only');
      if (p.raw('child_bc_id') !== undefined) throw new ApiError(40001, 'not a tiered Business Center');
      if (!member(world.tokenUserId)) throw new ApiError(40001, 'No permission');
      const mine = world.assets.filter((a) => a.asset_type === type && kw(k, a.asset_name, a.asset_id));
      if (uid) {
        if (!member(uid)) throw new ApiError(options.nonMemberFilterCode ?? 40007, `filtering.user_id: ${uid} is not a member`);
        const field = ROLE_FIELD[type];
        return paged(mine.flatMap((a) => world.grants.filter((g) => g.user_id === uid && g.asset_id === a.asset_id).map((g) => assetRow(a, field && field !== 'form_library_role' ? { [field]: g.role } : {}))), p, 50);
      }
      if (email) return paged([], p, 50);
      return paged(mine.map((a) => assetRow(a)), p, 50);
    } },
    'bc/asset/assign': { method: 'POST', allowed: ['bc_id', 'user_id', 'asset_type', 'asset_id', 'advertiser_role', 'catalog_role', 'tt_account_roles', 'store_role', 'form_library_role'], run: (p) => {
      ownBc(p); const uid = p.id('user_id', true)!; const type = p.oneOf('asset_type', ['ADVERTISER', 'CATALOG', 'DOMAIN', 'LEAD', 'PIXEL', 'STOREFRONT', 'TIKTOK_SHOP', 'TT_ACCOUNT'], true)!; const aid = p.id('asset_id', true)!;
      const field = ROLE_FIELD[type];
      for (const other of Object.keys(ROLE_VALUES)) if (other !== field && p.raw(other) !== undefined) throw param(`${other}: not with asset_type ${type}`);
      let role: string | string[] | undefined;
      if (field === 'tt_account_roles') {
        const l = p.list(field, true, 3, 1)!;
        if (l.some((v) => typeof v !== 'string' || !ROLE_VALUES[field].includes(v)) || new Set(l).size !== l.length) throw param(`${field}: bad values`);
        role = l as string[];
      } else if (field) { role = p.oneOf(field, ROLE_VALUES[field], true); }
      needAdmin();
      if (!asset(type, aid)) throw new ApiError(40001, `asset_id: ${aid} is not in this Business Center`);
      if (!member(uid)) throw new ApiError(40007, `user_id: ${uid} does not exist`);
      world.grants = world.grants.filter((g) => !(g.user_id === uid && g.asset_id === aid));
      world.grants.push({ user_id: uid, asset_type: type, asset_id: aid, role: role ?? '' });
      return {};
    } },
    'bc/asset/unassign': { method: 'POST', allowed: ['bc_id', 'user_id', 'asset_type', 'asset_id'], run: (p) => {
      ownBc(p); const uid = p.id('user_id', true)!; const type = p.oneOf('asset_type', ['ADVERTISER', 'CATALOG', 'DOMAIN', 'LEAD', 'PIXEL', 'STOREFRONT', 'TIKTOK_SHOP', 'TT_ACCOUNT'], true)!; const aid = p.id('asset_id', true)!;
      needAdmin();
      if (!asset(type, aid)) throw new ApiError(40001, `asset_id: ${aid} is not in this Business Center`);
      if (!member(uid)) throw new ApiError(40007, `user_id: ${uid} does not exist`);
      world.grants = world.grants.filter((g) => !(g.user_id === uid && g.asset_id === aid));
      return {};
    } },
    'bc/asset/member/get': { method: 'GET', allowed: ['bc_id', 'asset_type', 'asset_id', 'filtering', 'page', 'page_size'], run: (p) => {
      ownBc(p); const type = p.oneOf('asset_type', ['ADVERTISER', 'CATALOG', 'LEAD'], true)!; const aid = p.id('asset_id', true)!;
      const k = p.obj('filtering', ['keyword'])?.str('keyword', 250);
      if (!member(world.tokenUserId)) throw new ApiError(40001, 'No permission');
      if (!asset(type, aid)) throw new ApiError(40001, `asset_id: ${aid} is not in this Business Center`);
      const field = ROLE_FIELD[type];
      return paged(world.grants.filter((g) => g.asset_id === aid).flatMap((g) => {
        const m = member(g.user_id);
        return m && kw(k, m.user_name, m.user_email) ? [render(m, field && field !== 'form_library_role' ? { [field]: g.role } : {})] : [];
      }), p, 20);
    } },
    'bc/partner/get': { method: 'GET', allowed: ['bc_id', 'filtering', 'page', 'page_size'], run: (p) => {
      ownBc(p); const name = p.obj('filtering', ['name'])?.str('name'); needAdmin();
      return paged(world.partners.filter((x) => kw(name, x.bc_name)).map((x) => ({ bc_id: x.bc_id, bc_name: x.bc_name })), p, 50);
    } },
    'bc/partner/asset/get': { method: 'GET', allowed: ['bc_id', 'partner_id', 'asset_type', 'share_type', 'filtering', 'page', 'page_size'], run: (p) => {
      ownBc(p); const pid = p.id('partner_id', true)!; const type = p.oneOf('asset_type', ['ADVERTISER', 'CATALOG', 'DOMAIN'], true)!; const share = p.oneOf('share_type', ['SHARING', 'SHARED'], true)!;
      const k = p.obj('filtering', ['keyword'])?.str('keyword'); needAdmin();
      const partner = world.partners.find((x) => x.bc_id === pid); if (!partner) throw new ApiError(40007, `partner_id: ${pid} is not a partner`);
      const ids = share === 'SHARING' ? partner.sharing : partner.shared;
      return paged(ids.map((id) => ({ asset_type: type, asset_id: id, asset_name: `Shared ${id}`, relation_type: share === 'SHARING' ? 'OWNER_BC' : 'OWNER_PARTNER' })).filter((a) => kw(k, a.asset_name, a.asset_id)), p, 50);
    } },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const call: StrictCall = { method: req.method ?? '', endpoint: '', params: {}, code: 0, message: '', headers: req.headers, rawUrl: req.url ?? '' };
    calls.push(call);
    const m = /^\/open_api\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m || !url.pathname.endsWith('/')) { call.code = 404; res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found'); return; }
    call.endpoint = m[2].replace(/\/$/, '');
    const send = (code: number, message: string, data: unknown) => {
      call.code = code; call.message = message;
      const requestId = `20261205000000${String(++seq).padStart(9, '0')}ABCDEF`;
      res.writeHead(200, { 'content-type': 'application/json', 'x-tt-logid': requestId }).end(JSON.stringify({ code, message, request_id: requestId, data }));
      options.afterCall?.(call);
    };
    if (m[1] !== 'v1.3') { send(40051, 'invalid API version', {}); return; }
    const route = routes[call.endpoint];
    if (!route) { send(40008, 'the interface has not been implemented', {}); return; }
    if (req.method !== route.method) { call.code = 405; res.writeHead(405, { 'content-type': 'text/plain' }).end('405 method not allowed'); return; }
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) { second = now; inSecond = 0; }
    if (++inSecond > server.qps) { send(40100, 'Requests too frequent. The app has reached its QPS limit.', {}); return; }
    const token = req.headers['access-token'];
    if (typeof token !== 'string' || token === '') { send(40104, 'Access token is null, you should set it in http header with key Access-Token.', {}); return; }
    if (token !== world.token) { send(40105, `Access token ${token} is invalid or has been revoked`, {}); return; }
    const inj = injected.find((i) => i.times > 0 && i.endpoint === call.endpoint);
    if (inj && inj.after > 0) inj.after--;
    else if (inj) { inj.times--; send(inj.code, inj.message, {}); return; }
    try {
      let src: Record<string, unknown>;
      if (route.method === 'GET') {
        src = {};
        for (const [k, v] of url.searchParams) { if (k in src) throw param(`${k}: repeated`); src[k] = v; }
      } else {
        if ([...url.searchParams.keys()].length > 0) throw param(`${[...url.searchParams.keys()][0]}: a POST takes its parameters in the JSON body`);
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw param('Content-Type: application/json expected');
        let parsed: unknown;
        try { parsed = JSON.parse(body); } catch { throw param('body: not JSON'); }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw param('body: not a JSON object');
        src = parsed as Record<string, unknown>;
      }
      call.params = src;
      send(0, 'OK', route.run(new Params(src, route.allowed, route.method === 'GET')));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      send(err.code, err.message, {});
    }
  }

  const http = createServer((req, res) => void handle(req, res).catch((e) => res.writeHead(500).end(String(e))));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return server;
}
