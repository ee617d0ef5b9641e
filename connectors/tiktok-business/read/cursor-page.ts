import { ConnectorError } from '../../sdk/connector-error.ts';
import type { ListData, TikTokClient, TikTokParams } from '../tiktok-client.ts';

/**
 * One page of a TikTok list for a caller that drives paging with an opaque cursor. TikTok pages
 * by number (no cursors), and offset paging shifts when rows are added or removed between two
 * reads, so the cursor carries the total the first page saw: a later page with another total
 * fails `unavailable` (listing-changed) and the caller reads the whole list again.
 *
 * Page numbers are known up front, so the pages after the one asked for are read ahead
 * (`PagesAhead`, PAGES_AHEAD at a time) while the caller handles this one: a 10,000-member
 * listing is 500 pages, and one after the other at 100 ms each that alone was 50 s.
 */
export interface CursorPage<T> {
  list: T[];
  next?: string;
}

/** Pages read ahead of the caller, per listing. */
export const PAGES_AHEAD = 8;
/** A page read ahead and not asked for within this long is dropped (the caller gave up). */
const KEEP_MS = 60_000;

/** The pages read ahead for one connector instance, by listing and page number. */
export class PagesAhead {
  readonly #pages = new Map<string, { at: number; data: Promise<ListData<unknown>> }>();

  take<T>(key: string): Promise<ListData<T>> | undefined {
    const now = Date.now();
    for (const [k, v] of this.#pages) if (now - v.at > KEEP_MS) this.#pages.delete(k);
    const hit = this.#pages.get(key);
    this.#pages.delete(key);
    return hit?.data as Promise<ListData<T>> | undefined;
  }

  /** Drops the pages read ahead for an earlier read of a listing (keys starting with `listing#`). */
  dropListing(listing: string): void {
    for (const k of this.#pages.keys()) if (k.startsWith(`${listing}#`)) this.#pages.delete(k);
  }

  has(key: string): boolean {
    return this.#pages.has(key);
  }

  put(key: string, data: Promise<ListData<unknown>>): void {
    // A page read ahead that fails is reported when (if) it is asked for.
    data.catch(() => undefined);
    this.#pages.set(key, { at: Date.now(), data });
  }
}

export function parseCursor(cursor: string | undefined, what: string): { page: number; total: number; lastKey?: string } | undefined {
  if (cursor === undefined) return undefined;
  const m = /^p(\d+):t(\d+)(?::k([^:/]+))?$/.exec(cursor);
  if (!m) throw new ConnectorError('invalid-argument', `${what}: not a cursor of this connector: ${cursor.slice(0, 40)}`);
  let lastKey: string | undefined;
  try {
    lastKey = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
  } catch {
    throw new ConnectorError('invalid-argument', `${what}: not a cursor of this connector: ${cursor.slice(0, 40)}`);
  }
  return { page: Number(m[1]), total: Number(m[2]), ...(lastKey !== undefined ? { lastKey } : {}) };
}

/**
 * The rows of a later page moved under offset paging: the row that ended the page before is
 * listed again. Rows added before the offset already read (an invitation accepted in place joins
 * the BOUND listing at its own, older position) push that row onto the next page; with a row
 * removed further on in the same window `total_number` does not move, and the added row itself
 * was on neither page. TikTok pages by `page`/`page_size` (github.com/tiktok/tiktok-business-api-sdk
 * `yml_files/bc_member_get.yml`) and says nothing of rows moving between reads; de-duplicating by
 * key and reading the whole list again when it changed is hubwarden's reading ([INF] #9), not
 * TikTok's advice.
 */
export function shiftedRows(what: string, page: number): ConnectorError {
  return new ConnectorError('unavailable', `${what}: the list changed while it was read (a row of page ${page - 1} is listed again on page ${page}: rows moved, one may be missing); read it again from the start`, { providerCode: 'listing-changed' });
}

/**
 * `key` names a row (a member's `user_id`, an invitation's lower-cased address, an asset's id):
 * the cursor carries the key of the page's last row, and a next page that lists it again fails
 * listing-changed (shiftedRows), as a changed total does.
 */
export async function cursorPage<T>(client: TikTokClient, endpoint: string, params: TikTokParams, pageSize: number, cursor: string | undefined, what: string, ahead?: PagesAhead, key?: (row: T) => string): Promise<CursorPage<T>> {
  const at = parseCursor(cursor, what);
  const page = at?.page ?? 1;
  const listing = `${endpoint}?${JSON.stringify(params)}&${pageSize}`;
  const keyOf = (p: number) => `${listing}#${p}:${at?.total ?? ''}`;
  // A read from the start: pages read ahead for an earlier read of this listing (one given up, or
  // failed listing-changed) are as old as that read, and taken after a fresh page 1 with the same
  // total they mixed two moments of the list (a row that moved onto page 2 meanwhile was on no page).
  if (!at) ahead?.dropListing(listing);
  const data = await (ahead?.take<T>(keyOf(page)) ?? client.page<T>(endpoint, params, page, pageSize, what));
  const total = data.page_info.total_number;
  if (at && total !== at.total) {
    throw new ConnectorError('unavailable', `${what}: the list changed while it was read (${at.total} → ${total} rows); read it again from the start`, { providerCode: 'listing-changed' });
  }
  if (ahead) {
    // Keys name the total the caller's cursor will carry: `p<n>:t<total>`.
    const aheadKey = (p: number) => `${listing}#${p}:${total}`;
    for (let p = page + 1; p <= Math.min(data.page_info.total_page, page + PAGES_AHEAD); p++) {
      if (!ahead.has(aheadKey(p))) ahead.put(aheadKey(p), client.page<unknown>(endpoint, params, p, pageSize, what));
    }
  }
  if (key && at?.lastKey !== undefined && data.list.some((r) => key(r) === at.lastKey)) throw shiftedRows(what, page);
  const last = key && data.list.length > 0 ? `:k${encodeURIComponent(key(data.list[data.list.length - 1]))}` : '';
  return { list: data.list, ...(page < data.page_info.total_page ? { next: `p${page + 1}:t${total}${last}` } : {}) };
}
