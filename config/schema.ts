import { z } from 'zod';
import cron from 'node-cron';
import { connectorById, connectors } from '../connectors/registry.ts';
import type { ConnectorDefinition } from '../connectors/sdk/connector.ts';
import { httpUrl, secureHttpUrl } from '../connectors/sdk/http-url.ts';
import { secretRef } from './secret-ref.ts';
import { adminTokenEntry, adminTokenScopeIssues } from './admin-token-schema.ts';
import { hubSafety } from './hub-safety-schema.ts';
import { nationalCloudLifecycleIssue } from './national-cloud.ts';
import { trustProxy } from './trust-proxy.ts';

/**
 * The config file's contract, declared once. It drives validation, the README's config reference
 * and the message a user sees for a bad file (`hubs[1].teams[0].appRole: expected one of …`).
 * Keys and shapes are fixed by issue "SCIM 2.0 front door"; checks outside the project rely on them.
 * What differs per app (the `meta:` block, roles, asset types and grant fields, partners) comes
 * from the connector definitions in connectors/registry.ts: `connector:` selects one.
 */

/** A node-cron expression (five fields, or six with seconds first). */
const cronExpression = z.string().refine((v) => cron.validate(v), { error: (issue) => `"${String(issue.input)}" is not a valid cron expression (minute hour day-of-month month day-of-week)` });

/**
 * A value that names something (a file, a host, a claim): empty or only spaces is never what was
 * meant, and caught here it is named at its path instead of failing later (an empty audit.file
 * made the server try to open "" at start).
 */
const nonBlank = z.string().refine((v) => v.trim() !== '', 'must not be empty');

/**
 * A mapped SCIM group's displayName. Groups are matched by name ignoring case and Unicode form only
 * (groupKey, agent/desired-state/directory-records.ts), so " Meta Admins" never matches the IdP's
 * "Meta Admins": a team nobody would ever join, silently. Spaces inside the name are fine.
 */
const groupName = z.string().superRefine((v, ctx) => {
  if (v.trim() === '') ctx.addIssue({ code: 'custom', message: 'must not be empty' });
  else if (v !== v.trim()) ctx.addIssue({ code: 'custom', message: `"${v}" has spaces at its start or end; group names are matched exactly (ignoring case), so remove them` });
});

export const HUB_ROLES = ['owner', 'manager', 'collaborator'] as const;

const hubId = z.string().regex(/^[a-z0-9-]+$/, 'expected lower-case letters, digits and "-" only (Okta rejects "_" in base URLs)');

const collectionId = z.string().regex(/^[a-z0-9-]+$/, 'expected lower-case letters, digits and "-" only');

/** Days at most (settleSeconds: a week): a huge value ("never") made an invalid date whose toISOString threw at runtime. */
const MAX_DAYS = 3650;

/** Hubs shared as a collection: nobody is invited until they claim access. */
const collection = z.object({
  id: collectionId,
  label: nonBlank,
  description: z.string().optional(),
  /** Days an unclaimed offer stays open. */
  offerDays: z.number().int().min(1).max(MAX_DAYS).default(30),
}).strict();

const jwtBearer = z.object({
  issuer: nonBlank,
  audience: nonBlank,
  jwksUrl: secureHttpUrl,
}).strict();

/** The keys every hub has, whatever its connector. */
const hubCommon = {
  id: hubId,
  label: nonBlank.optional(),
  identityProvider: nonBlank.optional(),
  loginMethod: z.enum(['sso', 'password']).default('sso'),
  scim: z.object({
    tokens: z.array(secretRef).default([]),
    jwt: jwtBearer.optional(),
  }).strict().default({ tokens: [] }),
  // Checked here, not only when the schedules start: `config validate` must catch a bad
  // expression, and the problem names its path like every other (node-cron's syntax:
  // https://github.com/node-cron/node-cron#cron-syntax).
  checkForUpdates: z.object({ schedule: cronExpression.optional(), onConnect: z.boolean().default(true) }).strict().default({ onConnect: true }),
  safety: hubSafety,
};

