/**
 * Which asset task sets Meta accepts (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users–https://developers.facebook.com/docs/marketing-api/business-manager/system-user/permissions). Unknown task names are 100 (bad enum);
 * a set that is not a supported combination is 100/1752129 "This Task Combination Is Not Supported".
 */
import { invalidParameter, taskCombinationNotSupported } from './graph-error.ts';
import type { AssetType } from './model.ts';

/** SPEC enums per asset (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users, https://developers.facebook.com/docs/graph-api/reference/page, https://developers.facebook.com/docs/marketing-api/business-manager/system-user/permissions). */
export const ASSET_TASKS: Record<AssetType, readonly string[]> = {
  ad_account: ['MANAGE', 'ADVERTISE', 'ANALYZE', 'DRAFT', 'AA_ANALYZE'],
  page: [
    'ADVERTISE', 'ANALYZE', 'CASHIER_ROLE', 'CREATE_CONTENT', 'GLOBAL_STRUCTURE_MANAGEMENT', 'MANAGE', 'MANAGE_JOBS',
    'MANAGE_LEADS', 'MESSAGING', 'MODERATE', 'MODERATE_COMMUNITY', 'PAGES_MESSAGING', 'PAGES_MESSAGING_SUBSCRIPTIONS',
    'PROFILE_PLUS_ADVERTISE', 'PROFILE_PLUS_ANALYZE', 'PROFILE_PLUS_CREATE_CONTENT', 'PROFILE_PLUS_FACEBOOK_ACCESS',
    'PROFILE_PLUS_FULL_CONTROL', 'PROFILE_PLUS_GLOBAL_STRUCTURE_MANAGEMENT', 'PROFILE_PLUS_MANAGE', 'PROFILE_PLUS_MANAGE_LEADS',
    'PROFILE_PLUS_MESSAGING', 'PROFILE_PLUS_MODERATE', 'PROFILE_PLUS_MODERATE_DELEGATE_COMMUNITY', 'PROFILE_PLUS_REVENUE',
    'READ_PAGE_MAILBOXES', 'VIEW_MONETIZATION_INSIGHTS',
    // DRAFT is not in the SPEC enum but is in every Page role bundle of https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users.
    'DRAFT',
  ],
  catalog: ['MANAGE', 'ADVERTISE', 'MANAGE_AR', 'AA_ANALYZE'],
  pixel: ['AA_ANALYZE', 'ADVERTISE', 'ANALYZE', 'EDIT', 'UPLOAD'],
};

/** Pixel agencies.permitted_tasks lacks AA_ANALYZE (https://developers.facebook.com/docs/marketing-api/business-manager/system-user/permissions). */
export const PIXEL_PARTNER_TASKS = ['ADVERTISE', 'ANALYZE', 'EDIT', 'UPLOAD'];

/**
 * `permitted_tasks` of `POST /{asset}/agencies`, the API spec's agencies enums
 * (https://github.com/facebook/facebook-business-sdk-codegen/blob/ad2b0b6fdfbe4d73ed0754cb4562ef20b72b40d4/api_specs/specs/enum_types.json):
 * the assigned_users values, except that a Page's enum has no DRAFT (DRAFT is only in the Page
 * role bundles of the assigned_users page, which says nothing of sharing) and a pixel's no AA_ANALYZE.
 */
export const PARTNER_TASKS: Record<AssetType, readonly string[]> = {
  ad_account: ASSET_TASKS.ad_account,
  page: ASSET_TASKS.page.filter((t) => t !== 'DRAFT'),
  catalog: ASSET_TASKS.catalog,
  pixel: PIXEL_PARTNER_TASKS,
};

interface BundleRule {
  /** the core task sets; exactly one must match */
  cores: string[][];
  /** tasks allowed on top of any core */
  extras: string[];
}

const PAGE_CORE = ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE', 'DRAFT'];
const PAGE_ROLES = [
  ['MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE'],
  ['CREATE_CONTENT', 'MODERATE', 'ADVERTISE', 'ANALYZE'],
  ['MODERATE', 'ADVERTISE', 'ANALYZE'],
  ['ADVERTISE', 'ANALYZE'],
  ['ANALYZE'],
];

/**
 * Ad accounts: Admin / General user / Analyst, with DRAFT and AA_ANALYZE as extras (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users [INF]).
 * Pages: the role mapping of https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users (MANAGER … CREATIVE_HUB_MOCKUPS_MANAGER); DRAFT is optional
 * because Meta's own system-user guide assigns the five classic tasks without it, and the other
 * https://developers.facebook.com/docs/graph-api/reference/page values (MESSAGING, …) are extras. Catalogs and pixels have no documented bundles; [INF]
 * pixel {ANALYZE} / {ADVERTISE, ANALYZE} / {EDIT, ADVERTISE, ANALYZE}. Catalog: the only documented
 * catalog roles are ADMIN and ADVERTISER (`permitted_roles`,
 * https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business),
 * so the strict reading is one task set per role, {ADVERTISE} and {MANAGE, ADVERTISE}: [MANAGE] alone
 * is no documented role and is refused like ad-account [MANAGE] alone (100/1752129). The catalog
 * and pixel sets are this emulator's strict choice only: the connector sends any set of their
 * tasks and lets Graph decide (../task-bundles.ts), so a Graph that takes them is not hidden.
 */
const RULES: Record<AssetType, BundleRule> = {
  ad_account: {
    cores: [['ANALYZE'], ['ADVERTISE', 'ANALYZE'], ['MANAGE', 'ADVERTISE', 'ANALYZE']],
    extras: ['DRAFT', 'AA_ANALYZE'],
  },
  page: {
    cores: [...PAGE_ROLES, ...PAGE_ROLES.map((r) => [...r, 'DRAFT']), ['DRAFT']],
    extras: ASSET_TASKS.page.filter((t) => !PAGE_CORE.includes(t)),
  },
  catalog: { cores: [['ADVERTISE'], ['MANAGE', 'ADVERTISE']], extras: ['MANAGE_AR', 'AA_ANALYZE'] },
  pixel: { cores: [['ANALYZE'], ['ADVERTISE', 'ANALYZE'], ['EDIT', 'ADVERTISE', 'ANALYZE']], extras: ['UPLOAD', 'AA_ANALYZE'] },
};

/** Enum check: 100 "Param tasks[i] must be one of {…}". Returns the tasks, de-duplicated. */
export function checkTaskNames(tasks: string[], allowed: readonly string[], param = 'tasks'): string[] {
  tasks.forEach((t, i) => {
    if (!allowed.includes(t)) throw invalidParameter(`Param ${param}[${i}] must be one of {${allowed.join(', ')}} - got "${t}"`);
  });
  return [...new Set(tasks)];
}

export function checkTaskBundle(type: AssetType, tasks: string[]): string[] {
  const unique = checkTaskNames(tasks, ASSET_TASKS[type]);
  const rule = RULES[type];
  const core = unique.filter((t) => !rule.extras.includes(t));
  const matches = rule.cores.some((c) => c.length === core.length && c.every((t) => core.includes(t)));
  if (!matches) throw taskCombinationNotSupported();
  return unique;
}
