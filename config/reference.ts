/**
 * The README's config reference, generated from the zod schema (config/schema.ts), so the table
 * cannot drift from what the loader accepts: keys, types and defaults come from the schema, only
 * the one-line meanings live here. reference.test.ts fails when a key has no meaning or the README
 * table is stale; regenerate with `npx tsx config/reference.ts --write`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { connectors } from '../connectors/registry.ts';
import { configSchema, hubSchemaOf } from './schema.ts';
import { secretRef } from './secret-ref.ts';

export interface ConfigKey {
  key: string;
  type: string;
  /** JSON of the default, or 'required' / 'optional'. */
  default: string;
}

/** One line per key that every hub shares: what it means for the person writing the file. */
const COMMON_MEANINGS: Record<string, string> = {
  'server.port': 'TCP port to listen on (`PORT` overrides it; 0 picks a free port).',
  'server.host': 'Address to listen on; `0.0.0.0` to accept connections from other machines.',
  'server.publicUrl': 'The URL identity providers and browsers reach hubwarden at (used in SCIM base URLs and `meta.location`); http or https; no `_` when a hub is provisioned by Okta (Okta refuses it in a SCIM base URL). The dashboard answers only requests for this host (or a loopback name from loopback): any other Host gets 421, against DNS rebinding.',
  'server.adminTokens': 'Bearer tokens for the admin REST API (`/api/v1`) and the web UI. A secret reference is a token of every hub; `{ token: env:PORTAL_TOKEN, hubs: [acme] }` is a token of those hubs only (each a configured hub id): it sees and acts on them alone, other hubs answer 404 as unknown ones, and it signs in to the dashboard as an owner of those hubs. Give each integration (Okta Workflows, a team portal) a token of its own hubs.',
  'server.trustProxy': 'Which peers are reverse proxies whose `X-Forwarded-For` names the client (express `trust proxy`: `true`, a hop count, or addresses/subnets/`loopback`); the client address keys the failed-token limits. Off: the header is ignored. Set: `/metrics` wants a token even from loopback. See docs/operations.md.',
  'server.oidc': 'Sign-in to the web UI with an OpenID Connect provider (instead of an admin token).',
  'server.oidc.issuer': 'The OIDC issuer URL.',
  'server.oidc.clientId': 'The OIDC client id.',
  'server.oidc.clientSecret': 'The OIDC client secret.',
  'server.oidc.allowedGroups': 'Members of these groups (from `groupsClaim`) are global administrators of the dashboard. Anyone else who signs in sees My access, and the hubs where their mapped groups make them owner or manager (`hubs[].teams[].hubRole`; docs/dashboard.md).',
  'server.oidc.allowedEmails': 'These email addresses (verified by the provider) are global administrators, as `allowedGroups`.',
  'server.oidc.groupsClaim': 'The ID token claim that lists the user\'s groups.',
  'store.kind': 'Store backend: `lowdb` (the embedded default: a JSON file and journal on one disk, one process) or `postgres` (PostgreSQL, shared by several replicas running the same config; docs/scaling.md).',
  'store.path': 'The store\'s snapshot file; its journal sits beside it (`<path>.journal`).',
  'store.url': 'The PostgreSQL URL (`postgres://` or `postgresql://`; any other value is a config error at this path), as a secret reference (`env:DATABASE_URL`: it usually holds a password). A direct connection or a pooler in session mode (LISTEN and advisory locks need a session).',
  'store.schema': 'The PostgreSQL schema holding hubwarden\'s tables; created and migrated at start (several replicas starting at once migrate once).',
  'store.poolSize': 'Connections each replica keeps to PostgreSQL (a read holds one while it runs, a commit holds one for one call).',
  'store.taskRetentionDays': 'Days a finished task (completed, failed, cancelled) stays in the automation log before it is pruned (at start and every 6 h). The audit log keeps every change regardless.',
  'secrets.keyFile': 'Key from which hubwarden derives (HKDF) the labels that name credentials in the audit log and the logs (`admin-token:1a2b3c`, never the value) and the key sealing the cookie of a dashboard OIDC sign-in in progress (AES-256-GCM); no credential is stored sealed with it. Created with mode 0600 on first start; back it up with the store; every replica needs the same one (docs/operations.md, "Replacing the key file").',
  'audit.file': 'Append-only JSON-lines copy of the audit log: each process appends the changes it committed. With several replicas, a path on each replica\'s own disk (the same config works); do not share one file over a network filesystem. The complete log is in the store (`GET /api/v1/audit`). A write the file refuses (full disk, I/O error) is logged once, counted in `hubwarden_audit_file_write_failures_total` and retried every 5 s, the entries waiting in memory (at most 10,000; docs/operations.md, "When audit.file refuses writes").',
  'identityProviders.<name>': 'An identity provider hubs refer to by `<name>` (`hubs[].identityProvider`); `kind` picks Okta or Entra ID.',
  'identityProviders.<name>.kind': '`okta` or `entra`.',
  'identityProviders.<name>.orgUrl': '(okta) Your Okta org, e.g. `https://acme.okta.com`.',
  'identityProviders.<name>.token': '(okta) An Okta API token (SSWS) for write-back.',
  'identityProviders.<name>.clientId': '(okta) OAuth service app client id (private key JWT) instead of a token; (entra) the app registration\'s client id.',
  'identityProviders.<name>.privateKey': '(okta) The service app\'s private key (PEM or JWK).',
  'identityProviders.<name>.keyId': '(okta) The key id (`kid`) of `privateKey` among the service app\'s public keys, sent with each token request; needed for a PEM key when the app has more than one key (a JWK names its own; a different `keyId` beside it is refused).',
  'identityProviders.<name>.eventHookSecret': '(okta) The secret Okta sends in the event hook\'s Authorization header. To rotate it, list the old and the new (`[env:OLD, env:NEW]`, at most 2): both are accepted, and each delivery logs which one was used (by a keyed label, never the value); drop the old once it is no longer logged (docs/okta-workflows.md).',
  'identityProviders.<name>.tenantId': '(entra) Directory (tenant) id.',
  'identityProviders.<name>.clientSecret': '(entra) Client secret of the app registration.',
  'identityProviders.<name>.extensionAppId': '(entra) App id whose directory extension attributes receive write-back.',
  'identityProviders.<name>.graphBaseUrl': '(entra) Microsoft Graph base URL (an emulator in tests); a trailing `/v1.0` or `/beta` is dropped, hubwarden picks the version per call (docs/writeback.md).',
  'identityProviders.<name>.authorityUrl': '(entra) Token authority base URL; a trailing `/{tenantId}` or `/{tenantId}/v2.0` (MSAL\'s authority form) is dropped, the tenant comes from `tenantId` (docs/writeback.md).',
  'identityProviders.<name>.lifecycleWorkflows': '(entra) Accept Lifecycle Workflows custom task extension calls at `/hooks/entra/lifecycle`. Global cloud only: with a US Gov or China `authorityUrl` or `graphBaseUrl` the config is refused (docs/entra-lifecycle-workflows.md).',
  'identityProviders.<name>.lifecycleWorkflows.allowedAppIds': '(entra) App ids (azp/appid claim) allowed to call the hook.',
  'identityProviders.<name>.lifecycleWorkflows.audience': '(entra) Expected token audience.',
  'identityProviders.<name>.lifecycleWorkflows.jwksUrl': '(entra) Where the signing keys of the hook\'s tokens are published.',
  'identityProviders.<name>.lifecycleWorkflows.actions': '(entra) Workflow task id (the callout\'s `data.task.id`, not the extension\'s id) → `offboard` or `check-for-updates`. Empty: every callout offboards; otherwise an unlisted task id is refused.',
  'collections': 'Hubs shared as a collection: teams that name one offer their seat, and nobody is invited until they claim access.',
  'collections[].id': 'Collection id, named by `hubs[].teams[].collection`.',
  'collections[].label': 'Display name on My access and in offers.',
  'collections[].description': 'What the collection is for, shown with its offers.',
  'collections[].offerDays': 'Days an unclaimed offer stays open; an expired offer is made again when the person\'s group membership changes.',
  'hubs': 'The business hubs hubwarden governs; each is one SCIM app in the identity provider.',
  'hubs[].id': 'Hub id, part of the SCIM base URL `/scim/v2/hubs/<id>`.',
  'hubs[].label': 'Display name in the web UI and reports.',
  'hubs[].connector': 'Which app the hub is (a connector in connectors/registry.ts); it decides the hub\'s connector block, roles, asset types and partners below.',
  'hubs[].identityProvider': 'Name under `identityProviders` that pushes this hub and receives write-back.',
  'hubs[].loginMethod': 'How members sign in to the app: `sso` or `password`. Validated, not used yet: invites are the same either way.',
  'hubs[].scim.tokens': 'Bearer tokens the identity provider sends on SCIM requests for this hub (compared as SHA-256 hashes in constant time). Each must differ from every admin token.',
  'hubs[].scim.jwt': 'Also accept OAuth JWT bearer tokens for this hub.',
  'hubs[].scim.jwt.issuer': 'Expected `iss`.',
  'hubs[].scim.jwt.audience': 'Expected `aud`.',
  'hubs[].scim.jwt.jwksUrl': 'Where the issuer publishes its signing keys.',
  'hubs[].teams': 'SCIM group → team mappings; a person\'s grant combines all their mapped groups (highest role wins, asset tasks unioned).',
  'hubs[].teams[].group': 'SCIM group displayName (case-insensitive, and the same in either Unicode form: compared NFC-folded; no spaces at its start or end).',
  'hubs[].teams[].hubRole': 'What the team\'s members may do in hubwarden for this hub: an `owner` manages the hub (members, matching, exemptions, reports, approvals), a `manager` does the user and access tasks, a `collaborator` only holds a seat. A person\'s hub role is the highest over their mapped groups.',
  'hubs[].teams[].appRole': 'Role in the app (the connector\'s roles). Required unless `seat: false`.',
  'hubs[].teams[].seat': '`false`: the hub role without an app seat (the IT admin who needs no licence): nobody is invited, and a seat the person holds for another reason is left alone. Owners and managers only; no `assets`.',
  'hubs[].teams[].collection': 'The collection (`collections[].id`) the team\'s seat is offered in. Teams in a collection are claim-only, whatever `claim` says.',
  'hubs[].teams[].claim': '`true`: membership makes an offer the person claims (My access, the admin API, Okta Workflows); nobody is invited until they claim.',
  'hubs[].teams[].assets': 'Assets the team\'s members get, with the access the connector\'s asset type asks for.',
  'hubs[].teams[].assets[].type': 'Asset type (the connector\'s asset types).',
  'hubs[].teams[].assets[].id': 'Asset id in the app.',
  'hubs[].defaultTeam': 'What a person assigned to the app without any mapped group gets; nothing when unset.',
  'hubs[].defaultTeam.hubRole': 'Hub role of people the default team applies to (see `teams[].hubRole`).',
  'hubs[].defaultTeam.appRole': 'Role in the app (the connector\'s roles).',
  'hubs[].checkForUpdates.schedule': 'Cron expression (node-cron: five fields, or six with seconds first) for the scheduled check for updates (reconcile with the app), in the server\'s local time zone (`TZ`, which must then be a tz database name written as the database writes it, such as `Europe/Paris`, or unset, or empty for UTC; a zone file path such as `:/etc/localtime` only for a zone without summer time); none when unset. A bad expression is a config error at this path. Each slot is queued once across the replicas. Summer time: a time the clock skips runs at the jump, once; a time the expression names in the hour lived twice (`30 2 * * *`) runs once, at its second occurrence, so a daily schedule runs once per calendar day in that zone; a time matched by a wildcard, range or step (`30 * * * *`, `*/20 * * * *`) runs at both occurrences. A slot that passed while no replica ran is queued at the next start, once (the latest only). A check still queued or running covers the slot that comes meanwhile (never two at once). A change takes effect at the next start.',
  'hubs[].checkForUpdates.onConnect': 'Check for updates when the hub is first connected.',
  'hubs[].safety.settleSeconds': 'Removals and downgrades wait this long (absorbs remove-then-add group moves).',
  'hubs[].safety.removalThresholdPercent': 'A run that would remove more than this share of members halts for approval; so does one that would take asset grants, an app role (a demotion) or a pending invite from more than this share of the hub\'s people (members and pending invites), each kind judged on its own. The approval and the audit name the kind that tripped it.',
  'hubs[].safety.removalWindowMinutes': 'Removals let through in this many minutes count toward the threshold together, so a mass deactivation sent one person at a time still halts (0: each run alone).',
  'hubs[].safety.confirmDeprovisioning': 'IdP-driven removals wait for an owner to apply the report.',
  'hubs[].safety.drift': 'What to do with changes made by hand in the app: `correct` them or only `report` them.',
  'hubs[].safety.offboards': 'Explicit leaver actions (admin API and CLI `offboard`, Okta Workflows, Entra Lifecycle Workflows): `immediate` removes the person\'s seats at once; `threshold` halts an offboarding for approval when its removals, with those in the last `removalWindowMinutes`, would pass `removalThresholdPercent` (the first removal in an empty window always goes). Either way their removals count in the window, with those of IdP-driven removals.',
  'hubs[].partners': 'Partner businesses whose people may hold access (their keys depend on the connector).',
};