/** A team's grant on one asset of one of the connector's asset types: `type`, `id`, then the type's own grant fields. */
export function assetGrantSchema(definition: ConnectorDefinition) {
  // The access must be one the app accepts on that asset type (the definition's `isSupported`):
  // Meta refuses other task sets with 100/1752129 "This Task Combination Is Not Supported"
  // (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users),
  // so a team asking for one is refused here, at its path, rather than failing every assignment
  // (or being silently narrowed when teams are combined) at runtime.
  const options = Object.entries(definition.assetTypes).map(([type, rules]) => z.object({ type: z.literal(type), id: rules.id, ...rules.grant }).strict()
    .superRefine((grant, ctx) => {
      let access: string[];
      try {
        access = rules.accessOf(grant as Record<string, unknown>);
      } catch {
        return; // a grant field the schema already refused (an empty role list, say): named at its path
      }
      if (rules.isSupported(access)) return;
      const field = Object.keys(rules.grant)[0] ?? 'type';
      const hint = definition.meanings[`teams[].assets[].${field}`];
      ctx.addIssue({ code: 'custom', path: [field], message: `[${access.join(', ')}] is not an access the app accepts on this ${rules.label}${hint ? `: ${hint}` : ''}` });
    }));
  const types = Object.keys(definition.assetTypes);
  // A plain enum check first, so an unknown type is named at `assets[n].type` with the types allowed.
  return z.object({ type: z.enum(types as [string, ...string[]]) }).loose().pipe(z.discriminatedUnion('type', options as unknown as [z.ZodObject, ...z.ZodObject[]]) as z.ZodType<any, any>);
}

/**
 * One connector's hub: the common keys, `connector: <id>`, the connector's block under its key
 * (`meta:`), its partners, and teams whose roles and asset grants the connector's definition checks.
 */
export function hubSchemaOf(definition: ConnectorDefinition) {
  const appRole = z.enum(definition.roles.assignable as [string, ...string[]]);
  const team = z.object({
    group: groupName,
    hubRole: z.enum(HUB_ROLES).default('collaborator'),
    /** Required unless `seat: false` (checked with the other cross-field rules). */
    appRole: appRole.optional(),
    assets: z.array(assetGrantSchema(definition)).default([]),
    /** false: the hub role without an app seat (owners and managers only). */
    seat: z.boolean().default(true),
    /** The collection the team's seat is offered in; teams in a collection are claim-only. */
    collection: collectionId.optional(),
    /** true: membership makes an offer the person claims, not an invite. */
    claim: z.boolean().default(false),
  }).strict();
  const { id, label, identityProvider, loginMethod, scim, checkForUpdates, safety } = hubCommon;
  // Keys in the order the file documents them (and the order problems are reported in).
  return z.object({
    id, label,
    connector: z.literal(definition.id),
    identityProvider, loginMethod,
    [definition.hub.key]: definition.hub.schema,
    scim,
    teams: z.array(team).default([]),
    /** What a user assigned to the app without any mapped group gets; none when unset. */
    defaultTeam: z.object({ hubRole: z.enum(HUB_ROLES).default('collaborator'), appRole }).strict().optional(),
    checkForUpdates, safety,
    partners: z.array(definition.partner).default([]).superRefine((partners, ctx) => {
      // One partner listed twice: the connector keeps one entry's settings (a credential) and drops the other's.
      const first = new Map<string, number>();
      partners.forEach((p, i) => {
        const id = definition.partnerId?.(p);
        if (id === undefined) return;
        const at = first.get(id);
        if (at === undefined) first.set(id, i);
        else ctx.addIssue({ code: 'custom', path: [i], message: `partner ${id} is listed twice (also partners[${at}]); list each partner once` });
      });
    }),
  }).strict();
}

/** A team's grant on one asset, as written: the connector's asset type and id, and that type's grant fields. */
export interface AssetGrantConfig {
  type: string;
  id: string;
  [field: string]: unknown;
}
export interface TeamConfig {
  group: string;
  hubRole: HubRole;
  /** Absent only when `seat` is false. */
  appRole?: string;
  assets: AssetGrantConfig[];
  /** Defaults to true (absent in hand-built configs). */
  seat?: boolean;
  collection?: string;
  claim?: boolean;
  /** Days an offer of this team stays open: its collection's `offerDays`, set by `withCollections` (30 when unset). */
  offerDays?: number;
}
type HubCommon = z.infer<z.ZodObject<typeof hubCommon>>;
/** A hub as written. Its connector block sits under the definition's `hub.key`: read it with `connectorBlock`. */
export interface HubConfigFile extends HubCommon {
  connector: string;
  teams: TeamConfig[];
  defaultTeam?: { hubRole: HubRole; appRole: string };
  partners: unknown[];
}

/** `connector:` picks the hub's schema; an unknown connector is named with the ones there are. */
const hub = z.object({ connector: z.enum(connectors.map((c) => c.id) as [string, ...string[]]) }).loose()
    .pipe(z.discriminatedUnion('connector', connectors.map(hubSchemaOf) as unknown as [z.ZodObject, ...z.ZodObject[]]) as z.ZodType<any, any>) as unknown as z.ZodType<HubConfigFile, unknown>;

