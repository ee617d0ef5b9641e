import { graphErrorOf } from './graph-errors.ts';

/**
 * Smaller page sizes to fall back to when Graph refuses a `limit` (code 100 naming it). Meta
 * documents no maximum, only that "some edges cap limit" (https://developers.facebook.com/docs/graph-api/results),
 * and the docs' own examples use 25; Graph clamps a larger value, but a Graph that refuses it
 * instead (README [INF]) must cost a smaller page, not every read. 25 is never refused.
 */
export const LIMIT_FALLBACKS = [100, 25] as const;

/** The smaller `limit` to try when `body` refuses `sent` as too large; undefined: not such a refusal, or nothing smaller. */
export function smallerLimit(body: unknown, sent: number): number | undefined {
  const err = graphErrorOf(body);
  if (err?.code !== 100 || err.error_subcode === 33) return undefined;
  const text = `${err.message ?? ''} ${err.error_user_msg ?? ''}`;
  const blamed = (err.error_data as { blame_field_specs?: unknown } | undefined)?.blame_field_specs;
  const names = /\blimit\b/i.test(text) && !/cursor/i.test(text);
  if (!names && !(Array.isArray(blamed) && Array.isArray(blamed[0]) && blamed[0][0] === 'limit')) return undefined;
  return LIMIT_FALLBACKS.find((n) => n < sent);
}

/** `limit` of a batch `relative_url` (undefined when it has none, or follows a cursor). */
export function limitOf(relativeUrl: string): number | undefined {
  const q = new URL(relativeUrl, 'http://graph.invalid/').searchParams;
  if (q.has('after') || q.has('before')) return undefined;
  const n = Number(q.get('limit'));
  return q.has('limit') && Number.isFinite(n) ? n : undefined;
}

/** `relativeUrl` with its `limit` set to `limit`. */
export function withLimit(relativeUrl: string, limit: number): string {
  const url = new URL(relativeUrl, 'http://graph.invalid/');
  url.searchParams.set('limit', String(limit));
  return `${url.pathname.slice(1)}${url.search}`;
}
