import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import { defineConnector, type AssetTypeRules } from '../sdk/definition.ts';
import { secretRef } from '../sdk/secret-ref.ts';
import { createTikTokBusiness, tiktokBusinessConfig } from './connector.ts';
import { TIKTOK_ASSET_TYPES, type TikTokAssetType } from './mappers/asset-types.ts';
import { combineAccess, isSupportedAccess } from './asset-roles.ts';
import { BC_ROLES } from './write/roles.ts';
import { isTikTokId, TIKTOK_ID_TEXT } from './write/ids.ts';
import { TIKTOK_SANDBOX } from './emulator/sandbox-ids.ts';

/**
 * TikTok Business Center as hubwarden sees it: the `tiktok:` block of a hub, the basic BC roles
 * ADMIN and STANDARD, per-asset roles on ad accounts, catalogs and TikTok accounts, one rate-limit
 * budget per developer app (TikTok "Rate limits"), and the built-in emulator as
 * `apiBaseUrl: sandbox`.
 */

/**
 * A TikTok id in the config: a digit string the gateway can convert to int64 (`x-open-convert:
 * int64(%s)`, github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_*.yml`), as the writes check
 * theirs (write/ids.ts). An id past 2^63 - 1 is refused at start, at its path, rather than failing
 * every invite or assignment that carries it.
 */
const digits = (what: string) => z.string().regex(/^\d+$/, { message: `expected ${what} (a digit string; quote it in YAML)`, abort: true })
  .refine(isTikTokId, `expected ${what} (${TIKTOK_ID_TEXT}: TikTok takes ids as int64)`);

/** Hosts that never leave the machine: plain http is allowed there (tests, a local emulator). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * An origin: scheme, host and optional port, no path (requests go to `{origin}/open_api/{version}/…`).
 * https only: every call carries the long-term access token in the `Access-Token` header
 * (https://business-api.tiktok.com/portal/docs?id=1738373164380162), and TikTok's API is served
 * at https://business-api.tiktok.com/open_api; any other scheme (http, ftp…) would send the token
 * in clear or nowhere useful. Plain http only to loopback, for tests and a local emulator.
 */
const origin = z.url().refine((u) => {
  const url = new URL(u);
  // No user name or password either: fetch refuses such a URL quoting it whole, password included (http-url.ts).
  return (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash && !url.username && !url.password;
}, 'expected an origin such as https://business-api.tiktok.com (no path, no user name or password)').refine((u) => {
  const url = new URL(u);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}, 'expected an https origin such as https://business-api.tiktok.com (http only for 127.0.0.1 or localhost)');

const tiktokBlock = z.object({
  businessCenterId: digits('a Business Center id'),
  accessToken: secretRef.optional(),
  /** The TikTok user id of the token's own user (never removed or demoted); optional (a warning at start without it; `sandbox` defaults to its fixture's token user). */
  tokenUserId: digits('the user id of the access token\'s own TikTok user').optional(),
  /** `sandbox` points the hub at the built-in TikTok emulator. */
  apiBaseUrl: z.union([z.literal('sandbox'), origin]).default('https://business-api.tiktok.com'),
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'expected an API version such as v1.3').default('v1.3'),
}).strict();

const tiktokPartner = z.object({ businessCenterId: digits('a partner Business Center id') }).strict();

function roleRules(type: TikTokAssetType): AssetTypeRules {
  const t = TIKTOK_ASSET_TYPES[type];
  const role = z.enum(t.roles as unknown as [string, ...string[]]);
  const grant = { role: t.list ? z.union([role, z.array(role).min(1)]) : role };
  return {
    label: t.label,
    id: digits(`a ${t.label} id`),
    grant,
    accessOf: (g) => {
      const value = (g as { role: string | string[] }).role;
      return combineAccess(type, [Array.isArray(value) ? value : [value]]);
    },
    isSupported: (access) => isSupportedAccess(type, access),
    combine: (accesses) => combineAccess(type, accesses),
  };
}

