import type { ConnectorContext } from '../sdk/definition.ts';
import type { RateLimitBook } from '../sdk/rate-limit-book.ts';
import type { TikTokClient } from './tiktok-client.ts';
import type { InviteBatcher } from './write/invite-batcher.ts';
import type { HoldingsCache } from './read/holdings-cache.ts';
import type { PagesAhead } from './read/cursor-page.ts';

/** What every read and write of one TikTok hub shares. */
export interface TikTokContext {
  bcId: string;
  client: TikTokClient;
  invites: InviteBatcher;
  /** Members' TikTok-account holdings, read per member (the only way TikTok lists them). */
  holdings: HoldingsCache;
  /** List pages read ahead of the agent's cursor. */
  ahead: PagesAhead;
  /** Partner BCs configured for the hub (read-only: reported, never changed). */
  partners: string[];
  book: RateLimitBook;
  /** The access token's own user (`tiktok.tokenUserId`): never removed or demoted. */
  tokenUserId?: string;
  log?: ConnectorContext['log'];
}