/**
 * Every key's meaning: the common ones above, and each connector's own (its definition's
 * `meanings`, under `hubs[]`), marked with the connector they belong to.
 */
export const MEANINGS: Record<string, string> = { ...COMMON_MEANINGS };
for (const c of connectors) {
  for (const [key, meaning] of Object.entries(c.meanings)) {
    const path = `hubs[].${key}`;
    MEANINGS[path] = MEANINGS[path] ? `${MEANINGS[path]} (${c.id}) ${meaning}` : `(${c.id}) ${meaning}`;
  }
}

type Def = { type: string; [k: string]: any };
const defOf = (schema: any): Def => schema._zod.def;

/** The side of a pipe a config file writes: the checked input of a normalising transform (an ad account id), else what it is piped into. */
const writtenSide = (def: Def): any => (defOf(def.out).type === 'transform' ? def.in : def.out);

function typeName(schema: any): string {
  if (schema === secretRef) return 'secret (`env:NAME` \\| `file:PATH`)';
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return def.format === 'url' ? 'URL' : 'string';
    case 'number':
      return (def.checks ?? []).some((c: any) => String(c._zod.def.format ?? '').includes('int')) ? 'integer' : 'number';
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(def.entries).map((v) => `\`${v}\``).join(' \\| ');
    case 'literal':
      return def.values.map((v: unknown) => `\`${v}\``).join(' \\| ');
    case 'union':
      return def.options.map(typeName).join(' \\| ');
    case 'array':
      return `list of ${typeName(def.element)}`;
    case 'record':
      return `map of ${typeName(def.keyType)} → ${typeName(def.valueType)}`;
    case 'object':
      return 'object';
    case 'default':
    case 'optional':
      return typeName(def.innerType);
    case 'pipe':
      return typeName(writtenSide(def));
    default:
      return def.type;
  }
}

