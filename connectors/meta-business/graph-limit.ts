import { fieldOf, graphErrorOf, MISSING_OBJECT } from './graph-errors.ts';
import { PROOF_REFUSED } from './app-secret.ts';

/**
 * Smaller page sizes to fall back to when Graph refuses a `limit` (code 100). Meta
 * documents no maximum, only that "some edges cap limit" (https://developers.facebook.com/docs/graph-api/results),
 * and the docs' own examples use 25; Graph clamps a larger value, but a Graph that refuses it
 * instead (README [INF]) must cost a smaller page, not every read. 25 is never refused.
 */
export const LIMIT_FALLBACKS = [100, 25] as const;

export interface SmallerLimit {
  limit: number;
  /**
   * The refusal names `limit` (its text or `blame_field_specs`): the smaller size is kept for later
   * reads at once. Otherwise it is a bare (#100) naming no field, which may or may not be about
   * the limit (Meta documents no words for a too-large one): the smaller size is tried, and kept
   * only once a read with it is answered (graph-client.ts), so an unrelated refusal never shrinks
   * every later page.
   */
  named: boolean;
}

/** The smaller `limit` to try when `body` may refuse `sent` as too large; undefined: not such a refusal, or nothing smaller. */
export function smallerLimit(body: unknown, sent: number): SmallerLimit | undefined {
  const err = graphErrorOf(body);
  if (err?.code !== 100 || err.error_subcode === 33) return undefined;
  const text = `${err.message ?? ''} ${err.error_user_msg ?? ''}`;
  // A refused appsecret_proof (app-secret.ts) refuses every call alike, whatever its limit.
  if (/cursor/i.test(text) || MISSING_OBJECT.test(err.message ?? '') || PROOF_REFUSED.test(text)) return undefined;
  const blamed = (err.error_data as { blame_field_specs?: unknown } | undefined)?.blame_field_specs;
  const named = /\blimit\b/i.test(text) || (Array.isArray(blamed) && Array.isArray(blamed[0]) && blamed[0][0] === 'limit');
  // A refusal naming another field (a parameter, a nonexisting field, a subcode that means one) is not about the limit.
  if (!named && (err.error_subcode !== undefined || fieldOf(err) !== undefined)) return undefined;
  const limit = LIMIT_FALLBACKS.find((n) => n < sent);
  return limit === undefined ? undefined : { limit, named };
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

/**
 * The largest `limit` this Graph takes, learned from its refusals (one per client). A refusal
 * naming `limit` sets it at once; after a bare (#100) the smaller size is only tried, and set once a
 * read with it is answered (`answered`), so an unrelated refusal never shrinks every later page.
 */
export class PageSizeCap {
  #cap: number | undefined;
  readonly #warn: (message: string) => void;

  constructor(warn: (message: string) => void) {
    this.#warn = warn;
  }

  /** `limit` no larger than the cap learned (and than `tried`, a size being tried for this read). */
  capped(limit: number, tried?: number): number {
    return Math.min(limit, this.#cap ?? limit, tried ?? limit);
  }

  /** `body` answering a read sent with `sent`: the smaller limit to send it again with, or undefined. */
  refused(body: unknown, sent: number): number | undefined {
    const smaller = smallerLimit(body, sent);
    if (smaller === undefined) return undefined;
    if (smaller.named) this.keep(smaller.limit, `limit=${sent}`);
    return this.capped(smaller.limit);
  }

  /** A read sent with `limit`, tried after a bare (#100), was answered: keep it. */
  answered(limit: number): void {
    this.keep(limit, 'a larger limit');
  }

  private keep(limit: number, refused: string): void {
    const cap = Math.min(this.#cap ?? limit, limit);
    if (cap !== this.#cap) this.#warn(`meta-business: Graph refused ${refused}; pages of ${cap} from now on`);
    this.#cap = cap;
  }
}
