/**
 * What a check for updates found changed in the app since the last complete snapshot (issue
 * "Check for updates", item 3). Pure: previous snapshot + new snapshot → changes.
 *
 * Why a diff against the snapshot is the right drift signal: the agent updates the snapshot after
 * every change it makes itself, so whatever differs now was done by someone else in the app (a
 * role changed by hand in Meta, an asset task removed, a person invited by hand). The agent's
 * plan then corrects or reports it according to the hub's `safety.drift` policy.
 */
import type { AppInviteRecord, AppMemberRecord } from '../app-state/records.ts';
import type { AssetRef } from '../../connectors/sdk/hub-model.ts';
import { partnerKey, type HubSnapshot } from './snapshot.ts';
import { emailKey } from '../matching/email-key.ts';

export type DriftKind = 'role-changed' | 'tasks-removed' | 'tasks-added' | 'member-added-by-hand' | 'invited-by-hand' | 'invite-canceled-in-app';

export interface Drift {
  kind: DriftKind;
  memberId?: string;
  inviteId?: string;
  email?: string;
  /** The asset whose tasks changed (`tasks-removed`, `tasks-added`). */
  asset?: AssetRef;
  /** Human sentence: who, what, which. */
  detail: string;
}

export interface CheckChanges {
  /** False on a hub's first complete import: everything is new, so nothing is reported as change. */
  compared: boolean;
  newMembers: Array<{ memberId: string; email?: string; role: string }>;
  removedMembers: Array<{ memberId: string; email?: string; role: string }>;
  roleChanges: Array<{ memberId: string; email?: string; from: string; to: string }>;
  acceptedInvites: Array<{ memberId: string; inviteId: string; email?: string }>;
  expiredInvites: Array<{ inviteId: string; email: string; sentByHubwarden: boolean; resendCount: number }>;
  declinedInvites: Array<{ inviteId: string; email: string; sentByHubwarden: boolean; resendCount: number }>;
  drift: Drift[];
  /**
   * System users (the app's API identities) added, removed or given another role since the last
   * snapshot. hubwarden never changes them, so each was done by someone else: audited, not
   * corrected. Absent in runs recorded before it was kept.
   */
  systemUserChanges?: Array<{ systemUserId: string; name?: string; change: 'added' | 'removed' | 'role-changed'; role: string; from?: string }>;
  /**
   * Assets shared with a partner business (agency) or by one with us (client) since the last
   * snapshot, ended, or shared with other tasks. hubwarden never shares or unshares, so none is
   * its own: audited, not corrected. Absent in runs recorded before it was kept.
   */
  partnerShareChanges?: PartnerShareChange[];
  /**
   * Asset types whose partner shares this check read for the first time (share-baseline.ts), with
   * how many it found: recorded as the baseline, not reported one by one as newly shared (they may
   * well predate the check). Absent when there is none. `recorded`: the shares themselves (the
   * first BASELINE_LISTED of each type), so one made by hand just before the first read is in the
   * audit trail too, not only in the count.
   */
  shareBaselines?: Array<{ assetType: string; shares: number; recorded: BaselineShare[] }>;
}

export interface PartnerShareChange {
  partnerBusinessId: string;
  name?: string;
  relation: 'agency' | 'client';
  asset: AssetRef;
  change: 'shared' | 'unshared' | 'tasks-changed';
  /** The tasks the share allows now (`unshared`: what it allowed). */
  tasks: string[];
  /** `tasks-changed`: what it allowed before. */
  from?: string[];
}

const who = (m: { email?: string; id: string }) => (m.email ? `${m.email} (${m.id})` : m.id);
const byId = <T extends { id: string }>(records: readonly T[]) => new Map(records.map((r) => [r.id, r]));

export function emptyChanges(compared: boolean): CheckChanges {
  return { compared, newMembers: [], removedMembers: [], roleChanges: [], acceptedInvites: [], expiredInvites: [], declinedInvites: [], drift: [], systemUserChanges: [], partnerShareChanges: [] };
}

