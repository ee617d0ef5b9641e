import type { AssetType } from '../sdk/hub-model.ts';

/**
 * Meta's business roles and the asset task bundles Meta accepts. The agent computes a person's
 * effective grant from all their teams with these (: the highest role
 * wins; asset tasks are unioned within Meta's allowed bundles). Pure, no I/O.
 */

/**
 * Business roles ranked, highest first (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user lists the values, not an order).
 * Decision: ADMIN controls everything (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users). The finance and developer roles are add-ons on top of
 * the employee's base access, so they rank between ADMIN and EMPLOYEE, ordered by what they can
 * change: FINANCE_EDITOR edits payment methods and invoices (money) > FINANCE_ANALYST reads them
 * > DEVELOPER manages the business's apps > ADS_RIGHTS_REVIEWER reviews ads-rights claims >
 * EMPLOYEE (base access) > DEFAULT. Unknown roles rank below every known one.
 * Note: config/schema.ts APP_ROLES lists EMPLOYEE second; this table is the one the planner uses.
 */
export const ROLE_RANK = ['ADMIN', 'FINANCE_EDITOR', 'FINANCE_ANALYST', 'DEVELOPER', 'ADS_RIGHTS_REVIEWER', 'EMPLOYEE', 'DEFAULT'] as const;

function roleWeight(role: string): number {
  const i = (ROLE_RANK as readonly string[]).indexOf(role.toUpperCase());
  return i === -1 ? -1 : ROLE_RANK.length - i;
}

/** > 0 when `a` outranks `b`, < 0 when `b` outranks `a`, 0 when equal (or both unknown). */
export function compareRoles(a: string, b: string): number {
  return roleWeight(a) - roleWeight(b);
}

/** The highest of several roles (the weighted rule: the highest wins). */
export function highestRole(roles: string[]): string | undefined {
  return roles.reduce<string | undefined>((best, r) => (best === undefined || compareRoles(r, best) > 0 ? r : best), undefined);
}

export interface TaskBundle {
  /** Meta's name for the role this bundle stands for (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users, https://developers.facebook.com/docs/marketing-api/business-manager/system-user/permissions). */
  name: string;
  tasks: readonly string[];
}

export interface AssetTaskRules {
  /** Supported bundles, smallest first; each contains the ones before it. */
  bundles: readonly TaskBundle[];
  /**
   * For an asset type Meta documents tasks but no combinations of: any non-empty set of these
   * (the API spec's enum) is sent as asked, and Graph's answer decides (100/1752129 is
   * invalid-argument naming `tasks`, graph-errors.ts). `bundles` and `extras` are then empty.
   */
  anyOf?: readonly string[];
  /** Tasks that may be added to any bundle without making it unsupported. */
  extras: readonly string[];
  /** An extra that is a role on its own (page DRAFT = CREATIVE_HUB_MOCKUPS_MANAGER). */
  standalone?: { name: string; task: string };
}

/**
 * Ad account: https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users, assigned_users doc. Exactly {ANALYZE}, {ADVERTISE,ANALYZE},
 * {MANAGE,ADVERTISE,ANALYZE}, with DRAFT / AA_ANALYZE as optional extras; anything else is
 * 100/1752129 "This Task Combination Is Not Supported" (e.g. [MANAGE] alone).
 */
const AD_ACCOUNT: AssetTaskRules = {
  bundles: [
    { name: 'ANALYST', tasks: ['ANALYZE'] },
    { name: 'ADVERTISER', tasks: ['ADVERTISE', 'ANALYZE'] },
    { name: 'ADMIN', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] },
  ],
  extras: ['DRAFT', 'AA_ANALYZE'],
};

/**
 * Page: the role→task mapping in https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users (Page roles). DRAFT is optional on top of each
 * role, because Meta's own system-user guide assigns the five classic tasks without it (https://developers.facebook.com/docs/graph-api/reference/page), and
 * DRAFT alone is CREATIVE_HUB_MOCKUPS_MANAGER. The other https://developers.facebook.com/docs/graph-api/reference/page values (MESSAGING, MANAGE_LEADS, …)
 * ride on a role as extras. Same rule as the emulator (emulator/task-bundles.ts).
 */