/** The hub's connector block (`hub.meta` for a meta-business hub), as validated by its definition. */
export function connectorBlock(hubConfig: HubConfigFile): unknown {
  const definition = connectorById(hubConfig.connector);
  if (!definition) throw new Error(`hub ${hubConfig.id}: unknown connector "${hubConfig.connector}"`);
  return (hubConfig as unknown as Record<string, unknown>)[definition.hub.key];
}

const okta = z.object({
  kind: z.literal('okta'),
  orgUrl: secureHttpUrl,
  token: secretRef.optional(),
  /** OAuth service app (private key JWT) instead of an API token. */
  clientId: nonBlank.optional(),
  privateKey: secretRef.optional(),
  /**
   * The `kid` of `privateKey` among the service app's public keys, sent in the header of each
   * signed token request; needed for a PEM key when the app holds more than one key (a JWK names
   * its own `kid`). https://github.com/okta/okta-sdk-nodejs#oauth-20-authentication
   */
  keyId: nonBlank.optional(),
  // One secret, or two while it is rotated: Okta sends the one configured on the hook with every
  // delivery and never retries a 4xx (https://developer.okta.com/docs/concepts/event-hooks/), so
  // between changing it in Okta and here every delivery would be refused and its events lost.
  eventHookSecret: z.union([secretRef, z.array(secretRef).min(1).max(2)]).optional(),
}).strict().superRefine((p, ctx) => {
  // The SDK's private key JWT mode needs both (https://github.com/okta/okta-sdk-nodejs#oauth-20-authentication);
  // with one missing it refused at the first write-back ("Private Key not provided"), after
  // `config validate` had said OK. Neither is an org used for its event hooks only.
  if (p.keyId !== undefined && p.privateKey === undefined) ctx.addIssue({ code: 'custom', path: ['keyId'], message: 'names a key of privateKey: set privateKey too, or remove keyId' });
  if (p.token !== undefined) return;
  if (p.clientId !== undefined && p.privateKey === undefined) ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'required with clientId (the service app signs its token requests with it), unless token is set' });
  if (p.privateKey !== undefined && p.clientId === undefined) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'required with privateKey (the service app it belongs to), unless token is set' });
});

const entra = z.object({
  kind: z.literal('entra'),
  tenantId: nonBlank,
  clientId: nonBlank,
  clientSecret: secretRef,
  extensionAppId: nonBlank,
  graphBaseUrl: secureHttpUrl.default('https://graph.microsoft.com'),
  authorityUrl: secureHttpUrl.default('https://login.microsoftonline.com'),
  lifecycleWorkflows: z.object({
    /** The app id (azp/appid claim) allowed to call /hooks/entra/lifecycle; the relay's identity. */
    allowedAppIds: z.array(nonBlank).default([]),
    audience: nonBlank.optional(),
    jwksUrl: secureHttpUrl.optional(),
    /** Workflow task id (the callout's data.task.id) → action. Empty: every callout offboards; otherwise a task id not listed is refused. */
    actions: z.record(z.string(), z.enum(['offboard', 'check-for-updates'])).default({}),
  }).strict().optional(),
}).strict().superRefine((p, ctx) => {
  const issue = nationalCloudLifecycleIssue(p);
  if (issue) ctx.addIssue({ code: 'custom', path: ['lifecycleWorkflows'], message: issue });
});

const oidc = z.object({
  issuer: secureHttpUrl,
  clientId: nonBlank,
  clientSecret: secretRef,
  allowedGroups: z.array(nonBlank).default([]),
  allowedEmails: z.array(nonBlank).default([]),
  groupsClaim: nonBlank.default('groups'),
}).strict();


/** Days a finished task stays in the automation log; the audit log keeps every change regardless. */
const taskRetentionDays = z.number().int().min(1).max(MAX_DAYS).default(30);

/** The embedded default: a JSON snapshot plus a journal on one disk (one process). */
const lowdbStore = z.object({
  kind: z.literal('lowdb'),
  path: nonBlank.default('data/hubwarden.json'),
  taskRetentionDays,
}).strict();

/**
 * PostgreSQL, shared by every replica running the same config (docs/scaling.md). `url` is a
 * secret reference (it usually carries a password): `env:DATABASE_URL`.
 */