/** `firstReadShareTypes`: asset types whose partner shares were read for the first time (share-baseline.ts). */
export function findChanges(previous: HubSnapshot, next: HubSnapshot, previousComplete: boolean, firstReadShareTypes: readonly string[] = []): CheckChanges {
  const changes = emptyChanges(previousComplete);
  // Invite status needs no baseline: an expired invite on the first import is still expired.
  const prevInvites = byId(previous.invites);
  const newlyFailed = (status: AppInviteRecord['status']) => (i: AppInviteRecord) => i.status === status && prevInvites.get(i.id)?.status !== status;
  const inviteSummary = (i: AppInviteRecord) => ({ inviteId: i.id, email: i.email, sentByHubwarden: i.sentByHubwarden, resendCount: i.resendCount });
  changes.expiredInvites = next.invites.filter(newlyFailed('expired')).map(inviteSummary);
  changes.declinedInvites = next.invites.filter(newlyFailed('declined')).map(inviteSummary);
  if (!previousComplete) return changes;

  const prevMembers = byId(previous.members);
  const nextMembers = byId(next.members);
  const hubwardenInvites = new Set(previous.invites.filter((i) => i.sentByHubwarden).map((i) => i.id));
  // An invite hubwarden recorded before Meta's id was known (`pending:<email>`) is found by its
  // email when it left the listing: the member reports Meta's id for it, not ours.
  const listed = new Set(next.invites.map((i) => i.id));
  const hubwardenInviteByEmail = new Map(previous.invites.filter((i) => i.sentByHubwarden && i.status === 'pending' && !listed.has(i.id)).map((i) => [emailKey(i.email), i.id]));

  for (const m of next.members) {
    const prev = prevMembers.get(m.id);
    if (!prev) {
      changes.newMembers.push({ memberId: m.id, email: m.email, role: m.role });
      const ours = m.inviteId && hubwardenInvites.has(m.inviteId) ? m.inviteId : m.email ? hubwardenInviteByEmail.get(emailKey(m.email)) : undefined;
      if (ours) changes.acceptedInvites.push({ memberId: m.id, inviteId: ours, email: m.email });
      else changes.drift.push({ kind: 'member-added-by-hand', memberId: m.id, email: m.email, detail: `${who(m)} joined as ${m.role} without an invite from hubwarden` });
    } else if (prev.role !== m.role) {
      changes.roleChanges.push({ memberId: m.id, email: m.email, from: prev.role, to: m.role });
      changes.drift.push({ kind: 'role-changed', memberId: m.id, email: m.email, detail: `${who(m)}: role changed in the app from ${prev.role} to ${m.role}` });
    }
  }
  for (const m of previous.members) {
    if (!nextMembers.has(m.id)) changes.removedMembers.push({ memberId: m.id, email: m.email, role: m.role });
  }

  for (const i of next.invites) {
    const prev = prevInvites.get(i.id);
    if (!prev && !i.sentByHubwarden) changes.drift.push({ kind: 'invited-by-hand', inviteId: i.id, email: i.email, detail: `${i.email} invited as ${i.role} in the app, not by hubwarden` });
    if (prev && prev.status === 'pending' && i.status === 'canceled') {
      changes.drift.push({ kind: 'invite-canceled-in-app', inviteId: i.id, email: i.email, detail: `invite ${i.id} for ${i.email} left the pending invites before it expired: declined by the person or cancelled in the app${i.sentByHubwarden ? (i.resendCount === 0 ? '; hubwarden re-sends it once' : '; already re-sent once: reported to the owner') : ''}` });
    }
  }

  changes.drift.push(...assignmentDrift(previous, next, prevMembers, nextMembers));
  changes.systemUserChanges = systemUserChanges(previous, next);
  // A type read for the first time has no earlier reading to differ from: what it found is the baseline.
  const firstRead = new Set(firstReadShareTypes);
  changes.partnerShareChanges = partnerShareChanges(previous, next).filter((c) => !firstRead.has(c.asset.type));
  if (firstRead.size > 0) {
    changes.shareBaselines = [...firstRead].map((assetType) => {
      const shares = next.partners.flatMap((p) => p.assets.filter((a) => a.type === assetType).map((a): BaselineShare => ({
        partnerBusinessId: p.businessId, relation: p.relation, assetId: a.id, tasks: [...a.permittedTasks],
      })));
      return { assetType, shares: shares.length, recorded: shares.slice(0, BASELINE_LISTED) };
    });
  }
  return changes;
}

/** How many shares of one type a baseline lists (the count covers them all): an audit entry stays small. */
export const BASELINE_LISTED = 100;

/** One share recorded as a baseline. */
export interface BaselineShare { partnerBusinessId: string; relation: string; assetId: string; tasks: string[] }

/**
 * Shares with or by partners that came, went or changed tasks, per asset. A partners section that
 * could not be read keeps its previous records (snapshot.ts), so it shows no change here.
 */
