import { ConnectorError } from '../../sdk/connector-error.ts';
import type { TikTokClient, TikTokParams } from '../tiktok-client.ts';

/**
 * One page of a TikTok list for a caller that drives paging with an opaque cursor. TikTok pages
 * by number (no cursors), and offset paging shifts when rows are added or removed between two
 * reads, so the cursor carries the total the first page saw: a later page with another total
 * fails `unavailable` (listing-changed) and the caller reads the whole list again.
 */
export interface CursorPage<T> {
  list: T[];
  next?: string;
}

export function parseCursor(cursor: string | undefined, what: string): { page: number; total: number } | undefined {
  if (cursor === undefined) return undefined;
  const m = /^p(\d+):t(\d+)$/.exec(cursor);
  if (!m) throw new ConnectorError('invalid-argument', `${what}: not a cursor of this connector: ${cursor.slice(0, 40)}`);
  return { page: Number(m[1]), total: Number(m[2]) };
}

export async function cursorPage<T>(client: TikTokClient, endpoint: string, params: TikTokParams, pageSize: number, cursor: string | undefined, what: string): Promise<CursorPage<T>> {
  const at = parseCursor(cursor, what);
  const page = at?.page ?? 1;
  const data = await client.page<T>(endpoint, params, page, pageSize, what);
  const total = data.page_info.total_number;
  if (at && total !== at.total) {
    throw new ConnectorError('unavailable', `${what}: the list changed while it was read (${at.total} → ${total} rows); read it again from the start`, { providerCode: 'listing-changed' });
  }
  return { list: data.list, ...(page < data.page_info.total_page ? { next: `p${page + 1}:t${total}` } : {}) };
}
