import { z } from 'zod';
import type { ConnectorContext, HubConnector } from '../sdk/definition.ts';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import { TikTokClient } from './tiktok-client.ts';
import { envelopeOf, isThrottleCode } from './tiktok-errors.ts';
import { paceFor, Pacer, ThrottleBackoff } from './pacing.ts';
import type { TikTokContext } from './tiktok-context.ts';
import { InviteBatcher } from './write/invite-batcher.ts';
import { HoldingsCache } from './read/holdings-cache.ts';
import { PagesAhead } from './read/cursor-page.ts';
import { listInvites, listMembers, tokenUserOf } from './read/members.ts';
import { listAssets } from './read/assets.ts';
import { listAssignments } from './read/assignments.ts';
import { listPartners } from './read/partners.ts';
import { checkCredential } from './read/credential.ts';
import { cancelInvite, changeInviteRole, invite, reinvite } from './write/invites.ts';
import { changeMemberRole, removeMember } from './write/members.ts';
import { assignAsset, unassignAsset } from './write/assets.ts';

/**
 * TikTok Business Center connector over TikTok API for Business v1.3
 * (https://business-api.tiktok.com/portal/docs/api-reference/v1.3). Resolved values only: the
 * definition's `settings` turns a hub's `tiktok:` block (secret references, `sandbox`) into this.
 */
export const tiktokBusinessConfig = z.object({
  businessCenterId: z.string().regex(/^\d+$/, 'expected a Business Center id (a digit string)'),
  accessToken: z.string().min(1, 'expected the long-term access token of a Business Center admin'),
  /** The token's own user (`tiktok.tokenUserId`): a system user, never removed or demoted. */
  tokenUserId: z.string().regex(/^\d+$/, 'expected a TikTok user id (a digit string)').optional(),
  apiBaseUrl: z.url().default('https://business-api.tiktok.com'),
  apiVersion: z.string().regex(/^v\d+\.\d+$/).default('v1.3'),
  timeoutMs: z.number().int().positive().default(30_000),
  /** The client-side limiter (calls per second and per minute), below the app's TikTok tier; absent: `paceFor` the host. */
  pace: z.object({ qps: z.number().positive(), qpm: z.number().positive() }).optional(),
  partners: z.array(z.object({ businessCenterId: z.string().regex(/^\d+$/) })).default([]),
});
export type TikTokBusinessConfig = z.infer<typeof tiktokBusinessConfig>;

/** HTTP requests in flight per Business Center; the pacer decides when they may start. */
export const REQUESTS_IN_FLIGHT = 16;
/** Assets per `listAssignments` call: each is read on its own, so this only bounds one call's work. */
export const ASSETS_PER_ASSIGNMENT_READ = 50;

export function createTikTokBusiness(input: z.input<typeof tiktokBusinessConfig>, context: ConnectorContext): HubConnector {
  const config = tiktokBusinessConfig.parse(input);
  if (!config.tokenUserId) {
    context.log.warn('tiktok.tokenUserId is not set: hubwarden cannot tell the access token\'s own member from the others, so removing or demoting that member (a leaver, a team change) would revoke the hub\'s access; set it to that member\'s user_id', { bcId: config.businessCenterId });
  }
  const http = new HttpClient({
    baseUrl: config.apiBaseUrl, fetch: context.fetch, timeoutMs: config.timeoutMs,
    secrets: () => [config.accessToken], log: context.log, onCall: context.onCall, maxInFlight: REQUESTS_IN_FLIGHT,
    // TikTok throttles with HTTP 200 and a code in the body ("Rate limits",
    // https://business-api.tiktok.com/portal/docs/rate-limits/v1.3: no headers, no 429), so the
    // status alone never shows it to metrics.
    throttled: ({ status, body }) => status === 200 && isThrottleCode(envelopeOf(body)?.code),
  });
  const book = new RateLimitBook(Date.now, context.onBlock);
  const client = new TikTokClient({
    http, version: config.apiVersion, token: config.accessToken, bcId: config.businessCenterId, book,
    pacer: new Pacer(paceFor(config.apiBaseUrl, config.pace), Date.now, undefined, context.callPace && ((l) => context.callPace!({ perSecond: l.qps, perMinute: l.qpm, ...(l.qpd !== undefined ? { perDay: l.qpd } : {}) }))), backoff: new ThrottleBackoff(), log: context.log,
  });
  const ctx: TikTokContext = {
    bcId: config.businessCenterId, client, invites: new InviteBatcher(client), holdings: new HoldingsCache(), ahead: new PagesAhead(),
    partners: config.partners.map((p) => p.businessCenterId), book, log: context.log,
    ...(config.tokenUserId ? { tokenUserId: config.tokenUserId } : {}),
  };
  return {
    id: 'tiktok-business',
    limits: { assetsPerAssignmentRead: ASSETS_PER_ASSIGNMENT_READ },
    listMembers: (cursor) => listMembers(ctx, cursor),
    listInvites: (cursor) => listInvites(ctx, cursor),
    listSystemUsers: async () => ({ items: tokenUserOf(ctx) }),
    listAssets: (type, cursor) => listAssets(ctx, type, cursor),
    listAssignments: (assets, options) => listAssignments(ctx, assets, options),
    listPartners: (cursor) => listPartners(ctx, cursor),
    invite: (i) => invite(ctx, i),
    cancelInvite: (id) => cancelInvite(ctx, id),
    changeInviteRole: (id, role, assets) => changeInviteRole(ctx, id, role, assets),
    reinvite: (i) => reinvite(ctx, i),
    changeMemberRole: (id, role) => changeMemberRole(ctx, id, role),
    removeMember: (id) => removeMember(ctx, id),
    assignAsset: (i) => assignAsset(ctx, i),
    unassignAsset: (i) => unassignAsset(ctx, i),
    checkCredential: () => checkCredential(ctx),
    rateLimits: () => book.state(),
    honourBlock: (scope, untilMs) => book.blockUntil(scope, untilMs),
  };
}
