import type { ConnectorContext } from '../sdk/connector.ts';
import type { RateLimitBook } from '../sdk/rate-limit-book.ts';
import type { GraphClient } from './graph-client.ts';
import type { WriteBatcher } from './write-batcher.ts';
import type { CheckReads } from './read/check-reads.ts';

/** What the read/ and write/ functions share: the business's Graph client and its partners'. */
export interface MetaContext {
  businessId: string;
  graph: GraphClient;
  /** The business's writes that may share a batch request with others made at the same moment. */
  writes: WriteBatcher;
  /** The Graph client holding a partner business's own token (config `partners[].token`). */
  partnerGraph(partnerBusinessId: string): GraphClient | undefined;
  book: RateLimitBook;
  log: ConnectorContext['log'];
  /** The check for updates the caller reads for (HubConnector.withinCheck), if any: pages its listings share. */
  check(): CheckReads | undefined;
}

/**
 * Largest `limit` per edge. Meta documents none ("some edges cap limit", https://developers.facebook.com/docs/graph-api/results); 1000 is
 * accepted on business lists and assigned_users, partners carry nested permission lists so 100.
 * Graph clamps a larger value; a Graph that refuses it instead (code 100 naming `limit`) gets
 * smaller pages from then on (graph-client.ts LIMIT_FALLBACKS), so these only cost calls if too small.
 */
export const PAGE_LIMIT = { list: 1000, partners: 100 } as const;

/** `meta-business: <verb> …` messages (who, what, which). */
export function what(text: string): string {
  return `meta-business: ${text}`;
}
