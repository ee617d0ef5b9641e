/**
 * The members table of one hub (agent/api.ts `MemberView`): every app member, pending or failed
 * invite and partner's person, with its matching outcome computed live from the store (so a
 * directory user pushed a minute ago matches before the next check for updates), its assets and
 * the mapped groups that grant its access. Built in one pass over the hub's records: O(n).
 */
import { HUB_ROLES, type HubConfigFile } from '../../config/schema.ts';
import type { MemberStatus, MemberView } from '../api.ts';
import type { MemberMatchRecord } from '../app-state/records.ts';
import { matchHub, memberRows } from '../matching/hub-matching.ts';
import { exemptionLapsed } from '../matching/match-members.ts';
import type { ReadView } from '../store/store.ts';

export interface HubMembers {
  views: MemberView[];
  /** Earliest future exemption expiry (epoch ms): the views are stale from then on. */
  validUntil: number;
}

export function statusOf(outcome: MemberMatchRecord['outcome'], kind: MemberView['kind']): MemberStatus {
  return outcome === 'onboarded' && kind === 'invite' ? 'invited' : outcome;
}

/** Directory user id → mapped groups they are in (the teams that grant them access on this hub). */
function mappedGroupsByUser(view: ReadView, hub: HubConfigFile): Map<string, Array<{ group: string; hubRole: string }>> {
  const teams = new Map(hub.teams.map((t) => [t.group.toLowerCase(), t]));
  const byUser = new Map<string, Array<{ group: string; hubRole: string }>>();
  for (const group of view.list('directoryGroups', hub.id)) {
    const team = teams.get(group.displayName.toLowerCase());
    if (!team) continue;
    for (const m of group.members) {
      const list = byUser.get(m.value) ?? [];
      list.push({ group: group.displayName, hubRole: team.hubRole });
      byUser.set(m.value, list);
    }
  }
  return byUser;
}

/** The highest hub role among the user's teams (owner > manager > collaborator). */
function highestHubRole(teams: Array<{ hubRole: string }>): string | undefined {
  let best: string | undefined;
  for (const t of teams) if (best === undefined || HUB_ROLES.indexOf(t.hubRole as never) < HUB_ROLES.indexOf(best as never)) best = t.hubRole;
  return best;
}

export function buildHubMembers(view: ReadView, hub: HubConfigFile, now: Date): HubMembers {
  const hubId = hub.id;
  const nowIso = now.toISOString();
  const rows = memberRows(view, hubId);
  const { matches } = matchHub(view, hubId, nowIso, rows);
  const groups = mappedGroupsByUser(view, hub);
  const defaultHubRole = hub.defaultTeam?.hubRole;

  const assetsByUser = new Map<string, MemberView['assets']>();
  for (const a of view.list('appAssignments', hubId)) {
    if (a.userType !== 'member') continue;
    const list = assetsByUser.get(a.userId) ?? [];
    list.push({ type: a.asset.type, id: a.asset.id, tasks: [...a.tasks] });
    assetsByUser.set(a.userId, list);
  }

  let validUntil = Number.POSITIVE_INFINITY;
  const exemptions = new Map<string, MemberView['exemption']>();
  for (const e of view.list('exemptions', hubId)) {
    if (exemptionLapsed(e, nowIso)) continue;
    if (e.until) validUntil = Math.min(validUntil, Date.parse(e.until));
    exemptions.set(e.memberId, { reason: e.reason, by: e.by, at: e.at, ...(e.until ? { until: e.until } : {}) });
  }

  const views: MemberView[] = [];
  let i = 0;
  const add = (base: Omit<MemberView, 'status' | 'grantedBy' | 'hubId'>, match: MemberMatchRecord) => {
    const teams = match.directoryUserId ? groups.get(match.directoryUserId) ?? [] : [];
    const hubRole = match.hubRole ?? highestHubRole(teams) ?? (match.directoryUserId && match.outcome !== 'unmatched' ? defaultHubRole : undefined);
    const v: MemberView = { hubId, ...base, status: statusOf(match.outcome, base.kind), grantedBy: teams.map((t) => t.group) };
    if (hubRole) v.hubRole = hubRole;
    if (match.directoryUserId) v.directoryUserId = match.directoryUserId;
    if (match.candidates) v.candidates = match.candidates;
    const exemption = exemptions.get(base.id);
    if (exemption && match.outcome === 'exempted') v.exemption = exemption;
    views.push(v);
  };
  // Rows come in the order memberRows built them: members, invites, partner people.
  for (const m of view.list('appMembers', hubId)) {
    add(strip({ id: m.id, kind: 'member', email: m.email, name: m.name, appRole: m.role, assets: assetsByUser.get(m.id) ?? [], lastSeenAt: m.lastSeenAt }), matches[i++]);
  }
  for (const inv of view.list('appInvites', hubId)) {
    if (rows[i]?.id !== `invite:${inv.id}`) continue; // accepted or cancelled invites have no row
    add(strip({ id: rows[i].id, kind: 'invite', email: inv.email, appRole: inv.role, assets: [], lastSeenAt: inv.lastSeenAt }), matches[i++]);
  }
  for (const u of view.list('partnerUsers', hubId)) {
    add(strip({
      id: rows[i].id, kind: 'partner-user', email: u.email, name: u.name, partnerBusinessId: u.partnerBusinessId,
      assets: u.assignments.map((a) => ({ type: a.asset.type, id: a.asset.id, tasks: [...a.tasks] })),
    }), matches[i++]);
  }
  return { views, validUntil };
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
