import { connectorById } from '../connectors/registry.ts';
import type { ConfigFile, HubConfigFile, TeamConfig } from './schema.ts';
import { hubSafety } from './hub-safety-schema.ts';

/**
 * The part of the config that decides who gets what access: per hub its connector and the
 * connector's block (the app's ids; credentials appear only as their secret references, `env:NAME`
 * or `file:PATH`: the file never holds a value, and a resolved value never reaches this view),
 * teams (group → hub role, app role and asset grants), the default team, safety brakes, partners
 * and the identity provider it writes back to; the collections, the identity providers (their
 * write-back targets) and who may administer (admin token references, the dashboard's allowed
 * groups and emails). Labels, descriptions, schedules, ports and paths are left out: changing them
 * changes nobody's access. Teams are keyed by their group (lower-case: groups match ignoring case),
 * grants by asset type and id, so a reordered list is no change.
 *
 * The service compares this view with the last one recorded in the store at start and audits the
 * difference (agent/audit/config-change.ts).
 */
export interface GovernanceView {
  hubs: Record<string, Record<string, unknown>>;
  collections: Record<string, { offerDays: number }>;
  identityProviders: Record<string, unknown>;
  administration: { adminTokens: string[]; dashboard?: Record<string, unknown> };
}

/** A plain JSON copy: undefined keys dropped, object keys sorted (so equal views compare equal as text). */
export function canonical<T>(value: T): T {
  if (Array.isArray(value)) return value.map(canonical) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = canonical(v);
    }
    return out as T;
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const grantKey = (g: { type: string; id: string }) => `${g.type} ${g.id}`;

