/**
 * Cursor paging (https://developers.facebook.com/docs/graph-api/results): `limit`, `after`, `before`; cursors are opaque; `next` is absent
 * on the last page and `previous` on the first; a page may hold fewer than `limit` items (or none)
 * and still carry `next`. `next`/`previous` are absolute URLs back at the emulator base as the
 * client saw it, with the client's query params (fields, limit, token) preserved.
 */
import { invalidParameter } from './graph-error.ts';

/** Default page size: the docs' own examples use 25 (https://developers.facebook.com/docs/graph-api/results [INF]). */
export const DEFAULT_LIMIT = 25;

/**
 * Largest `limit` each edge honours; larger values are clamped silently. Meta documents no numbers
 * ("some edges cap limit for performance", https://developers.facebook.com/docs/graph-api/results), so these are [INF] choices: 1000 for business
 * lists (people, invites, assets), 100 for partner lists with nested permission objects.
 */
export const EDGE_LIMIT_CAPS: Record<string, number> = {
  business_users: 1000,
  pending_users: 1000,
  system_users: 1000,
  owned_ad_accounts: 1000,
  client_ad_accounts: 1000,
  owned_pages: 1000,
  client_pages: 1000,
  owned_product_catalogs: 1000,
  client_product_catalogs: 1000,
  owned_pixels: 1000,
  client_pixels: 1000,
  adspixels: 1000,
  assigned_users: 1000,
  assigned_ad_accounts: 1000,
  assigned_pages: 1000,
  assigned_product_catalogs: 1000,
  agencies: 100,
  clients: 100,
};
export const FALLBACK_LIMIT_CAP = 100;

export interface PageRequest {
  /** absolute URL of this edge without query: `<base>/v25.0/<id>/<edge>` */
  edgeUrl: string;
  /** the client's query params, used to build next/previous */
  query: Record<string, string>;
  limit?: string;
  after?: string;
  before?: string;
  cap: number;
  /** When set, the page is cut to this many items (a short page) while `next` stays. */
  shortTo?: (limit: number) => number | undefined;
}

export interface Page<T> {
  data: T[];
  paging?: { cursors: { before: string; after: string }; next?: string; previous?: string };
}

/**
 * A cursor names the item it stands on (`seq:N`), and "become[s] invalid when [its] item is deleted"
 * (https://developers.facebook.com/docs/graph-api/results): following it once that item has left
 * the listing (removed, unassigned, an invite no longer pending) is (#100), not a silent skip to
 * the next item. Meta documents the rule, not its error: code 100 is the [INF] strict choice, like
 * Graph's other cursor error ("The After Cursor specified exceeds the max limit…").
 * `gap:N` is a position between items, used only by an empty (short) page, which stands on no
 * item; it stays valid.
 */
export function encodeCursor(seq: number, kind: 'seq' | 'gap' = 'seq'): string {
  return Buffer.from(`${kind}:${seq}`).toString('base64');
}

function decodeCursor<T extends { seq: number }>(cursor: string, items: T[], param: 'After' | 'Before'): number {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  const m = /^(seq|gap):(\d+)$/.exec(text);
  if (!m) throw invalidParameter(`The ${param} Cursor specified is invalid`);
  const seq = Number(m[2]);
  if (m[1] === 'seq') {
    const i = firstIndexAbove(items, seq - 1);
    // The same text as a cursor never issued: Meta documents no message, and a client must key on the code.
    if (items[i]?.seq !== seq) throw invalidParameter(`The ${param} Cursor specified is invalid`);
  }
  return seq;
}

/**
 * The page size asked for: absent, the default; a positive integer, clamped to the edge's cap.
 * `limit=0` is refused like any other size that is no page: Meta documents no meaning for it, and
 * read as "the default" a client could come to send it and then page an emulator that serves 0
 * items a page for ever (README [INF]).
 */
export function pageLimit(raw: string | undefined, cap: number): number {
  if (raw === undefined || raw === '') return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw invalidParameter('Param limit must be a positive integer');
  return Math.min(n, cap);
}

/**
 * One page of `items` (already in creation order, each with a `seq`). `visible`, when given, is
 * applied after the page is cut, as Graph filters for visibility after paging: the page then holds
 * fewer than `limit` items, or none, and still carries `next` when more follow
 * (https://developers.facebook.com/docs/graph-api/results: "stop only when next is gone"). Hidden
 * items still exist, so a cursor standing on one stays valid.
 */
export function paginate<T extends { seq: number }>(items: T[], req: PageRequest, visible?: (item: T) => boolean): Page<T> {
  const limit = pageLimit(req.limit, req.cap);
  let start = 0;
  let end = items.length;
  if (req.after) {
    const seq = decodeCursor(req.after, items, 'After');
    start = firstIndexAbove(items, seq);
    end = Math.min(items.length, start + limit);
  } else if (req.before) {
    const seq = decodeCursor(req.before, items, 'Before');
    end = firstIndexAbove(items, seq - 1);
    start = Math.max(0, end - limit);
  } else {
    end = Math.min(items.length, limit);
  }
  const shortened = req.shortTo?.(limit);
  if (shortened !== undefined && shortened < end - start) {
    if (req.before) start = end - shortened;
    else end = start + shortened;
  }
  const slice = items.slice(start, end);
  const data = visible ? slice.filter(visible) : slice;
  if (items.length === 0) return { data };
  // Cursors stand on the page's first and last items, hidden or not. An empty short page keeps
  // them where the client stood, so following `next` still progresses.
  const before = slice.length > 0 ? encodeCursor(slice[0].seq) : start < items.length ? encodeCursor(items[start].seq) : encodeCursor(items[items.length - 1].seq + 1, 'gap');
  const after = slice.length > 0 ? encodeCursor(slice[slice.length - 1].seq) : start > 0 ? encodeCursor(items[start - 1].seq) : encodeCursor(0, 'gap');
  const cursors = { before, after };
  const paging: NonNullable<Page<T>['paging']> = { cursors };
  if (end < items.length) paging.next = link(req, limit, 'after', cursors.after);
  if (start > 0) paging.previous = link(req, limit, 'before', cursors.before);
  return { data, paging };
}

function firstIndexAbove<T extends { seq: number }>(items: T[], seq: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function link(req: PageRequest, limit: number, key: 'after' | 'before', cursor: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) {
    if (k !== 'after' && k !== 'before' && k !== 'limit') params.set(k, v);
  }
  params.set('limit', String(limit));
  params.set(key, cursor);
  return `${req.edgeUrl}?${params.toString()}`;
}
