/**
 * The members table of one hub (agent/api.ts `MemberView`): every app member, pending or failed
 * invite and partner's person, with its matching outcome computed live from the store (so a
 * directory user pushed a minute ago matches before the next check for updates), its assets and
 * the mapped groups that grant its access. Built in one pass over the hub's records: O(n), read
 * from the store asynchronously (a whole hub's rows: the table is sorted and counted as a whole).
 */
import { HUB_ROLES, type HubConfigFile } from '../../config/schema.ts';
import type { DirectoryStatus, MemberStatus, MemberView } from '../api.ts';
import '../dispatch/departed-user.ts';
import type { AppInviteRecord, AppMemberRecord, MemberMatchRecord, PartnerUserRecord } from '../app-state/records.ts';
import { matchHub, matchRows, rowsOf } from '../matching/hub-matching.ts';
import { emailKey } from '../matching/email-key.ts';
import { exemptionsInForce } from '../standing/exemption.ts';
import { inviteIdOf, inviteRowId, partnerRowId, rowKindOf } from '../standing/row-ids.ts';
import { rowStatus } from '../standing/standing.ts';
import { inviteStatusAt } from '../app-state/invite-status.ts';
import { collect, type ReadView } from '../store/store.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import { groupKey } from '../desired-state/directory-records.ts';
import { markOtherSeats } from './other-seats.ts';

export interface HubMembers {
  views: MemberView[];
  /** Earliest future exemption expiry (epoch ms): the views are stale from then on. */
  validUntil: number;
}

/** A row's status in the members view (agent/standing decides it). */
export function statusOf(outcome: MemberMatchRecord['outcome'], kind: MemberView['kind'], invitePending = true): MemberStatus {
  return rowStatus(outcome, kind, invitePending);
}