function partnerShareChanges(previous: HubSnapshot, next: HubSnapshot): PartnerShareChange[] {
  const out: PartnerShareChange[] = [];
  type Partner = HubSnapshot['partners'][number];
  const sharesOf = (partners: readonly Partner[]) => {
    const shares = new Map<string, { partner: Partner; asset: Partner['assets'][number] }>();
    for (const partner of partners) for (const asset of partner.assets) shares.set(`${partnerKey(partner)} ${asset.type}:${asset.id}`, { partner, asset });
    return shares;
  };
  const before = sharesOf(previous.partners);
  const after = sharesOf(next.partners);
  const change = ({ partner, asset }: { partner: Partner; asset: Partner['assets'][number] }, kind: PartnerShareChange['change'], from?: string[]): PartnerShareChange => ({
    partnerBusinessId: partner.businessId, ...(partner.name !== undefined ? { name: partner.name } : {}), relation: partner.relation,
    asset: { type: asset.type, id: asset.id }, change: kind, tasks: [...asset.permittedTasks], ...(from ? { from } : {}),
  });
  const sameTasks = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((t) => b.includes(t));
  for (const [key, now] of after) {
    const was = before.get(key);
    if (!was) out.push(change(now, 'shared'));
    else if (!sameTasks(was.asset.permittedTasks, now.asset.permittedTasks)) out.push(change(now, 'tasks-changed', [...was.asset.permittedTasks]));
  }
  for (const [key, was] of before) if (!after.has(key)) out.push(change(was, 'unshared'));
  return out;
}

/**
 * System users added, removed or whose role changed. A section that could not be read keeps its
 * previous records (snapshot.ts), so it shows no change here rather than a false one.
 */
function systemUserChanges(previous: HubSnapshot, next: HubSnapshot): NonNullable<CheckChanges['systemUserChanges']> {
  const out: NonNullable<CheckChanges['systemUserChanges']> = [];
  const before = byId(previous.systemUsers);
  const after = byId(next.systemUsers);
  const named = (s: { name?: string }) => (s.name !== undefined ? { name: s.name } : {});
  for (const s of next.systemUsers) {
    const prev = before.get(s.id);
    if (!prev) out.push({ systemUserId: s.id, ...named(s), change: 'added', role: s.role });
    else if (prev.role !== s.role) out.push({ systemUserId: s.id, ...named(s), change: 'role-changed', role: s.role, from: prev.role });
  }
  for (const s of previous.systemUsers) if (!after.has(s.id)) out.push({ systemUserId: s.id, ...named(s), change: 'removed', role: s.role });
  return out;
}

/** Tasks removed from (or added to) our members on our assets since the snapshot. */
function assignmentDrift(previous: HubSnapshot, next: HubSnapshot, prevMembers: Map<string, AppMemberRecord>, nextMembers: Map<string, AppMemberRecord>): Drift[] {
  const drift: Drift[] = [];
  const nextAssignments = new Map(next.assignments.map((a) => [a.key, a]));
  const prevAssignments = new Map(previous.assignments.map((a) => [a.key, a]));
  const assetOf = (a: { asset: { type: string; id: string } }) => `${a.asset.type.replace('_', ' ')} ${a.asset.id}`;
  for (const prev of previous.assignments) {
    if (prev.userType !== 'member') continue;
    const member = nextMembers.get(prev.userId);
    if (!member) continue; // the member left: reported as a removed member, not as task drift
    const now = nextAssignments.get(prev.key);
    const removed = prev.tasks.filter((t) => !now?.tasks.includes(t));
    if (removed.length > 0) {
      drift.push({ kind: 'tasks-removed', memberId: member.id, email: member.email, asset: prev.asset, detail: `${who(member)}: ${removed.join(', ')} removed on ${assetOf(prev)} in the app` });
    }
  }
  for (const a of next.assignments) {
    if (a.userType !== 'member') continue;
    const member = nextMembers.get(a.userId);
    const prev = prevAssignments.get(a.key);
    if (!member || !prevMembers.has(member.id)) continue; // new members: their own change
    const added = a.tasks.filter((t) => !prev?.tasks.includes(t));
    if (added.length > 0) drift.push({ kind: 'tasks-added', memberId: member.id, email: member.email, asset: a.asset, detail: `${who(member)}: ${added.join(', ')} added on ${assetOf(a)} in the app` });
  }
  return drift;
}

/** Counts for the run summary and the audit line. */
export function changeCounts(changes: CheckChanges): Record<string, number> {
  return {
    newMembers: changes.newMembers.length,
    removedMembers: changes.removedMembers.length,
    roleChanges: changes.roleChanges.length,
    acceptedInvites: changes.acceptedInvites.length,
    expiredInvites: changes.expiredInvites.length,
    declinedInvites: changes.declinedInvites.length,
    drift: changes.drift.length,
    systemUserChanges: changes.systemUserChanges?.length ?? 0,
    partnerShareChanges: changes.partnerShareChanges?.length ?? 0,
  };
}