function walk(schema: any, key: string, out: Map<string, ConfigKey>, inherited?: string): void {
  let def = defOf(schema);
  let dflt = inherited ?? 'required';
  if (key === 'hubs') return walkHubs(out);
  while (def.type === 'default' || def.type === 'optional' || def.type === 'pipe') {
    if (def.type === 'pipe') {
      schema = writtenSide(def);
      def = defOf(schema);
      continue;
    }
    if (def.type === 'default') {
      const value = typeof def.defaultValue === 'function' ? def.defaultValue() : def.defaultValue;
      dflt = JSON.stringify(value);
    } else if (dflt === 'required') dflt = 'optional';
    schema = def.innerType;
    def = defOf(schema);
  }
  const leaf = (type = typeName(schema)) => {
    if (!out.has(key)) out.set(key, { key, type, default: dflt });
  };
  if (def.type === 'object') {
    if (key && dflt === 'optional') leaf();
    for (const [name, child] of Object.entries(def.shape)) walk(child, key ? `${key}.${name}` : name, out);
  } else if (def.type === 'array' && defOf(def.element).type === 'object') {
    leaf(`list of objects`);
    walk(def.element, `${key}[]`, out);
  } else if (def.type === 'array' && defOf(def.element).type === 'pipe') {
    // a discriminated union of objects (asset grants by type): every option's keys, types merged
    leaf(`list of objects`);
    for (const option of defOf(defOf(def.element).out).options) {
      for (const [name, child] of Object.entries(defOf(option).shape)) mergeKey(out, child, `${key}[].${name}`);
    }
  } else if (def.type === 'record' && ['union', 'object'].includes(defOf(def.valueType).type)) {
    leaf(`map of name → object`);
    const value = defOf(def.valueType);
    const options = value.type === 'union' ? value.options : [def.valueType];
    for (const option of options) {
      for (const [name, child] of Object.entries(defOf(option).shape)) {
        const path = `${key}.<name>.${name}`;
        const existing = out.get(path);
        const before = out.size;
        walk(child, path, out);
        // a key several kinds share (clientId) lists every kind's type once
        if (existing && out.size === before) {
          const t = typeName(child);
          if (!existing.type.split(' \\| ').includes(t) && name !== 'kind') existing.type += ` \\| ${t}`;
        }
      }
    }
    const kinds = out.get(`${key}.<name>.kind`);
    if (kinds) kinds.type = options.map((o: any) => typeName(defOf(o).shape.kind)).join(' \\| ');
    out.get(key)!.key = key;
    out.set(`${key}.<name>`, { ...out.get(key)!, key: `${key}.<name>` });
    out.delete(key);
  } else if (def.type === 'union' && def.options.every((o: any) => defOf(o).type === 'object' && defOf(o).shape.kind)) {
    // a kind-discriminated object (store: lowdb | postgres): each key once, marked with the kinds
    // that have it when not all do
    const perKind = def.options.map((o: any) => {
      const keys = new Map<string, ConfigKey>();
      for (const [name, child] of Object.entries(defOf(o).shape)) walk(child, `${key}.${name}`, keys);
      return { kind: defOf(defOf(o).shape.kind).values[0] as string, keys };
    });
    const order: string[] = [];
    for (const { keys } of perKind) for (const k of keys.keys()) if (!order.includes(k)) order.push(k);
    for (const k of order) {
      const holders = perKind.filter((p: { keys: Map<string, ConfigKey> }) => p.keys.has(k));
      const first = holders[0]!.keys.get(k)!;
      if (k === `${key}.kind`) out.set(k, { ...first, type: perKind.map((p: { kind: string }) => `\`${p.kind}\``).join(' \\| '), default: JSON.stringify(perKind[0]!.kind) });
      else out.set(k, holders.length === perKind.length ? first : { ...first, type: `(${holders.map((h: { kind: string }) => h.kind).join(', ')}) ${first.type}` });
    }
  } else {
    leaf();
  }
}

