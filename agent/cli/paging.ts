import type { AdminClient } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { countOf, itemsOf } from './answer.ts';
import { escapeForTerminal } from '../safe-text.ts';
import { MAX_EXPORT_ROWS } from '../api.ts';

/** The admin API's largest page (`limit` ≤ 500); longer lists are fetched page by page. */
export const API_PAGE = 500;

export interface Page<T> { total: number; offset: number; limit: number; items: T[] }

/** The largest `--limit`: the API's CSV export cap. */
export const MAX_LIMIT = MAX_EXPORT_ROWS;

/**
 * `--limit`: decimal digits, 1 to MAX_LIMIT, else a usage error naming the option. `Number()`
 * alone took `1e99` (an integer to JavaScript), `0x10` and ` 5 `.
 */
export function parseLimit(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) throw new CliError(`--limit: expected a whole number from 1 to ${MAX_LIMIT}, got "${raw}"`, 2);
  return n;
}

/**
 * The first `limit` items of a paged list route, fetching as many pages as that takes, so
 * `--limit 1000` works although a page holds at most 500. A route that answers a cursor (`next`:
 * the audit log's seq, followed as `before=next`; the members and tasks lists' token, followed as
 * `after=next`) is followed by it: rows written or removed meanwhile shift nothing. Other routes
 * page by offset + limit: a list that changes while it is paged can show an entry twice or miss
 * one that moved across a page boundary (offset paging has no snapshot). `total` is the count the
 * first page gave.
 */
export async function fetchPages<T>(client: AdminClient, path: string, query: URLSearchParams, limit: number): Promise<Page<T>> {
  const items: T[] = [];
  let total: number | undefined;
  let offset = 0;
  let before: number | undefined;
  let after: string | undefined;
  while (items.length < limit) {
    const q = new URLSearchParams(query);
    const cursor = before !== undefined || after !== undefined;
    q.set('offset', String(cursor ? 0 : offset));
    if (before !== undefined) q.set('before', String(before));
    if (after !== undefined) q.set('after', after);
    q.set('limit', String(Math.min(API_PAGE, limit - items.length)));
    const page = await client.get<{ total: number; items: T[]; next?: number | string }>(`${path}?${q}`);
    const pageItems = itemsOf<T>(page);
    const pageTotal = countOf(page, 'total');
    total ??= pageTotal;
    items.push(...pageItems);
    if (pageItems.length === 0) break;
    if (typeof page.next === 'number') {
      before = page.next;
      continue;
    }
    if (typeof page.next === 'string') {
      after = page.next;
      continue;
    }
    if (cursor) break; // a cursor's last page
    offset += pageItems.length;
    if (offset >= pageTotal) break;
  }
  return { total: total ?? 0, offset: 0, limit, items };
}

export type Format = 'table' | 'json' | 'csv';

/** `--format` (table, csv, json); the global `--json` is `--format json`. */
export function outputFormat(raw: string | undefined, json: boolean | undefined, allowed: readonly Format[] = ['table', 'json', 'csv']): Format {
  if (raw === undefined) return json ? 'json' : 'table';
  if (!(allowed as readonly string[]).includes(raw)) throw new CliError(`--format: expected one of ${allowed.join(', ')}, got "${raw}"`, 2);
  if (json && raw !== 'json') throw new CliError(`--json and --format ${raw} contradict each other; pass one`, 2);
  return raw as Format;
}

/** A CSV export: the API's own `text/csv` answer (one request; the server pages through the agent). */
export async function fetchCsv(client: AdminClient, path: string, query: URLSearchParams, limit: number | undefined): Promise<string> {
  const q = new URLSearchParams(query);
  if (limit !== undefined) q.set('limit', String(limit));
  const s = q.toString();
  return client.getText(`${path}${s ? `?${s}` : ''}`, 'text/csv');
}

/**
 * A CSV export as it is written to stdout: to a file or a pipe exactly as the server sent it; to
 * a terminal with control characters escaped (a cell could hold ESC sequences), the CRLF record
 * ends of RFC 4180 kept. A line break inside a quoted cell (RFC 4180 §2.6) is escaped too: shown
 * raw, a member name or an audit why from the app or the IdP holding `\n2026-…,okta,…` showed a
 * forged row under the real one.
 */
export function csvForOutput(text: string, tty = Boolean(process.stdout.isTTY)): string {
  if (!tty) return text;
  let out = '';
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    // A doubled quote inside a quoted cell toggles twice: it stays quoted (RFC 4180 §2.7).
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      out += `${escapeForTerminal(text.slice(start, i))}\r\n`;
      start = i + 2;
      i++;
    }
  }
  return out + escapeForTerminal(text.slice(start));
}
