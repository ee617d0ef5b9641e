import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import { defineConnector, type AssetTypeRules } from '../sdk/connector.ts';
import { secureHttpUrl } from '../sdk/http-url.ts';
import { secretRef } from '../sdk/secret-ref.ts';
import { createMetaBusiness, metaBusinessConfig } from './connector.ts';
import { ROLE_RANK, isSupportedTaskSet, unionTasks } from './task-bundles.ts';
import { assetId as assetIdOf } from './mappers/asset.ts';

/**
 * Meta Business Manager as hubwarden sees it: the `meta:` block of a hub, Meta's business roles
 * (Graph API https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user) and the asset task bundles (task-bundles.ts, from https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users), the invite
 * limit that is counted per business (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), the built-in Graph emulator as `graphBaseUrl: sandbox`.
 */

/** The sandbox fixture's tokens (emulator/sandbox-ids.ts), used when a sandbox hub sets none. */
const SANDBOX_TOKEN = 'sandbox-system-user-token';
const SANDBOX_PARTNER = { businessId: '2000000000000002', token: 'sandbox-partner-token' } as const;

const metaBlock = z.object({
  businessId: z.string().regex(/^\d+$/, 'expected a numeric Meta business id'),
  appId: z.string().optional(),
  accessToken: secretRef.optional(),
  /** The Meta app's secret, for apps with "Require App Secret" on (https://developers.facebook.com/docs/graph-api/securing-requests). */
  appSecret: secretRef.optional(),
  /** `sandbox` points the hub at the built-in Meta emulator. */
  graphBaseUrl: z.union([z.literal('sandbox'), secureHttpUrl]).default('https://graph.facebook.com'),
  // Graph versions are `vNN.0` (https://developers.facebook.com/docs/graph-api/guides/versioning); any other is 2500 on every call.
  apiVersion: z.string().regex(/^v\d+\.0$/, 'expected a Graph API version such as v25.0').default('v25.0'),
}).strict();

const metaPartner = z.object({ businessId: z.string().regex(/^\d+$/, 'expected a numeric Meta business id (quote it in YAML)'), token: secretRef.optional() }).strict();

/** Business roles a team may give, as the config reference lists them. */
const ASSIGNABLE_ROLES = ['ADMIN', 'EMPLOYEE', 'FINANCE_EDITOR', 'FINANCE_ANALYST', 'DEVELOPER', 'ADS_RIGHTS_REVIEWER'] as const;

const taskGrant = { tasks: z.array(z.string().min(1)).min(1) };

/** One asset type's rules from task-bundles.ts: access = the tasks, combined by weighted union. */
function taskRules(type: string, label: string, id: z.ZodType<string>): AssetTypeRules<typeof taskGrant> {
  return {
    label,
    id,
    grant: taskGrant,
    accessOf: (grant) => [...grant.tasks],
    isSupported: (access) => isSupportedTaskSet(type, access),
    combine: (accesses) => unionTasks(type, accesses),
  };
}

/**
 * A page, catalog or pixel id: Graph ids are numeric strings
 * (https://developers.facebook.com/docs/graph-api/overview/). Any other text ("my-page", "222 ",
 * an ad account's act_ id under `type: page`) was taken: never equal to an id a listing reports,
 * so each plan assigned it again and each call was refused, with the config said to be OK.
 */
const assetId = (label: string) => z.string().regex(/^\d+$/, `expected a ${label} id, a digit string (quote it in YAML)`);

/**
 * An ad account's id as its Graph node names it, `act_<account_id>`
 * (https://developers.facebook.com/docs/marketing-api/reference/ad-account/: `id` "act_123",
 * `account_id` "123"), the bare number (what Ads Manager shows as the account id) normalised as the
 * connector's reads normalise it (mappers/asset.ts `assetId`). Kept as written, a team's
 * `id: "111"` never equalled the `act_111` every listing reports: each plan assigned "111" again
 * (a call on a node that is not the ad account) and never unassigned `act_111`, which no team named.
 */
const adAccountId = z.string().regex(/^(?:act_)?\d+$/, 'expected an ad account id, act_<account id> or the account id alone (digits; quote it in YAML)').transform((id) => assetIdOf('ad_account', id));