export const tiktokBusiness = defineConnector({
  id: 'tiktok-business',
  label: 'TikTok Business Center',
  hub: { key: 'tiktok', schema: tiktokBlock },
  partner: tiktokPartner,
  partnerId: (p) => p.businessCenterId,
  businessOf: (block) => `${block.apiBaseUrl} ${block.businessCenterId}`,
  // An ADMIN "reaches every asset of the BC" (TikTok help: Business Center roles, Admin: every BC
  // feature, members, assets; https://ads.tiktok.com/help/article/how-to-add-members-to-business-center).
  // The views say so; the plan still invites, assigns and unassigns an ADMIN's team assets.
  roles: { ranking: BC_ROLES, assignable: BC_ROLES, admin: 'ADMIN', adminReachesAllAssets: true },
  assetTypes: {
    ad_account: roleRules('ad_account'),
    catalog: roleRules('catalog'),
    tiktok_account: roleRules('tiktok_account'),
  },
  // `/bc/partner/asset/get/` is read for ad accounts only (read/partners.ts).
  partnerShareTypes: ['ad_account'],
  // TikTok counts every call against the developer app's QPS/QPM/QPD; no endpoint has its own budget.
  rateLimitScope: () => 'app',
  meanings: {
    'tiktok.businessCenterId': 'The Business Center id, a digit string (quote it in YAML). One hub per Business Center: a second hub naming the same one (at the same `apiBaseUrl`) is refused.',
    'tiktok.accessToken': 'Long-term access token of a TikTok for Business user who is an ADMIN of the Business Center (not needed for `apiBaseUrl: sandbox`).',
    'tiktok.tokenUserId': 'The `user_id` of the TikTok user the access token belongs to (a digit string, as the hub\'s member listing shows it). hubwarden never removes or demotes that member, even when their email matches a directory user in no team: TikTok has no endpoint that says whose token it is. Optional (recommended): without it hubwarden warns at start and cannot tell the token\'s user from other members, so a team change or a leaver could remove or demote it and revoke the hub\'s access; the sandbox defaults to its fixture\'s token user. When set, the credential check fails while it is not a BOUND ADMIN.',
    'tiktok.apiBaseUrl': 'TikTok API origin, https only (plain http only to 127.0.0.1 or localhost, for tests); `sandbox` = the built-in TikTok emulator.',
    'tiktok.apiVersion': 'TikTok API for Business version.',
    'partners[].businessCenterId': 'A partner Business Center whose sharing is imported and reported (read-only).',
    'teams[].assets[].role': 'The role on the asset: ad_account ADMIN | OPERATOR | ANALYST; catalog ADMIN | AD_PROMOTE; tiktok_account POST | LIVE | DIRECT_MESSAGE or a list of them.',
  },
  config: tiktokBusinessConfig,
  settings: ({ hubId, block, partners, secret, sandboxUrl }) => {
    const sandbox = block.apiBaseUrl === 'sandbox';
    if (sandbox && !sandboxUrl) {
      throw new ConnectorError('unavailable', `hub ${hubId}: tiktok.apiBaseUrl is "sandbox" but the sandbox emulator is not running`);
    }
    const accessToken = block.accessToken ? secret(block.accessToken) : sandbox ? TIKTOK_SANDBOX.token : undefined;
    if (!accessToken) {
      throw new ConnectorError('unauthenticated', `hub ${hubId}: tiktok.accessToken is not set (a secret reference such as env:TIKTOK_TOKEN)`, { field: 'tiktok.accessToken' });
    }
    // The token acts as an ordinary BOUND member, and no Business Center endpoint says which one
    // (TikTok API for Business, Authentication: the token is the authorizing user's,
    // https://business-api.tiktok.com/portal/docs?id=1738373164380162; /bc/get/ gives only its
    // role). Removing that member revokes the hub's own access, so the owner may name it and the
    // connector reports it as a system user, which plans never remove or demote. TikTok's config
    // contract has no such key, so a hub without it still runs: the connector warns at start.
    const tokenUserId = block.tokenUserId ?? (sandbox ? TIKTOK_SANDBOX.tokenUserId : undefined);
    return {
      businessCenterId: block.businessCenterId,
      accessToken,
      ...(tokenUserId ? { tokenUserId } : {}),
      apiBaseUrl: sandbox ? sandboxUrl! : block.apiBaseUrl,
      apiVersion: block.apiVersion,
      partners: partners.map((p) => ({ businessCenterId: p.businessCenterId })),
    };
  },
  create: (config, context) => createTikTokBusiness(config, context),
  sandbox: {
    path: '/sandbox/tiktok',
    description: 'TikTok sandbox (built-in TikTok API for Business emulator)',
    usedBy: (block) => block.apiBaseUrl === 'sandbox',
    resetPath: '/__emulator/reset',
    create: async ({ controlAuth, persist }) => {
      const { createTikTokEmulator } = await import('./emulator/index.ts');
      return createTikTokEmulator({ controlAuth, persist });
    },
  },
  emulator: {
    command: 'tiktok',
    description: 'run the TikTok API for Business emulator (Business Center endpoints)',
    start: async ({ port, fixturePath }) => {
      const { startStandalone } = await import('./emulator/index.ts');
      return startStandalone({ port, fixturePath });
    },
  },
  contractFixture: async () => (await import('./contract-fixture.ts')).contractFixture,
});