function teamView(t: TeamConfig): Record<string, unknown> {
  // One asset listed twice in a team is granted both entries combined (agent/grants/effective-grant.ts):
  // each is kept (sorted, so their order is no change), not only the last, whose sibling's change went unseen.
  const listed = new Map<string, unknown[]>();
  for (const g of t.assets) listed.set(grantKey(g), [...(listed.get(grantKey(g)) ?? []), canonical(g)]);
  const assets: Record<string, unknown> = {};
  for (const [key, grants] of listed) assets[key] = grants.length === 1 ? grants[0] : grants.map((g) => [JSON.stringify(g), g] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
  return { group: t.group, hubRole: t.hubRole, appRole: t.appRole, seat: t.seat !== false, claim: t.claim === true, collection: t.collection, assets };
}

function hubView(h: HubConfigFile): Record<string, unknown> {
  const teams: Record<string, unknown> = {};
  for (const t of h.teams) teams[t.group.toLowerCase()] = teamView(t);
  const key = connectorById(h.connector)?.hub.key;
  return {
    connector: h.connector,
    ...(key ? { [key]: (h as unknown as Record<string, unknown>)[key] } : {}),
    identityProvider: h.identityProvider,
    loginMethod: h.loginMethod,
    scim: h.scim,
    teams,
    defaultTeam: h.defaultTeam,
    safety: h.safety,
    partners: h.partners,
  };
}

/** Lists whose order means nothing (a set of credentials, partners, groups or emails): sorted by their JSON text. */
const asSet = <T>(list: readonly T[] | undefined): T[] | undefined => list?.map((v) => [JSON.stringify(canonical(v)), v] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);

/**
 * The hub view's blocks whose keys the schema fills with a default, as those defaults. The running
 * release always holds such a key (zod writes the default in), a view recorded by an earlier one
 * lacks any key added since: unset with a default is that default, or the first start after an
 * upgrade audited `safety.offboards (unset) → immediate` on every hub though nothing changed.
 */
const HUB_DEFAULTS: Record<string, Record<string, unknown>> = { safety: hubSafety.parse({}) };

/**
 * The view with its unordered lists in one order: hub SCIM tokens and partners, admin tokens and
 * the dashboard's allowed groups and emails are each a set (any listed token authenticates, any
 * listed group admits), so reordering them in the file is no change. Applied to a view recorded by
 * an earlier release too (agent/audit/config-change.ts), which kept them in file order and may
 * lack keys added since (filled with their defaults, HUB_DEFAULTS).
 */
export function withSortedSets(view: GovernanceView): GovernanceView {
  const hubs: GovernanceView['hubs'] = {};
  for (const [id, h] of Object.entries(view.hubs)) {
    const scim = h.scim as { tokens?: unknown[] } | undefined;
    const defaulted: Record<string, unknown> = {};
    for (const [key, defaults] of Object.entries(HUB_DEFAULTS)) if (isObject(h[key])) defaulted[key] = { ...defaults, ...h[key] };
    hubs[id] = { ...h, ...defaulted, ...(scim ? { scim: { ...scim, tokens: asSet(scim.tokens) } } : {}), partners: asSet(h.partners as unknown[] | undefined) };
  }
  const dashboard = view.administration.dashboard as { allowedGroups?: unknown[]; allowedEmails?: unknown[] } | undefined;
  return canonical({
    ...view,
    hubs,
    administration: {
      adminTokens: asSet(view.administration.adminTokens) ?? [],
      dashboard: dashboard ? { ...dashboard, allowedGroups: asSet(dashboard.allowedGroups), allowedEmails: asSet(dashboard.allowedEmails) } : undefined,
    },
  });
}

export function governanceView(file: ConfigFile): GovernanceView {
  const hubs: GovernanceView['hubs'] = {};
  for (const h of file.hubs) hubs[h.id] = hubView(h);
  const collections: GovernanceView['collections'] = {};
  for (const c of file.collections) collections[c.id] = { offerDays: c.offerDays };
  const oidc = file.server.oidc;
  return withSortedSets({
    hubs,
    collections,
    identityProviders: file.identityProviders,
    administration: {
      // A scoped token as its reference and hubs: a diff shows a scope widened or narrowed.
      adminTokens: file.server.adminTokens.map((e) => (typeof e === 'string' ? e : `${e.token} (hubs ${[...e.hubs].sort().join(', ')})`)),
      dashboard: oidc ? { issuer: oidc.issuer, clientId: oidc.clientId, allowedGroups: oidc.allowedGroups, allowedEmails: oidc.allowedEmails, groupsClaim: oidc.groupsClaim } : undefined,
    },
  });
}


function show(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ')}]`;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A grant as a person reads it: `<type> <id> (<field> <value>, …)`. */
function showGrant(g: unknown): string {
  if (!isObject(g)) return show(g);
  const fields = Object.entries(g).filter(([k]) => k !== 'type' && k !== 'id').map(([k, v]) => `${k} ${show(v)}`);
  return `${String(g.type)} ${String(g.id)}${fields.length ? ` (${fields.join(', ')})` : ''}`;
}

function showTeam(t: unknown): string {
  if (!isObject(t)) return show(t);
  const grants = isObject(t.assets) ? Object.keys(t.assets).length : 0;
  const parts = [`hubRole ${show(t.hubRole)}`, t.seat === false ? 'no seat' : `appRole ${show(t.appRole)}`, `${grants} asset grant(s)`];
  if (t.claim || t.collection) parts.push(t.collection ? `offered in collection ${show(t.collection)}` : 'claim');
  return parts.join(', ');
}

function showHub(h: unknown): string {
  if (!isObject(h)) return show(h);
  return `connector ${show(h.connector)}, ${isObject(h.teams) ? Object.keys(h.teams).length : 0} team(s)`;
}

/** The config keys the `administration` section is read from (governanceView): a change line names what the operator edits. */
const ADMINISTRATION_KEYS: Record<string, string> = { adminTokens: 'server.adminTokens', dashboard: 'server.oidc' };

/** Where a change is, as a person reads it: `hub sales, team "Sales Leads", grant <type> <id>: appRole`. */
function where(path: readonly string[], before: GovernanceView, after: GovernanceView): { place: string; rest: string[]; level: 'hub' | 'team' | 'grant' | 'other' } {
  if (path[0] === 'administration' && path[1] && ADMINISTRATION_KEYS[path[1]]) return { place: ADMINISTRATION_KEYS[path[1]]!, rest: path.slice(2), level: 'other' };
  if (path[0] !== 'hubs' || path.length < 2) return { place: path.slice(0, 2).join('.'), rest: path.slice(2), level: 'other' };
  const hub = `hub ${path[1]}`;
  if (path[2] !== 'teams' || path.length < 4) return { place: hub, rest: path.slice(2), level: 'hub' };
  const team = (after.hubs[path[1]!]?.teams as Record<string, { group?: string }> | undefined)?.[path[3]!] ?? (before.hubs[path[1]!]?.teams as Record<string, { group?: string }> | undefined)?.[path[3]!];
  const teamPlace = `${hub}, team "${team?.group ?? path[3]}"`;
  if (path[4] !== 'assets' || path.length < 6) return { place: teamPlace, rest: path.slice(4), level: 'team' };
  return { place: `${teamPlace}, grant ${path[5]}`, rest: path.slice(6), level: 'grant' };
}

/**
 * What changed from `before` to `after`, one readable line each: hubs, teams and grants added or
 * removed (with what they hold), and each value changed (`appRole X → Y`,
 * `safety.removalThresholdPercent 20 → 50`). `before` undefined: nothing was recorded, every hub
 * is listed as added.
 */
export function describeGovernanceChanges(before: GovernanceView | undefined, after: GovernanceView): string[] {
  const from = before ?? { hubs: {}, collections: {}, identityProviders: {}, administration: { adminTokens: [] } };
  const lines: string[] = [];
  const keys = (a: unknown, b: unknown) => [...new Set([...Object.keys(isObject(a) ? a : {}), ...Object.keys(isObject(b) ? b : {})])].sort();
  const walk = (a: unknown, b: unknown, path: string[]) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const { place, rest, level } = where(path, from, after);
    // A whole hub, team or grant that came or went is one line, with what it holds.
    if (rest.length === 0 && (a === undefined || b === undefined)) {
      const describe = level === 'team' ? showTeam : level === 'grant' ? showGrant : level === 'hub' ? showHub : show;
      lines.push(a === undefined ? `${place}: added (${describe(b)})` : `${place}: removed (was ${describe(a)})`);
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const k of keys(a, b)) walk(a[k], b[k], [...path, k]);
      return;
    }
    lines.push(`${place}: ${rest.length ? `${rest.join('.')} ` : ''}${show(a)} → ${show(b)}`);
  };
  for (const section of ['hubs', 'collections', 'identityProviders', 'administration'] as const) {
    for (const k of keys(from[section], after[section])) walk((from[section] as Record<string, unknown>)[k], (after[section] as Record<string, unknown>)[k], [section, k]);
  }
  return lines;
}