/** Directory user id → mapped groups they are in (the teams that grant them access on this hub). */
async function mappedGroupsByUser(view: ReadView, hub: HubConfigFile): Promise<Map<string, Array<{ group: string; hubRole: string }>>> {
  const teams = new Map(hub.teams.map((t) => [groupKey(t.group), t]));
  const byUser = new Map<string, Array<{ group: string; hubRole: string }>>();
  for await (const group of view.list('directoryGroups', hub.id)) {
    const team = teams.get(groupKey(group.displayName));
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

/**
 * Where each matched directory user stands in the IdP, and the emails of those the IdP deleted
 * while a seat of theirs remains (`departedUsers`, kept by the dispatcher until the plan finds no
 * seat for them). One `getMany` of the matched users (O(rows), not O(directory)) and the hub's
 * few departed users: the rebuild stays as cheap as before. Without this, a deactivated,
 * suspended or deleted person's row looked like anyone's (`grantedBy` still listed their groups)
 * until the seat went, and an owner could not see why its removal was pending.
 */
async function directoryStatuses(view: ReadView, hubId: string, matches: readonly MemberMatchRecord[]): Promise<{ byUser: Map<string, DirectoryStatus>; deletedEmails: Set<string> }> {
  const ids = [...new Set(matches.flatMap((m) => (m.directoryUserId ? [m.directoryUserId] : [])))];
  const users = ids.length > 0 ? await view.getMany('directoryUsers', hubId, ids) : [];
  const byUser = new Map<string, DirectoryStatus>();
  ids.forEach((id, i) => {
    const u = users[i];
    // Deactivation outranks a suspension still marked on the record (Okta can deactivate a suspended user).
    byUser.set(id, !u ? 'deleted' : !u.active ? 'deactivated' : u.offboarded ? 'offboarded' : u.suspended ? 'suspended' : 'active');
  });
  const deletedEmails = new Set<string>();
  for await (const d of view.list('departedUsers', hubId)) for (const e of d.emails) deletedEmails.add(emailKey(e));
  return { byUser, deletedEmails };
}

interface RowRecords {
  members: Array<Readonly<AppMemberRecord>>;
  invites: Array<Readonly<AppInviteRecord>>;
  partnerUsers: Array<Readonly<PartnerUserRecord>>;
}

/** The records behind the hub's rows: every one, or only those of the row ids in `only` (read one by one; also agent/members/seat-holders.ts). */
export async function rowRecords(view: ReadView, hubId: string, only?: ReadonlySet<string>): Promise<RowRecords> {
  if (!only) {
    return { members: await collect(view.list('appMembers', hubId)), invites: await collect(view.list('appInvites', hubId)), partnerUsers: await collect(view.list('partnerUsers', hubId)) };
  }
  const out: RowRecords = { members: [], invites: [], partnerUsers: [] };
  for (const id of only) {
    const kind = rowKindOf(id);
    if (kind === 'invite') {
      const invite = await view.get('appInvites', hubId, inviteIdOf(id)!);
      if (invite) out.invites.push(invite);
    } else if (kind === 'partner-user') {
      const user = await view.get('partnerUsers', hubId, id.slice('partner:'.length));
      if (user) out.partnerUsers.push(user);
    } else {
      const member = await view.get('appMembers', hubId, id);
      if (member) out.members.push(member);
    }
  }
  return out;
}

/**
 * The views of the hub's rows, or of the rows in `only` (after an owner's decision about one
 * member, the rest of the table is unchanged: patching beats rebuilding 10,000 rows). The rows and
 * the records they show are read once, together, so a row never lacks its record.
 */
export async function buildHubMembers(view: ReadView, hub: HubConfigFile, now: Date, only?: ReadonlySet<string>): Promise<HubMembers> {
  const hubId = hub.id;
  const nowIso = now.toISOString();
  const records = await rowRecords(view, hubId, only);
  const rows = rowsOf(records);
  // A few rows: matched reading only what they need (needs the directory indexes, see MembersIndex).
  const { matches } = only ? await matchRows(view, hubId, nowIso, rows) : await matchHub(view, hubId, nowIso, rows);
  const groups = await mappedGroupsByUser(view, hub);
  const directory = await directoryStatuses(view, hubId, matches);
  const defaultHubRole = hub.defaultTeam?.hubRole;
  const rules = roleRulesOfHub(hub);
  // An admin of an app whose admins reach every asset holds more than its assignments say.
  const allAssets = (role: string) => (rules.adminReachesAllAssets && rules.isAdmin(role) ? { reachesAllAssets: true as const } : {});

  const assetsByUser = new Map<string, MemberView['assets']>();
  for await (const a of view.list('appAssignments', hubId)) {
    if (a.userType !== 'member' || (only && !only.has(a.userId))) continue;
    const list = assetsByUser.get(a.userId) ?? [];
    list.push({ type: a.asset.type, id: a.asset.id, tasks: [...a.tasks] });
    assetsByUser.set(a.userId, list);
  }

  const inForce = await exemptionsInForce(view, hubId, now);
  // Also the earliest expiry of a pending invite (below): past it, the row is lapsed.
  let validUntil = inForce.validUntil;
  const exemptions = new Map<string, MemberView['exemption']>();
  for (const e of inForce.byRow.values()) exemptions.set(e.memberId, { reason: e.reason, by: e.by, at: e.at, ...(e.until ? { until: e.until } : {}) });

  const members = new Map<string, Readonly<AppMemberRecord>>();
  for (const m of records.members) members.set(m.id, m);
  const invites = new Map<string, Readonly<AppInviteRecord>>();
  for (const inv of records.invites) invites.set(inviteRowId(inv.id), inv);
  const partnerPeople = new Map<string, Readonly<PartnerUserRecord>>();
  for (const u of records.partnerUsers) partnerPeople.set(partnerRowId(u.partnerBusinessId, u.userId), u);
  const partnerNames = new Map<string, string | undefined>();
  for await (const p of view.list('appPartners', hubId)) partnerNames.set(p.businessId, p.name);
  const lastImport = await view.get('appImports', hubId, hubId);
  const partnerProblems = lastImport?.unavailable?.filter((u) => u.section === 'partners') ?? [];
  // A check rewrites a row only when it changed (snapshot.ts unlessUnchanged): a row in a complete
  // snapshot was last seen by the import that made it, or later if the agent wrote it since.
  const seen = lastImport?.complete && lastImport.completedAt ? lastImport.completedAt : '';
  const lastSeen = (at: string) => (seen > at ? seen : at);
  /** Why a partner's people may be out of date: the partner listing, or that partner's own read, failed. */
  const partnerUnavailable = (partnerBusinessId: string) => {
    const why = partnerProblems.find((p) => p.partnerBusinessId === undefined || p.partnerBusinessId === partnerBusinessId);
    return why ? `partner data unavailable: ${why.message}` : undefined;
  };

  const views = rows.map((row, i): MemberView => {
    const match = matches[i];
    let v: MemberView;
    if (row.kind === 'member') {
      const m = members.get(row.id)!;
      v = strip({ hubId, id: row.id, kind: 'member', status: statusOf(match.outcome, 'member'), email: m.email, name: m.name, appRole: m.role, assets: assetsByUser.get(m.id) ?? [], ...allAssets(m.role), ...(m.removalPending ? { removalPending: true as const } : {}), lastSeenAt: lastSeen(m.lastSeenAt), grantedBy: [] });
    } else if (row.kind === 'invite') {
      const inv = invites.get(row.id)!;
      // Pending at `now` by the expiry hubwarden knows (invite-status.ts): one past it is lapsed, no seat.
      const pending = inviteStatusAt(inv, nowIso) === 'pending';
      if (pending && inv.expiresAt && Date.parse(inv.expiresAt) < validUntil) validUntil = Date.parse(inv.expiresAt);
      v = strip({ hubId, id: row.id, kind: 'invite', status: statusOf(match.outcome, 'invite', pending), email: inv.email, appRole: inv.role, assets: [], lastSeenAt: lastSeen(inv.lastSeenAt), grantedBy: [] });
    } else {
      const u = partnerPeople.get(row.id)!;
      v = strip({
        hubId, id: row.id, kind: 'partner-user', status: statusOf(match.outcome, 'partner-user'), email: u.email, name: u.name, partnerBusinessId: u.partnerBusinessId, partnerBusinessName: partnerNames.get(u.partnerBusinessId),
        assets: u.assignments.map((a) => ({ type: a.asset.type, id: a.asset.id, tasks: [...a.tasks] })), grantedBy: [],
        unavailable: partnerUnavailable(u.partnerBusinessId),
      });
    }
    const teams = match.directoryUserId ? groups.get(match.directoryUserId) ?? [] : [];
    v.grantedBy = teams.map((t) => t.group);
    const hubRole = match.hubRole ?? highestHubRole(teams) ?? (match.directoryUserId && match.outcome !== 'unmatched' ? defaultHubRole : undefined);
    if (hubRole) v.hubRole = hubRole;
    if (match.directoryUserId) {
      v.directoryUserId = match.directoryUserId;
      v.directoryStatus = directory.byUser.get(match.directoryUserId);
    } else if (row.kind !== 'partner-user' && v.email && directory.deletedEmails.has(emailKey(v.email))) {
      v.directoryStatus = 'deleted';
    }
    if (match.candidates) v.candidates = match.candidates;
    if (match.reason) v.matchReason = match.reason;
    const exemption = exemptions.get(row.id);
    if (exemption && match.outcome === 'exempted') v.exemption = exemption;
    return v;
  });
  // The whole hub: who holds two seats is known here (a patch of a few rows: MembersIndex re-marks them).
  if (!only) markOtherSeats(views);
  return { views, validUntil };
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
