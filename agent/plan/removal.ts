import type { AppInviteRecord, AppMemberRecord, ExemptionRecord } from '../app-state/records.ts';
import { lastImport } from '../check-for-updates/snapshot-store.ts';
import type { RoleRules } from '../grants/role-rules.ts';
import { exemptionInForce } from '../standing/exemption.ts';
import { inviteIdOf, inviteRowId, rowKindOf } from '../standing/row-ids.ts';
import { collect, type ReadView } from '../store/store.ts';
import { taskByKey } from '../tasks/enqueue.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { HeldOperation, Operation, OperationReason } from './operation.ts';
import { emailKey } from '../matching/email-key.ts';

/**
 * The one place removal operations are built (the plan, offboarding, an owner's removal), and the
 * checks every one of them passes before it may run. People's access is at stake:
 * - never from an incomplete listing (a failed page must not look like "these people left");
 * - never a row under an exemption in force, never a system user;
 * - never the hub's last admin (removed or demoted), counting every removal and demotion of the batch.
 * An operation that fails a check is returned as held, with why, for the caller to audit or refuse.
 */

/** Whether the import found the member listing filtered (check-for-updates/run-check.ts reports it as a `members` section not read in full). */
export function membersHiddenIn(imported: { unavailable?: ReadonlyArray<{ section: string }> } | undefined): boolean {
  return imported?.unavailable?.some((u) => u.section === 'members') === true;
}

/** What removals are checked against: the last import and the snapshot. */
export interface RemovalFacts {
  complete: boolean;
  /** The last import found the member listing filtered by the credential (plan-input.ts membersHiddenIn): why it is incomplete. */
  membersHidden?: boolean;
  members: readonly Pick<AppMemberRecord, 'id' | 'role' | 'removalPending'>[];
  systemUserIds: ReadonlySet<string>;
  exemptions: readonly Pick<ExemptionRecord, 'memberId' | 'until'>[];
  /** Exemptions are judged against this instant. */
  now: Date | number | string;
  /**
   * Admins whose removal or demotion is already queued or running (outside this batch): they
   * count as gone for the last-admin rule, so two changes queued one after the other cannot take
   * the last two.
   */
  leaving?: ReadonlySet<string>;
}

/**
 * The facts for the whole hub (every member, system user and exemption): for a batch of any size.
 * `queuedBy`: also the admins (by these rules) whose removal or demotion is queued or running (an
 * owner's removal, an offboarding: removals that skip the re-plan when they run).
 */
export async function removalFactsOf(view: ReadView, hubId: string, now: Date | number | string, queuedBy?: RoleRules): Promise<RemovalFacts> {
  const systemUserIds = new Set<string>();
  for await (const s of view.list('appSystemUsers', hubId)) systemUserIds.add(s.id);
  const members = await collect(view.list('appMembers', hubId));
  const imported = await lastImport(view, hubId);
  return {
    complete: imported?.complete === true,
    membersHidden: membersHiddenIn(imported),
    members,
    systemUserIds,
    exemptions: await collect(view.list('exemptions', hubId)),
    now,
    ...(queuedBy ? { leaving: new Set((await adminRemovalsQueued(view, hubId, members.filter((m) => !systemUserIds.has(m.id) && queuedBy.isAdmin(m.role)), queuedBy)).keys()) } : {}),
  };
}

/**
 * The unfinished removal or demotion task of each of these admins that has one (read by key: the
 * operation task key `op:` + the removal's key, or the role change's for each role below admin
 * (plan.ts `member-role:`), tasks/operations/enqueue-operation.ts), by member id. Callers pass the
 * admins: a hub has few, so this is a handful of reads.
 */
export async function adminRemovalsQueued(view: ReadView, hubId: string, members: readonly Pick<AppMemberRecord, 'id'>[], rules: RoleRules): Promise<Map<string, Readonly<TaskRecord>>> {
  const out = new Map<string, Readonly<TaskRecord>>();
  const lower = rules.assignable.filter((r) => !rules.isAdmin(r));
  for (const m of members) {
    for (const key of [removalKeyOf(m.id), ...lower.map((role) => memberRoleKeyOf(m.id, role))]) {
      const task = await taskByKey(view, hubId, `op:${key}`);
      if (task?.kind === 'remove-member' || task?.kind === 'change-member-role') {
        out.set(m.id, task);
        break;
      }
    }
  }
  return out;
}

/** The key of the operation changing a member's role to `role` (plan.ts builds it). */
export const memberRoleKeyOf = (memberId: string, role: string) => `member-role:${memberId}:${role}`;

export const LAST_ADMIN_WHY = 'the last admin of the business is never removed or demoted';

const removalKeyOf = (memberId: string) => `remove:${memberId}`;
const cancelKeyOf = (inviteId: string) => `cancel:${inviteId}`;

/**
 * The removal of a member or invite row that is running now (claimed: past its last look at the
 * row's exemption, agent/tasks/operations/forced-removal.ts, and maybe calling the app), read by
 * its key through `view`. A queued or waiting one looks again before it calls.
 */