/** Adds the key `path` of schema `child`; when it exists already (another option's), adds the child's type to it once. */
function mergeKey(out: Map<string, ConfigKey>, child: any, path: string): void {
  const existing = out.get(path);
  if (!existing) {
    const one = new Map<string, ConfigKey>();
    walk(child, path, one);
    for (const [k, v] of one) if (!out.has(k)) out.set(k, v);
    return;
  }
  const t = typeName(child);
  if (!existing.type.split(' \\| ').includes(t)) existing.type += ` \\| ${t}`;
}

/**
 * `hubs[]`: the schema is one object per connector (config/schema.ts `hubSchemaOf`). Each key is
 * listed once; where connectors disagree on its type or default, each connector's is named.
 */
function walkHubs(out: Map<string, ConfigKey>): void {
  out.set('hubs', { key: 'hubs', type: 'list of objects', default: 'required' });
  const perConnector = connectors.map((c) => {
    const keys = new Map<string, ConfigKey>();
    walk(hubSchemaOf(c), 'hubs[]', keys);
    return { id: c.id, keys };
  });
  const order: string[] = [];
  for (const { keys } of perConnector) for (const k of keys.keys()) if (!order.includes(k)) order.push(k);
  for (const k of order) {
    const holders = perConnector.filter((p) => p.keys.has(k));
    const first = holders[0]!.keys.get(k)!;
    if (k === 'hubs[].connector') {
      out.set(k, { ...first, type: connectors.map((c) => `\`${c.id}\``).join(' \\| ') });
      continue;
    }
    const same = holders.length === connectors.length && holders.every((h) => h.keys.get(k)!.type === first.type && h.keys.get(k)!.default === first.default);
    if (same) out.set(k, first);
    else if (holders.length === 1) out.set(k, { ...first, type: `(${holders[0]!.id}) ${first.type}` });
    else {
      out.set(k, {
        key: k,
        type: holders.map((h) => `(${h.id}) ${h.keys.get(k)!.type}`).join('; '),
        default: holders.every((h) => h.keys.get(k)!.default === first.default) ? first.default : 'optional',
      });
    }
  }
}

