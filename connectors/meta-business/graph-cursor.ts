import { ConnectorError } from '../sdk/connector-error.ts';
import type { QueryValue } from '../sdk/http.ts';

/**
 * The parameters that carry a credential: the token, and `appsecret_proof`, which Graph's
 * `paging.next` echoes from the query like the token and which stands for the token with an app
 * that requires it (https://developers.facebook.com/docs/graph-api/securing-requests).
 */
const CREDENTIAL_PARAMS = ['access_token', 'appsecret_proof'] as const;

/** `url` without its credential parameters (the client adds its own to every request). */
export function withoutCredentials(url: URL): URL {
  for (const name of CREDENTIAL_PARAMS) url.searchParams.delete(name);
  return url;
}

/**
 * Opaque cursors (: the agent drives pagination). A cursor is the absolute
 * `paging.next` URL Graph returned (https://developers.facebook.com/docs/graph-api/results: follow `next`, stop only when it is gone),
 * with the token (and proof) stripped before encoding, so cursors can be stored and logged; the client adds
 * them back when it follows one, and only to the configured base URL's origin.
 */
export function toCursor(nextUrl: string): string {
  const url = withoutCredentials(new URL(nextUrl));
  return Buffer.from(url.toString(), 'utf8').toString('base64url');
}

export function fromCursor(cursor: string, what: string): string {
  let text: string;
  try {
    text = Buffer.from(cursor, 'base64url').toString('utf8');
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return withoutCredentials(url).toString();
  } catch {
    throw new ConnectorError('invalid-argument', `${what}: the paging cursor is not one this connector issued`, { field: 'cursor' });
  }
}

/**
 * A next page Graph refuses as a bad request (100) or a missing object (100/33). The URL is
 * Graph's own `paging.next`, so the request cannot be at fault: cursors "become invalid when their
 * item is deleted" (https://developers.facebook.com/docs/graph-api/results), i.e. the listing
 * changed while it was read. That is neither invalid-argument (the agent fails the task for good)
 * nor not-found (a removal would read it as already done): it is `unavailable`, so the caller
 * reads the listing again from its first page. The pages read so far are never a complete listing.
 */
export function staleListing(err: unknown, what: string): unknown {
  if (!(err instanceof ConnectorError) || (err.kind !== 'invalid-argument' && err.kind !== 'not-found')) return err;
  // Graph's other refusal of its own cursor: some edges cap how far they can be paged ("The After
  // Cursor specified exceeds the max limit supported by this endpoint", same page). Reading the
  // listing again from its first page meets the same wall, so it is not `unavailable` (retried
  // until the task gives up): the listing cannot be read whole, and nothing may be decided from part of it.
  if (/exceeds the max limit/i.test(err.message)) {
    return new ConnectorError('internal', `${what}: Graph will not page this listing past its cursor limit (${err.message}); it cannot be read whole, so nothing is decided from it`, {
      providerCode: err.providerCode, cause: err,
    });
  }
  return new ConnectorError('unavailable', `${what}: the listing changed while it was read (Graph refused its own next page: ${err.message}); read it again from the start`, {
    providerCode: err.providerCode, cause: err,
  });
}

/**
 * The connector's own page loops follow `paging.next` until it is gone, empty pages included
 * (https://developers.facebook.com/docs/graph-api/results): the check's per-asset batched reads and
 * the agencies read whole, and, inside one task, the look-ups before a write (pending invites
 * before an invite, current partners before a share, the admins before a demotion or removal) and
 * on its error paths (is the member, invite or asset still listed). Every one of them goes through
 * a trail: a `next` that names a page already read never ends, and without this a Graph answering
 * so kept one check, or one task (holding its hub's queue and burning its rate limit), calling it
 * for ever, past the agent's own guard on the listings it pages (agent/check-for-updates/read-app.ts
 * readAllPages). `key` says whose listing (an asset's, an edge's), `next` is the page to read.
 * Throws `internal`: reading again from the start meets the same loop, and the pages read so far
 * are never a complete listing.
 */
export class PageTrail {
  readonly #seen = new Set<string>();

  follow(key: string, next: string, what: string): string {
    const at = `${key}\u0000${next.replace(/([?&])(?:access_token|appsecret_proof)=[^&]*/g, '$1')}`;
    if (this.#seen.has(at)) {
      throw new ConnectorError('internal', `${what}: Graph's next page is one already read (paging loops); stopping rather than calling it for ever`, { providerCode: 'paging-loop' });
    }
    this.#seen.add(at);
    return next;
  }
}

/**
 * A `paging.next` URL with every parameter of the first request that it leaves out put back
 * (`fields`, `limit`, a filter such as `email` or `business`); those it carries, and its cursor,
 * are kept as Graph gave them. Meta's Graph carries them over, but the results guide's own example
 * `next` shows only `limit` and `after` (https://developers.facebook.com/docs/graph-api/results),
 * and a Graph following it to the letter answered later pages with the default fields only (no
 * email, tasks or finance role: members misread) or refused them (`assigned_users` without its
 * required `business`), so a listing of more than one page was never read whole (README [INF]).
 * The token is never added here: the client adds it to every request.
 */
export function withAsked(nextUrl: string, asked: Record<string, QueryValue>): string {
  const url = new URL(nextUrl);
  for (const [k, v] of Object.entries(asked)) {
    if ((CREDENTIAL_PARAMS as readonly string[]).includes(k) || k === 'after' || k === 'before' || v === undefined || v === null || url.searchParams.has(k)) continue;
    url.searchParams.set(k, String(v));
  }
  return url.toString();
}
