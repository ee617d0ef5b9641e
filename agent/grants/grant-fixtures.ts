/** Shared test fixtures: the README's example hub (Meta Advertisers, Meta Admins) and its users. */
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { roleRulesOfHub } from './role-rules.ts';

export function testHub(extra: Partial<Record<string, unknown>> = {}): HubConfigFile {
  return configSchema.parse({
    hubs: [{
      id: 'meta-main', connector: 'meta-business', meta: { businessId: '1234567890' },
      teams: [
        { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
        { group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }] },
        { group: 'Meta Analysts', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ANALYZE', 'DRAFT'] }, { type: 'page', id: '222', tasks: ['ANALYZE', 'DRAFT'] }] },
        { group: 'Finance', appRole: 'FINANCE_ANALYST', assets: [] },
      ],
      ...extra,
    }],
  }).hubs[0]!;
}

export function testUser(id: string, email: string, active = true): DirectoryUserRecord {
  return { hubId: 'meta-main', id, userName: email, active, email, emails: [email], scim: {}, created: '2026-01-01T00:00:00Z', lastModified: '2026-01-01T00:00:00Z', version: 1 };
}

/** The test hub's rules (its connector definition's roles and asset types). */
export const TEST_RULES = roleRulesOfHub({ id: 'meta-main', connector: 'meta-business' });

/** A seat of the test hub: app member `id` holding `role`, seen at `at`. */
export function testSeat(id: string, email: string, role: string, at: string) {
  return { hubId: 'meta-main', id, email, role, firstSeenAt: at, lastSeenAt: at };
}

/** A directory group of the test hub with these users as members. */
export function testGroup(id: string, displayName: string, userIds: readonly string[], at: string) {
  return { hubId: 'meta-main', id, displayName, members: userIds.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 };
}

/** The test hub's record of a complete check for updates at `at` (removals are judged only after one). */
export function completeImport(at: string) {
  return { hubId: 'meta-main', id: 'meta-main', complete: true, completedAt: at };
}