const PAGE_EXTRAS = [
  'DRAFT', 'CASHIER_ROLE', 'GLOBAL_STRUCTURE_MANAGEMENT', 'MANAGE_JOBS', 'MANAGE_LEADS', 'MESSAGING', 'MODERATE_COMMUNITY',
  'PAGES_MESSAGING', 'PAGES_MESSAGING_SUBSCRIPTIONS', 'PROFILE_PLUS_ADVERTISE', 'PROFILE_PLUS_ANALYZE', 'PROFILE_PLUS_CREATE_CONTENT',
  'PROFILE_PLUS_FACEBOOK_ACCESS', 'PROFILE_PLUS_FULL_CONTROL', 'PROFILE_PLUS_GLOBAL_STRUCTURE_MANAGEMENT', 'PROFILE_PLUS_MANAGE',
  'PROFILE_PLUS_MANAGE_LEADS', 'PROFILE_PLUS_MESSAGING', 'PROFILE_PLUS_MODERATE', 'PROFILE_PLUS_MODERATE_DELEGATE_COMMUNITY',
  'PROFILE_PLUS_REVENUE', 'READ_PAGE_MAILBOXES', 'VIEW_MONETIZATION_INSIGHTS',
];
const PAGE: AssetTaskRules = {
  bundles: [
    { name: 'INSIGHTS_ANALYST', tasks: ['ANALYZE'] },
    { name: 'ADVERTISER', tasks: ['ADVERTISE', 'ANALYZE'] },
    { name: 'MODERATOR', tasks: ['MODERATE', 'ADVERTISE', 'ANALYZE'] },
    { name: 'CONTENT_CREATOR', tasks: ['CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE'] },
    { name: 'MANAGER', tasks: ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE'] },
  ],
  extras: PAGE_EXTRAS,
  standalone: { name: 'CREATIVE_HUB_MOCKUPS_MANAGER', task: 'DRAFT' },
};

/**
 * Catalog and pixel: Meta's API spec gives their `assigned_users` tasks (ProductCatalog.json:
 * MANAGE, ADVERTISE, MANAGE_AR, AA_ANALYZE; AdsPixel.json: AA_ANALYZE, ADVERTISE, ANALYZE, EDIT,
 * UPLOAD, https://github.com/facebook/facebook-business-sdk-codegen/tree/ad2b0b6fdfbe4d73ed0754cb4562ef20b72b40d4/api_specs/specs)
 * and documents no combinations of them (only ad-account and Page bundles are on the
 * assigned_users page). So none is invented here: any non-empty set of the enum is accepted and
 * sent as asked, and teams' tasks combine by plain union. Bundles made up for them refused a
 * catalog [MANAGE] or a pixel [EDIT] at config load, before Graph was asked.
 */
const CATALOG: AssetTaskRules = { bundles: [], extras: [], anyOf: ['MANAGE', 'ADVERTISE', 'MANAGE_AR', 'AA_ANALYZE'] };
const PIXEL: AssetTaskRules = { bundles: [], extras: [], anyOf: ['EDIT', 'ADVERTISE', 'ANALYZE', 'UPLOAD', 'AA_ANALYZE'] };

/**
 * The `permitted_tasks` a partner share (`POST /{asset}/agencies`) may carry: the agencies enums of
 * Meta's API spec (enum_types.json `adaccountagencies_permitted_tasks_enum_param`,
 * `pageagencies_permitted_tasks_enum_param`, ProductCatalog.json, AdsPixel.json). They are the
 * assigned_users tasks except that a Page's has no DRAFT (DRAFT shows only in the Page role bundles
 * of the assigned_users page) and a pixel's no AA_ANALYZE.
 */
export const SHARE_TASKS: Record<AssetType, readonly string[]> = {
  ad_account: [...AD_ACCOUNT.bundles[2].tasks, ...AD_ACCOUNT.extras],
  page: [...PAGE.bundles[4].tasks, ...PAGE_EXTRAS.filter((t) => t !== 'DRAFT')],
  catalog: CATALOG.anyOf!,
  pixel: ['ADVERTISE', 'ANALYZE', 'EDIT', 'UPLOAD'],
};

export const TASK_RULES: Record<AssetType, AssetTaskRules> = {
  ad_account: AD_ACCOUNT,
  page: PAGE,
  catalog: CATALOG,
  pixel: PIXEL,
};

function normalise(tasks: readonly string[]): Set<string> {
  return new Set(tasks.map((t) => t.trim().toUpperCase()));
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** Is `tasks` one Meta accepts on this asset type (one bundle, plus allowed extras)? */
export function isSupportedTaskSet(type: AssetType, tasks: readonly string[]): boolean {
  const rules = TASK_RULES[type];
  if (!rules) return false;
  const all = normalise(tasks);
  if (rules.anyOf) return all.size > 0 && [...all].every((t) => rules.anyOf!.includes(t));
  const core = new Set([...all].filter((t) => !rules.extras.includes(t)));
  if (core.size === 0) return rules.standalone !== undefined && all.has(rules.standalone.task) && all.size >= 1 && [...all].every((t) => rules.extras.includes(t));
  return rules.bundles.some((b) => sameSet(core, normalise(b.tasks)));
}

/** The order tasks are sent and shown in: bundle order, then extras (stable, comparable). */
function ordered(rules: AssetTaskRules, bundle: TaskBundle | undefined, extras: Set<string>): string[] {
  const out = bundle ? [...bundle.tasks] : [];
  for (const e of rules.extras) if (extras.has(e)) out.push(e);
  return out;
}

/**
 * The smallest supported bundle covering every task in `bundles` (weighted union: since each
 * asset type's bundles are nested, this is the highest bundle asked for), plus any extras asked
 * for. Throws when no supported bundle covers them (an unknown task, or e.g. a page MESSAGING task).
 */
export function unionTasks(type: AssetType, bundles: readonly (readonly string[])[]): string[] {
  const rules = TASK_RULES[type];
  if (!rules) throw new Error(`meta-business: unknown asset type "${type}"`);
  const all = normalise(bundles.flat());
  if (all.size === 0) return [];
  if (rules.anyOf) {
    const unknown = [...all].filter((t) => !rules.anyOf!.includes(t));
    if (unknown.length > 0) throw new Error(`meta-business: no supported ${type} task set covers [${[...all].join(', ')}] (unknown task ${unknown.join(', ')})`);
    return rules.anyOf.filter((t) => all.has(t));
  }
  const extras = new Set([...all].filter((t) => rules.extras.includes(t)));
  const core = [...all].filter((t) => !rules.extras.includes(t));
  if (core.length === 0) {
    // Only extras asked for: a standalone extra (page DRAFT) is a role by itself; otherwise they
    // need a base bundle to ride on, the smallest.
    if (rules.standalone && extras.has(rules.standalone.task)) return ordered(rules, undefined, extras);
    return ordered(rules, rules.bundles[0], extras);
  }
  const covering = rules.bundles.find((b) => core.every((t) => b.tasks.includes(t)));
  if (!covering) {
    const unknown = core.filter((t) => !rules.bundles.some((b) => b.tasks.includes(t)));
    throw new Error(
      `meta-business: no supported ${type} task bundle covers [${core.join(', ')}]` +
        (unknown.length > 0 ? ` (unknown task ${unknown.join(', ')})` : ''),
    );
  }
  return ordered(rules, covering, extras);
}

/** The Meta role name of a supported task set (`ADVERTISER`), for messages and the UI. */
export function bundleName(type: AssetType, tasks: readonly string[]): string | undefined {
  const rules = TASK_RULES[type];
  if (!rules || !isSupportedTaskSet(type, tasks)) return undefined;
  const core = new Set([...normalise(tasks)].filter((t) => !rules.extras.includes(t)));
  if (core.size === 0) return rules.standalone?.name;
  return rules.bundles.find((b) => sameSet(core, normalise(b.tasks)))?.name;
}