export async function removalRunning(view: Pick<ReadView, 'get'>, hubId: string, rowId: string): Promise<Readonly<TaskRecord> | undefined> {
  const inviteId = inviteIdOf(rowId);
  const task = await taskByKey(view, hubId, `op:${inviteId !== undefined ? cancelKeyOf(inviteId) : removalKeyOf(rowId)}`);
  return task?.status === 'running' ? task : undefined;
}

/** Who asks for the removal and why, for the operation's summary and audit. */
export interface RemovalWhy {
  reason: OperationReason;
  /** The end of the summary: `deactivated in the directory`, `offboarded`, `asked by ann@…`. */
  because: string;
  directoryUserId?: string;
  grantedBy?: string[];
}

export function removeMemberOperation(member: Pick<AppMemberRecord, 'id' | 'role' | 'email'>, why: RemovalWhy): Operation {
  const email = member.email === undefined ? undefined : emailKey(member.email);
  return strip({
    kind: 'remove-member', key: removalKeyOf(member.id), memberId: member.id, role: member.role, effect: 'removal', reason: why.reason,
    email, directoryUserId: why.directoryUserId, grantedBy: why.grantedBy,
    summary: `remove ${member.email ?? member.id} (${member.role}) from the business: ${why.because}`,
  });
}

export function cancelInviteOperation(invite: Pick<AppInviteRecord, 'id' | 'email'>, why: RemovalWhy): Operation {
  const email = emailKey(invite.email);
  return strip({
    kind: 'cancel-invite', key: cancelKeyOf(invite.id), inviteId: invite.id, effect: 'removal', reason: why.reason,
    email, directoryUserId: why.directoryUserId, grantedBy: why.grantedBy,
    summary: `cancel the pending invite of ${email}: ${why.because}`,
  });
}

/**
 * The close of a lapsed invite (expired, declined, gone from the app's pending invites) whose person
 * is no longer owed a seat: a `cancel-invite` like any (the same key, checks and audit), cancelled
 * where the app still lists the request and only dropped from the snapshot where it does not.
 */
export function closeLapsedInviteOperation(invite: Pick<AppInviteRecord, 'id' | 'email'>, why: RemovalWhy, lapse: string): Operation {
  const op = cancelInviteOperation(invite, why);
  return { ...op, summary: `close the lapsed invite of ${op.email} (it ${lapse}): ${why.because}` };
}

/**
 * The checks, over a batch of operations: removals (and demotions of an admin) that may not run
 * are moved to `held`. Other operations pass through unchanged.
 */
export function guardRemovals(ops: readonly Operation[], facts: RemovalFacts, rules: RoleRules): { operations: Operation[]; held: HeldOperation[] } {
  const held: HeldOperation[] = [];
  const exempt = new Set(facts.exemptions.filter((e) => exemptionInForce(e, facts.now)).map((e) => e.memberId));
  let kept = ops.filter((op) => {
    if (op.effect !== 'removal') return true;
    const row = op.kind === 'remove-member' ? op.memberId : op.kind === 'cancel-invite' ? inviteRowId(op.inviteId) : undefined;
    let why: string | undefined;
    if (!facts.complete && facts.membersHidden) why = 'the app credential does not see every member (last check for updates): a listing it filters is no complete picture, so nothing is removed until it lists every member';
    else if (!facts.complete) why = 'the app listing is incomplete (no complete check for updates yet): nothing is removed';
    else if (row && exempt.has(row)) why = 'exempted by an owner: exempted members are never removed';
    else if (op.kind === 'remove-member' && facts.systemUserIds.has(op.memberId)) why = 'a system user: hubwarden never removes system users';
    if (why) held.push({ operation: op, why });
    return why === undefined;
  });
  const admins = facts.members.filter((m) => !facts.systemUserIds.has(m.id) && rules.isAdmin(m.role));
  // An admin the app is already removing (AppMember.removalPending) is no admin to count on.
  const losing = new Set<string>([...(facts.leaving ?? []), ...admins.filter((a) => a.removalPending).map((a) => a.id)]);
  for (const op of kept) {
    if (op.kind === 'remove-member' && rules.isAdmin(op.role)) losing.add(op.memberId);
    if (op.kind === 'change-member-role' && rules.isAdmin(op.from) && !rules.isAdmin(op.to)) losing.add(op.memberId);
  }
  if (admins.length > 0 && admins.every((a) => losing.has(a.id))) {
    // The admin kept is one no earlier removal takes: the batch's own removal of them is held.
    // Of those, the one the directory still wants in the business: an admin only demoted (an
    // active person moved to another team) before one removed as in no mapped group, before one
    // deactivated or deleted. Chosen by listing order, a leaver's admin seat was kept while the
    // active admin was demoted whenever the leaver was listed first: the business's only admin
    // was then an account nobody in the directory should hold, and which one stayed changed with
    // the app's listing order. Ties go to the lowest member id, so every plan keeps the same one.
    const stay = (a: { id: string }) => {
      const op = kept.find((o) => (o.kind === 'remove-member' || o.kind === 'change-member-role') && o.memberId === a.id);
      if (!op || op.kind === 'change-member-role') return 0;
      return op.reason === 'deactivated' || op.reason === 'deleted' ? 2 : 1;
    };
    const pick = (list: typeof admins) => [...list].sort((x, y) => stay(x) - stay(y) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))[0];
    const keep = (pick(admins.filter((a) => !facts.leaving?.has(a.id) && !a.removalPending)) ?? pick(admins.filter((a) => !facts.leaving?.has(a.id))) ?? admins[0]!).id;
    kept = kept.filter((op) => {
      const hit = (op.kind === 'remove-member' || op.kind === 'change-member-role') && op.memberId === keep;
      if (hit) held.push({ operation: op, why: LAST_ADMIN_WHY });
      return !hit;
    });
  }
  return { operations: kept, held };
}

