import { ConnectorError } from '../sdk/connector-error.ts';

/**
 * Opaque cursors (: the agent drives pagination). A cursor is the absolute
 * `paging.next` URL Graph returned (https://developers.facebook.com/docs/graph-api/results: follow `next`, stop only when it is gone),
 * with the token stripped before encoding, so cursors can be stored and logged; the client adds
 * the token back when it follows one, and only to the configured base URL's origin.
 */
export function toCursor(nextUrl: string): string {
  const url = new URL(nextUrl);
  url.searchParams.delete('access_token');
  return Buffer.from(url.toString(), 'utf8').toString('base64url');
}

export function fromCursor(cursor: string, what: string): string {
  let text: string;
  try {
    text = Buffer.from(cursor, 'base64url').toString('utf8');
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    url.searchParams.delete('access_token');
    return url.toString();
  } catch {
    throw new ConnectorError('invalid-argument', `${what}: the paging cursor is not one this connector issued`, { field: 'cursor' });
  }
}