export function configKeys(): ConfigKey[] {
  const out = new Map<string, ConfigKey>();
  walk(configSchema, '', out);
  // identityProviders.<name> should come before its own keys
  const keys = [...out.values()];
  const i = keys.findIndex((k) => k.key === 'identityProviders.<name>');
  if (i >= 0) {
    const [row] = keys.splice(i, 1);
    keys.splice(keys.findIndex((k) => k.key.startsWith('identityProviders.<name>.')), 0, row!);
  }
  return keys;
}

export function configReferenceTable(): string {
  const rows = configKeys().map((k) => `| \`${k.key}\` | ${k.type} | ${k.default === 'required' || k.default === 'optional' ? k.default : `\`${k.default}\``} | ${MEANINGS[k.key] ?? '**(no meaning: add one in config/reference.ts)**'} |`);
  return ['| Key | Type | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export const README_START = '<!-- config-reference:start (generated by `npx tsx config/reference.ts --write`; do not edit by hand) -->';
export const README_END = '<!-- config-reference:end -->';

/** README text with the table between the markers replaced by the generated one. */
export function withReferenceTable(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error('README.md: config reference markers not found');
  return `${readme.slice(0, start + README_START.length)}\n${configReferenceTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--write')) {
    const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
    writeFileSync(readme, withReferenceTable(readFileSync(readme, 'utf8')));
    console.log(`config reference written to ${readme}`);
  } else {
    console.log(configReferenceTable());
  }
}