const postgresStore = z.object({
  kind: z.literal('postgres'),
  url: secretRef,
  /** A PostgreSQL identifier: created and migrated at start. */
  schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'expected a lower-case PostgreSQL identifier (a-z, 0-9, _; at most 63)', abort: true })
    // PostgreSQL's own: pg_* names are reserved for system schemas (CREATE SCHEMA refuses them,
    // pg_catalog refuses tables; https://www.postgresql.org/docs/current/ddl-schemas.html), and
    // information_schema holds the SQL standard's views of the database (https://www.postgresql.org/docs/current/information-schema.html),
    // where a start created hubwarden's tables among the system views without a word.
    .refine((s) => !s.startsWith('pg_') && s !== 'information_schema', 'names a schema PostgreSQL keeps for itself (pg_… is reserved for system schemas, information_schema holds the SQL standard\'s views of the database); name a schema of hubwarden\'s own, such as hubwarden')
    .default('hubwarden'),
  poolSize: z.number().int().min(1).max(200).default(10),
  taskRetentionDays,
}).strict();

export type StoreConfig = z.infer<typeof lowdbStore> | z.infer<typeof postgresStore>;

export const configSchema = z.object({
  server: z.object({
    port: z.number().int().min(0).max(65535).default(8080),
    // What server.listen binds (https://nodejs.org/api/net.html#serverlistenport-host-backlog-callback):
    // "" would bind every interface, the opposite of the 127.0.0.1 default; spaces never resolve.
    host: z.string().regex(/^\S+$/, 'expected a host name or IP address without spaces, such as 127.0.0.1 or 0.0.0.0').default('127.0.0.1'),
    // Paths are appended to it (SCIM base URLs and meta.location, the OIDC redirect URI): after a
    // ? or # they landed in the query or the fragment, and a redirect URI must not hold one (RFC 6749 §3.1.2).
    publicUrl: httpUrl.refine((v) => !/[?#]/.test(v), 'expected no query (?…) or fragment (#…): paths are appended to it (SCIM base URLs, the sign-in callback)').default('http://localhost:8080'),
    adminTokens: z.array(adminTokenEntry).default([]),
    oidc: oidc.optional(),
    trustProxy: trustProxy.default(false),
  }).strict().default({ port: 8080, host: '127.0.0.1', publicUrl: 'http://localhost:8080', adminTokens: [], trustProxy: false }),
  store: z.discriminatedUnion('kind', [lowdbStore, postgresStore]).default({ kind: 'lowdb', path: 'data/hubwarden.json', taskRetentionDays: 30 }),
  secrets: z.object({ keyFile: nonBlank.default('data/hubwarden.key') }).strict().default({ keyFile: 'data/hubwarden.key' }),
  audit: z.object({ file: nonBlank.default('data/audit.log') }).strict().default({ file: 'data/audit.log' }),
  identityProviders: z.record(z.string().regex(/^[a-z0-9-]+$/, 'expected a name of lower-case letters, digits and "-" only'), z.discriminatedUnion('kind', [okta, entra])).default({}),
  collections: z.array(collection).default([]),
  hubs: z.array(hub).min(1, 'expected at least one hub'),
}).strict().superRefine((config, ctx) => {
  const collectionIds = new Set<string>();
  config.collections.forEach((c, i) => {
    if (collectionIds.has(c.id)) ctx.addIssue({ code: 'custom', path: ['collections', i, 'id'], message: `duplicate collection id "${c.id}"` });
    collectionIds.add(c.id);
  });
  const seen = new Set<string>();
  const businesses = new Map<string, string>();
  config.hubs.forEach((h, i) => {
    if (seen.has(h.id)) ctx.addIssue({ code: 'custom', path: ['hubs', i, 'id'], message: `duplicate hub id "${h.id}"` });
    seen.add(h.id);
    // A hub is one business in one app: two hubs on one business each plan its seats from their
    // own directory, so one removed the seats the other granted (connectors/sdk/definition.ts businessOf).
    const definition = connectorById(h.connector);
    const business = definition?.businessOf?.(connectorBlock(h));
    if (definition && business !== undefined) {
      const other = businesses.get(`${h.connector} ${business}`);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['hubs', i, definition.hub.key], message: `names the same business as hub "${other}": a hub is one business, and two hubs on one would each remove the seats the other grants; map both hubs' groups as teams of one hub` });
      else businesses.set(`${h.connector} ${business}`, h.id);
    }
    // Own names only: `in` also found the prototype's (constructor, toString), and a hub naming
    // one passed, to have its writes back sent through a function taken for a provider.
    if (h.identityProvider && !Object.hasOwn(config.identityProviders, h.identityProvider)) {
      ctx.addIssue({ code: 'custom', path: ['hubs', i, 'identityProvider'], message: `no identity provider named "${h.identityProvider}" under identityProviders` });
    }
    const groups = new Map<string, number>();
    h.teams.forEach((t, j) => {
      // Compared as the SCIM server compares a group's displayName (NFC, then lower case:
      // agent/desired-state/directory-records.ts foldName): "Café" typed precomposed and
      // decomposed is one group at the identity provider, and two teams for it were not refused.
      const key = t.group.normalize('NFC').toLowerCase();
      const first = groups.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['hubs', i, 'teams', j, 'group'], message: `group "${t.group}" is mapped twice${h.teams[first]!.group === t.group ? '' : ` (also teams[${first}], "${h.teams[first]!.group}": the same name but for case or Unicode form)`}` });
      else groups.set(key, j);
      teamProblems(t, collectionIds).forEach(([field, message]) => ctx.addIssue({ code: 'custom', path: ['hubs', i, 'teams', j, field], message }));
    });
  });
  for (const issue of adminTokenScopeIssues(config.server.adminTokens, seen)) ctx.addIssue({ code: 'custom', ...issue });
  // A hub's SCIM base URL is publicUrl + /scim/v2/hubs/<id>, and Okta refuses a base URL with "_"
  // (https://developer.okta.com/docs/guides/scim-provisioning-integration-prepare/main/): said here,
  // not found out in Okta's admin console (hub ids are checked for "_" above).
  const oktaHub = config.hubs.find((h) => h.identityProvider && config.identityProviders[h.identityProvider]?.kind === 'okta');
  if (oktaHub && config.server.publicUrl.includes('_')) {
    ctx.addIssue({ code: 'custom', path: ['server', 'publicUrl'], message: `contains "_", which Okta refuses in a SCIM base URL (hub "${oktaHub.id}" is provisioned by Okta); serve hubwarden at a URL without "_"` });
  }
});