/**
 * Just before an operation that takes an admin away (removes them, or demotes them below admin)
 * calls the app: would it leave the hub without an admin, counting every other admin whose removal
 * or demotion is queued or running? A batch is checked against the snapshot when it is planned,
 * but two changes queued apart (an owner's removal of one admin waiting on a rate limit, then the
 * plan's removal of the other) were each checked while the other admin was still listed, and both
 * ran. Checked again here, each sees the other queued and is held (never both removed; the plan
 * queues its own again once the other's task has ended). `rules`: the hub's role rules. The
 * reason it is held, or undefined.
 */
export async function lastAdminHold(view: ReadView, hubId: string, op: Operation, rules: RoleRules, now: Date | number | string): Promise<string | undefined> {
  if (op.kind !== 'remove-member' && op.kind !== 'change-member-role') return undefined;
  if (op.kind === 'change-member-role' && rules.isAdmin(op.to)) return undefined;
  // The member's role now (an owner's removal carries the role it had when it was queued).
  const current = await view.get('appMembers', hubId, op.memberId);
  if (!current || !rules.isAdmin(current.role)) return undefined;
  const facts = await removalFactsOf(view, hubId, now, rules);
  const leaving = new Set(facts.leaving);
  leaving.delete(op.memberId); // its own task
  const checked = op.kind === 'remove-member' ? { ...op, role: current.role } : { ...op, from: current.role };
  // Only the last-admin rule: the caller has checked the row's exemption and the listing.
  const held = guardRemovals([checked], { ...facts, complete: true, exemptions: [], leaving }, rules).held;
  return held.find((h) => h.why === LAST_ADMIN_WHY)?.why;
}

/**
 * The removal of one row an owner or a leaver workflow names (member id or `invite:<id>`), built
 * and checked. `refused` says why it may not run; `missing` when the last check for updates does
 * not list the row (or it is a partner's person, whose seat is in their own business).
 */
export async function removalOfRow(view: ReadView, hubId: string, rowId: string, why: RemovalWhy, rules: RoleRules, now: Date | number | string):
  Promise<{ operation: Operation } | { refused: string; missing?: true }> {
  const kind = rowKindOf(rowId);
  if (kind === 'partner-user') return { refused: `${rowId} is a partner's person; their seat is in their own business (unshare the asset instead)` };
  const inviteId = inviteIdOf(rowId);
  let op: Operation;
  let facts: RemovalFacts;
  if (inviteId !== undefined) {
    const invite = await view.get('appInvites', hubId, inviteId);
    if (!invite) return { refused: `no invite ${inviteId} in the last check for updates`, missing: true };
    op = cancelInviteOperation(invite, why);
    facts = await rowFactsOf(view, hubId, rowId, [], now);
  } else {
    const member = await view.get('appMembers', hubId, rowId);
    if (!member) return { refused: `no member ${rowId} in the last check for updates`, missing: true };
    op = removeMemberOperation(member, why);
    // Only the removal of an admin needs the other admins (the last-admin rule); otherwise the
    // row's own records decide, and the hub's members are not read.
    facts = rules.isAdmin(member.role) ? await removalFactsOf(view, hubId, now, rules) : await rowFactsOf(view, hubId, rowId, [member], now);
  }
  const checked = guardRemovals([op], facts, rules);
  return checked.held.length > 0 ? { refused: checked.held[0]!.why } : { operation: op };
}

/**
 * The facts for the removal of one row that is not an admin's: the same answer as
 * `removalFactsOf` for it (its exemption, whether it is a system user, the import), read by key.
 */
async function rowFactsOf(view: ReadView, hubId: string, rowId: string, members: RemovalFacts['members'], now: Date | number | string): Promise<RemovalFacts> {
  const exemption = await view.get('exemptions', hubId, rowId);
  const systemUserIds = new Set<string>();
  for (const m of members) if (await view.get('appSystemUsers', hubId, m.id)) systemUserIds.add(m.id);
  const imported = await lastImport(view, hubId);
  return {
    complete: imported?.complete === true,
    membersHidden: membersHiddenIn(imported),
    members,
    systemUserIds,
    exemptions: exemption ? [exemption] : [],
    now,
  };
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
