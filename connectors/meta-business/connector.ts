import { z } from 'zod';
import type { ConnectorContext, HubConnector } from '../sdk/connector.ts';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import { WriteBatcher } from './write-batcher.ts';
import { GraphClient } from './graph-client.ts';
import type { MetaContext } from './meta-context.ts';
import { listAssignments } from './read/assignments.ts';
import { listAssets } from './read/assets.ts';
import { checkCredential } from './read/credential.ts';
import { checkScope } from './read/check-reads.ts';
import { listPartners, listPartnerUsers } from './read/partners.ts';
import { listInvites, listMembers, listSystemUsers } from './read/people.ts';
import { readPerson } from './read/person.ts';
import { assignAsset, unassignAsset } from './write/assets.ts';
import { cancelInvite, changeInviteRole, invite, reinvite } from './write/invites.ts';
import { changeMemberRole, removeMember } from './write/members.ts';
import { shareAsset, unshareAsset } from './write/partners.ts';
import { BATCH_LIMIT } from './graph-client.ts';
import { appSecretProof } from './app-secret.ts';

/**
 * Meta Business Manager (Business Portfolio) connector over the Graph API
 * (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started). Resolved values only: definition.ts `settings` turns the hub's `meta:`
 * block (secret references, `sandbox`) into this; definition.ts also declares roles, asset types
 * and rate-limit scopes.
 */
export const metaBusinessConfig = z.object({
  businessId: z.string().regex(/^\d+$/, 'expected a numeric Meta business id'),
  accessToken: z.string().min(1, 'expected the system user access token'),
  /** The Meta app's secret: every call then carries `appsecret_proof` for its token (app-secret.ts). */
  appSecret: z.string().min(1, 'expected the Meta app secret').optional(),
  /** The hub's id, named in errors the hub's owner must act on (a refused app secret proof). */
  hubId: z.string().optional(),
  graphBaseUrl: z.url().default('https://graph.facebook.com'),
  apiVersion: z.string().regex(/^v\d+\.0$/, 'expected a Graph API version such as v25.0').default('v25.0'),
  timeoutMs: z.number().int().positive().default(30_000),
  /** Asset types hubwarden manages on this hub: they decide the token scopes required (checkCredential). */
  managedAssetTypes: z.array(z.enum(['ad_account', 'page', 'catalog', 'pixel'])).default([]),
  partners: z.array(z.object({ businessId: z.string().regex(/^\d+$/), token: z.string().min(1).optional() })).default([]),
});
export type MetaBusinessConfig = z.infer<typeof metaBusinessConfig>;

/**
 * Graph requests one business's connector keeps in flight. The agent runs up to a full batch of
 * tasks per hub (agent/tasks/runner-defaults.ts), most of whose writes share batch requests
 * (write-batcher.ts); this keeps the sockets to Graph few whatever that concurrency. 16 is above
 * what a check for updates' parallel read uses (BATCHES_IN_FLIGHT per edge, a few edges at once).
 */
export const REQUESTS_IN_FLIGHT = 16;

export function createMetaBusiness(input: z.input<typeof metaBusinessConfig>, context: ConnectorContext): HubConnector {
  const config = metaBusinessConfig.parse(input);
  const tokens = [config.accessToken, ...config.partners.flatMap((p) => (p.token ? [p.token] : []))];
  // One proof per token, computed once (https://developers.facebook.com/docs/graph-api/securing-requests).
  const proofs = new Map(config.appSecret === undefined ? [] : tokens.map((t) => [t, appSecretProof(config.appSecret!, t)]));
  // The app secret and each proof are redacted like the tokens from every log line and error text.
  const secrets = [...tokens, ...(config.appSecret === undefined ? [] : [config.appSecret]), ...proofs.values()];
  const http = new HttpClient({
    baseUrl: config.graphBaseUrl, fetch: context.fetch, timeoutMs: config.timeoutMs,
    secrets: () => secrets, log: context.log, onCall: context.onCall, maxInFlight: REQUESTS_IN_FLIGHT,
  });
  const book = new RateLimitBook(Date.now, context.onBlock);
  const client = (token: string, businessId: string) => new GraphClient({
    http, version: config.apiVersion, token, businessId, book, log: context.log,
    ...(proofs.has(token) ? { appSecretProof: proofs.get(token)! } : {}), ...(config.hubId ? { hubId: config.hubId } : {}),
  });
  const graph = client(config.accessToken, config.businessId);
  const partnerGraphs = new Map<string, GraphClient>();
  for (const p of config.partners) {
    if (p.token) partnerGraphs.set(p.businessId, client(p.token, p.businessId));
  }
  const checks = checkScope();
  const ctx: MetaContext = {
    businessId: config.businessId, graph, writes: new WriteBatcher(graph), partnerGraph: (id) => partnerGraphs.get(id), book, log: context.log, check: checks.current,
  };

  return {
    id: 'meta-business',
    limits: { assetsPerAssignmentRead: BATCH_LIMIT },
    listMembers: (cursor) => listMembers(ctx, cursor),
    listInvites: (cursor) => listInvites(ctx, cursor),
    listSystemUsers: (cursor) => listSystemUsers(ctx, cursor),
    withinCheck: (read) => checks.run(read),
    // Within a check, the owned pixels' pages are shared with the pixel partner read (read/check-reads.ts).
    listAssets: (type, cursor) => listAssets(ctx, type, cursor, { withinCheck: true }),
    listAssignments: (assets, options) => listAssignments(ctx, assets, options),
    listPartners: (cursor) => listPartners(ctx, cursor),
    partnersWithPeople: () => [...partnerGraphs.keys()],
    listPartnerUsers: (partnerBusinessId, options) => listPartnerUsers(ctx, partnerBusinessId, options),
    readPerson: (input) => readPerson(ctx, input),
    invite: (i) => invite(ctx, i),
    changeMemberRole: (memberId, role) => changeMemberRole(ctx, memberId, role),
    changeInviteRole: (inviteId, role) => changeInviteRole(ctx, inviteId, role),
    removeMember: (memberId) => removeMember(ctx, memberId),
    cancelInvite: (inviteId) => cancelInvite(ctx, inviteId),
    reinvite: (i) => reinvite(ctx, i),
    assignAsset: (i) => assignAsset(ctx, i),
    unassignAsset: (i) => unassignAsset(ctx, i),
    shareAsset: (i) => shareAsset(ctx, i),
    unshareAsset: (i) => unshareAsset(ctx, i),
    checkCredential: () => checkCredential(ctx, config.accessToken, config.managedAssetTypes),
    rateLimits: () => book.state(),
    honourBlock: (scope, untilMs) => book.blockUntil(scope, untilMs),
  };
}