export const metaBusiness = defineConnector({
  id: 'meta-business',
  label: 'Meta Business Manager',
  hub: { key: 'meta', schema: metaBlock },
  partner: metaPartner,
  partnerId: (p) => p.businessId,
  businessOf: (block) => `${block.graphBaseUrl} ${block.businessId}`,
  roles: { ranking: ROLE_RANK, assignable: ASSIGNABLE_ROLES, admin: 'ADMIN' },
  assetTypes: {
    ad_account: taskRules('ad_account', 'ad account', adAccountId),
    page: taskRules('page', 'page', assetId('page')),
    catalog: taskRules('catalog', 'catalog', assetId('catalog')),
    pixel: taskRules('pixel', 'pixel', assetId('pixel')),
  },
  // Ad account, page and catalog shares come with the agencies and clients edges, a pixel's from
  // the pixel (read/partners.ts, read/pixel-partners.ts).
  partnerShareTypes: ['ad_account', 'page', 'catalog', 'pixel'],
  // Invites count against a per-business limit that lasts a day (https://developers.facebook.com/docs/graph-api/overview/rate-limiting, code 17); a
  // block there must not hold role changes and removals, which share only the app's budget.
  rateLimitScope: (change, block) => (change === 'invite' || change === 'reinvite' ? `invite:${block.businessId}` : 'app'),
  meanings: {
    'meta.businessId': 'The Meta business portfolio id. One hub per business: a second hub naming the same one (at the same `graphBaseUrl`) is refused, since each would remove the seats the other grants.',
    'meta.appId': 'The Meta app the system user token belongs to.',
    'meta.accessToken': 'System user access token (not needed for `graphBaseUrl: sandbox`).',
    'meta.appSecret': 'The Meta app\'s app secret, as a secret reference (`env:META_APP_SECRET`). Set it when the app has "Require App Secret" on: every Graph call then carries `appsecret_proof` (HMAC-SHA256 of the token keyed with it), also for partner tokens, which must then be of the same app.',
    'meta.graphBaseUrl': 'Graph API base URL; `sandbox` = the built-in Meta emulator.',
    'meta.apiVersion': 'Graph API version.',
    'partners[].businessId': 'The partner\'s business id.',
    'partners[].token': 'A token of the partner business, to read its users.',
    'teams[].assets[].tasks': 'Meta tasks on the asset (a supported bundle, e.g. `[ADVERTISE, ANALYZE]`).',
  },
  config: metaBusinessConfig,
  settings: ({ hubId, block, partners, managedAssetTypes, secret, sandboxUrl }) => {
    const sandbox = block.graphBaseUrl === 'sandbox';
    if (sandbox && !sandboxUrl) {
      throw new ConnectorError('unavailable', `hub ${hubId}: meta.graphBaseUrl is "sandbox" but the sandbox emulator is not running`);
    }
    const accessToken = block.accessToken ? secret(block.accessToken) : sandbox ? SANDBOX_TOKEN : undefined;
    if (!accessToken) {
      throw new ConnectorError('unauthenticated', `hub ${hubId}: meta.accessToken is not set (a secret reference such as env:META_TOKEN)`, { field: 'meta.accessToken' });
    }
    return {
      hubId,
      businessId: block.businessId,
      accessToken,
      ...(block.appSecret ? { appSecret: secret(block.appSecret) } : {}),
      graphBaseUrl: sandbox ? sandboxUrl! : block.graphBaseUrl,
      apiVersion: block.apiVersion,
      managedAssetTypes: managedAssetTypes.filter((t): t is 'ad_account' | 'page' | 'catalog' | 'pixel' => ['ad_account', 'page', 'catalog', 'pixel'].includes(t)),
      partners: partners.map((p) => {
        const token = p.token ? secret(p.token) : sandbox && p.businessId === SANDBOX_PARTNER.businessId ? SANDBOX_PARTNER.token : undefined;
        return { businessId: p.businessId, ...(token ? { token } : {}) };
      }),
    };
  },
  create: (config, context) => createMetaBusiness(config, context),
  sandbox: {
    path: '/sandbox/graph',
    description: 'Meta sandbox (built-in Graph API emulator)',
    usedBy: (block) => block.graphBaseUrl === 'sandbox',
    resetPath: '/__emulator/reset',
    create: async ({ controlAuth, persist }) => {
      const { createMetaEmulator } = await import('./emulator/index.ts');
      return createMetaEmulator({ controlAuth, persist });
    },
  },
  emulator: {
    command: 'meta',
    description: 'run the Meta Graph API emulator',
    start: async ({ port, fixturePath }) => {
      const { startStandalone } = await import('./emulator/index.ts');
      return startStandalone({ port, fixturePath });
    },
  },
  contractFixture: async () => (await import('./contract-fixture.ts')).contractFixture,
});
