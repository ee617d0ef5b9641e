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