/** Rules across a team's keys: seat-less teams (owners and managers, no seat to offer), a known collection. */
function teamProblems(t: TeamConfig, collectionIds: ReadonlySet<string>): Array<[keyof TeamConfig, string]> {
  const out: Array<[keyof TeamConfig, string]> = [];
  if (t.seat !== false) {
    if (t.appRole === undefined) out.push(['appRole', 'required unless seat: false']);
  } else {
    if (t.hubRole === 'collaborator') out.push(['seat', 'seat: false is for owners and managers only (hubRole: owner or manager); a collaborator only holds a seat']);
    if (t.assets.length > 0) out.push(['assets', 'a team with seat: false grants no assets (assets need a seat)']);
    if (t.claim || t.collection !== undefined) out.push([t.claim ? 'claim' : 'collection', 'a team with seat: false has no seat to offer (claim and collection need a seat)']);
  }
  if (t.collection !== undefined && !collectionIds.has(t.collection)) out.push(['collection', `no collection with id "${t.collection}" under collections`]);
  return out;
}

/** A team whose seat is offered, not granted: `claim: true` or in a collection. */
export const isClaimTeam = (t: Pick<TeamConfig, 'claim' | 'collection' | 'seat'>): boolean => t.seat !== false && (t.claim === true || t.collection !== undefined);

export const DEFAULT_OFFER_DAYS = 30;

/** The hubs with each claim team's `offerDays` taken from its collection (the agent reads teams, not collections). */
export function withCollections(file: Pick<ConfigFile, 'hubs' | 'collections'>): HubConfigFile[] {
  const days = new Map((file.collections ?? []).map((c) => [c.id, c.offerDays]));
  return file.hubs.map((h) => ({
    ...h,
    teams: h.teams.map((t) => (isClaimTeam(t) ? { ...t, offerDays: (t.collection && days.get(t.collection)) || DEFAULT_OFFER_DAYS } : t)),
  }));
}

/** The config as written (secret references unresolved). */
export type ConfigFile = z.infer<typeof configSchema>;
export type HubRole = (typeof HUB_ROLES)[number];
export type CollectionConfig = z.infer<typeof collection>;
export type OktaProviderConfig = z.infer<typeof okta>;

/** An Okta org's event hook secrets (references), one or two (`eventHookSecret` is one or a list). */
export function eventHookSecretsOf(p: OktaProviderConfig): string[] {
  const refs = p.eventHookSecret;
  return refs === undefined ? [] : typeof refs === 'string' ? [refs] : [...refs];
}
export type EntraProviderConfig = z.infer<typeof entra>;
