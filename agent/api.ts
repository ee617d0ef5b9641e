/**
 * The agent's public API: what the server's surfaces (admin REST API, hooks, web UI, CLI) may
 * call. Nothing in scim-server reaches into agent internals past this file and the outbox
 * (`agent/outbox.ts`, used inside the SCIM write's own transaction).
 *
 * Methods that change something take the Trigger (who/what asked) so the audit log can say so.
 * Methods that start work return the task that tracks it; callers poll `task(id)`.
 *
 * Every method that reads the store is asynchronous (Promise): the store may be a database shared
 * by several replicas (agent/store/store.ts), so no answer is assumed to be local.
 */
import type { Trigger } from './desired-state/delta.ts';
import type { Transaction } from './store/store.ts';
import type { OfferRecord } from './offers/offer-record.ts';
import type { SignedInClaimant } from './offers/claimant.ts';

/**
 * A row's status in the members view. `lapsed`: an invite matched to a directory user that is no
 * longer pending (expired, declined, or gone from the app's pending invites before its expiry):
 * no seat, and not counted as one; re-sent once by the plan, then held for an owner, and closed
 * once the person is no longer owed a seat (agent/plan/plan.ts).
 */
export const MEMBER_STATUSES = ['onboarded', 'invited', 'lapsed', 'unmatched', 'guest', 'exempted'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];
/** Every status at zero (memberCounts before counting). */
export const noMemberCounts = (): Record<MemberStatus, number> => Object.fromEntries(MEMBER_STATUSES.map((s) => [s, 0])) as Record<MemberStatus, number>;
/**
 * Where the directory user behind a row stands in the IdP: `active`; `deactivated` (SCIM
 * `active: false`, RFC 7643 §4.1.1); `suspended` (Okta's `user.lifecycle.suspend` event hook,
 * which changes nothing over SCIM); `offboarded` (an explicit leaver action while the IdP still
 * pushes the person active: held until the IdP reactivates them); `deleted` (SCIM DELETE, RFC 7644 §3.6: the user record is
 * gone while a seat of theirs remains). Anything but `active` holds no seat: a removal is pending
 * (unless the row is exempted).
 */
export const DIRECTORY_STATUSES = ['active', 'deactivated', 'suspended', 'offboarded', 'deleted'] as const;
export type DirectoryStatus = (typeof DIRECTORY_STATUSES)[number];
/** The members query's `flag` filter: `other-seats`, rows whose person holds another seat on the hub (MemberView.otherSeats). */
export const MEMBER_FLAGS = ['other-seats'] as const;
export type MemberFlag = (typeof MEMBER_FLAGS)[number];
export const TASK_STATUSES = ['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'needs-approval'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** An audit entry's outcome (AuditEntry.outcome), and the values of the audit log's outcome filter. */
export const AUDIT_OUTCOMES = ['ok', 'already-done', 'failed', 'skipped', 'pending', 'unknown'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface HubSummary {
  id: string;
  label: string;
  connector: string;
  identityProvider?: string;
  health: HubHealth;
  memberCounts: Record<MemberStatus, number>;
}

export interface HubHealth {
  status: 'ok' | 'degraded' | 'paused' | 'unknown';
  problems: string[];
  /** `expiryUnknown`: no expiresAt because the app did not say it (CredentialHealth), not because it never expires. */
  credential?: { valid: boolean; expiresAt?: string; expiryUnknown?: true; missingScopes: string[] };
  lastCheckForUpdates?: { at: string; outcome: 'completed' | 'failed'; taskId: string };
  failingTasks: number;
  invitesNearExpiry: number;
  pausedReason?: string;
}

export interface MemberView {
  hubId: string;
  /** Stable id of the member row in hubwarden (app member id, or `invite:<id>`). */
  id: string;
  status: MemberStatus;
  email?: string;
  name?: string;
  appRole?: string;
  hubRole?: string;
  assets: Array<{ type: string; id: string; tasks: string[] }>;
  /** A member holding the admin role of an app whose admins reach every asset (TikTok BC ADMIN): `assets` lists only explicit assignments. */
  reachesAllAssets?: true;
  /** A seat the app has marked for removal (AppMember.removalPending): on its way out; plans leave it alone and hold it for an owner. */
  removalPending?: true;
  /** Directory user it is matched to, and the mapped groups that grant its access. */
  directoryUserId?: string;
  grantedBy: string[];
  /**
   * The directory user's standing in the IdP (see DirectoryStatus): on every matched row, and
   * `deleted` also on a member or invite whose email belongs to a directory user the IdP deleted
   * (the row is unmatched by then, its removal still pending).
   */
  directoryStatus?: DirectoryStatus;
  kind: 'member' | 'invite' | 'partner-user';
  partnerBusinessId?: string;
  /** A partner's person: their business's name, as the last check for updates read it. */
  partnerBusinessName?: string;
  exemption?: { reason: string; until?: string; by: string; at: string };
  candidates?: string[];
  /**
   * The person's other seats on this hub (member or `invite:` row ids): the row is the seat or
   * pending invite of a directory user who holds another (agent/members/other-seats.ts). For an
   * owner to look at, never removed for it.
   */
  otherSeats?: string[];
  /** Why the row is matched to a directory user none of whose emails it carries (e.g. "matched by directory user; email changed in the IdP"). */
  matchReason?: string;
  lastSeenAt?: string;
  /** A partner's person whose data could not be read at the last check: "partner data unavailable: <reason>". */
  unavailable?: string;
}

export interface TaskView {
  id: string;
  hubId?: string;
  kind: string;
  status: TaskStatus;
  trigger: Trigger;
  summary: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  nextRunAt?: string;
  /** When the first attempt started; with `completedAt` it gives how long the task took. */
  startedAt?: string;
  completedAt?: string;
  lastError?: { kind: string; message: string };
  parentId?: string;
  progress?: { done: number; total: number; phase?: string };
  result?: unknown;
  /** A failed task an owner retried: who, when, why, and the task that retry queued (agent/tasks/retry-task.ts). */
  retry?: TaskRetryMark;
  /**
   * A failed app change a retry queues again (agent/tasks/retry-rule.ts: not forced), not retried
   * yet; absent otherwise. Who may retry it is a hub right (the dashboard: owners and administrators).
   */
  retryable?: true;
}

/**
 * An owner's retry of a failed task (AgentApi.retryTask): `retried` is the failed task, kept as it
 * failed (its history), its `retry` saying who retried it; `task` the one queued for the same
 * change. `alreadyDone` (with `detail`): the failed task was retried before (a double click, a
 * retried call), so nothing was queued or audited again; `taskId` is the one that retry queued
 * (`task` while it is kept).
 */
export interface TaskRetry { taskId: string; task?: TaskView; retried: TaskView; alreadyDone?: true; detail?: string }

/** Who retried a failed task, when, why, and the task that retry queued (TaskRecord.retried). */
export interface TaskRetryMark { at: string; by: string; reason?: string; taskId: string }

export interface AuditEntry {
  seq: number;
  at: string;
  hubId?: string;
  trigger: Trigger;
  action: string;
  /** The person or object acted on. */
  subject?: { email?: string; directoryUserId?: string; memberId?: string; label?: string };
  why: string;
  /**
   * `unknown`: a change sent to the app whose answer was lost (a timeout, a dropped connection):
   * the app may have made it; an entry of the same task says later what became of it
   * (agent/tasks/operations/lost-answer.ts).
   */
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
  taskId?: string;
}

export interface DeprovisioningReport {
  id: string;
  hubId: string;
  createdAt: string;
  /** `withdrawn`: every item was taken out before an owner applied it (`withdrawnBecause`); it can no longer be applied. */
  status: 'open' | 'applied' | 'partially-applied' | 'dismissed' | 'withdrawn';
  items: Array<{ memberId: string; email?: string; directoryUserId?: string; action: 'remove-member' | 'cancel-invite' | 'downgrade'; reason: string; appliedAt?: string; taskId?: string }>;
  /** A withdrawn report: why no owner needs to apply it any more. */
  withdrawnBecause?: string;
}

export interface Approval {
  id: string;
  hubId: string;
  createdAt: string;
  /**
   * `superseded`: the plan halted again with other operations, or another offboarding of the same person added seats, under a new approval (`supersededBy`); this one can no longer be decided.
   * `withdrawn`: a later pass re-planned the hub and no longer held it (`withdrawnBecause`: its changes are no longer planned, or the rest fell under the threshold); it can no longer be decided.
   */
  status: 'pending' | 'approved' | 'rejected' | 'superseded' | 'withdrawn';
  explanation: string;
  operations: Array<{ kind: string; summary: string }>;
  taskId: string;
  /** A superseded approval's successor: the one to read and decide instead. */
  supersededBy?: string;
  /** A withdrawn approval: why no owner needs to decide it any more. */
  withdrawnBecause?: string;
}

export interface PlannedOperation {
  kind: string;
  summary: string;
  memberId?: string;
  email?: string;
}

/** An offer of a seat (a claim team), as the API shows it: the record without its bookkeeping. */
export type OfferView = Pick<OfferRecord, 'id' | 'hubId' | 'collection' | 'appRole' | 'assets' | 'status' | 'offeredAt' | 'expiresAt' | 'claimedAt'>;

/**
 * The most rows one export answers (the admin API's CSV lists, the CLI's `--limit`): a larger
 * export is cut, and says so in its last line, rather than exhaust memory. It lives here, in the
 * agent's API, because both the server (scim-server/admin/csv.ts) and its client, the CLI, obey it.
 */
export const MAX_EXPORT_ROWS = 100_000;

export interface Paged<T> {
  total: number;
  items: T[];
}

/**
 * `after`: only rows after the one this cursor names in the query's order (the `next` of the page
 * before): a cursor, so rows written or removed while a reader pages (a check for updates during
 * a long export) do not shift the pages; offset paging repeats or skips rows then.
 */
export interface MemberQuery { status?: MemberStatus; directoryStatus?: DirectoryStatus; flag?: MemberFlag; search?: string; offset?: number; limit?: number; sort?: string; after?: string }
/**
 * The member after an owner's decision. `alreadyDone` (with `detail` saying what): the same decision
 * was in force already (a retried request), so nothing was changed, reconciled or audited again.
 */
export type MemberDecision = MemberView & { alreadyDone?: true; detail?: string };
/** A page of members; `next` (a cursor for `after`) while rows remain after it. */
export interface MemberPage extends Paged<MemberView> { next?: string }
/**
 * Tasks newest created first (ties by id). `after`: only tasks after the one this cursor names
 * (the `next` of the page before): the order key (createdAt, id) never changes, so tasks queued or
 * finished (moved to the archive) while a reader pages neither repeat nor are skipped; offset
 * paging does both then.
 */
export interface TaskQuery { hubId?: string; /** An admin token's hubs (dispatch/find-person.ts inAdminScope); absent: every hub. */ hubs?: readonly string[]; status?: TaskStatus; kind?: string; parentId?: string; offset?: number; limit?: number; after?: string }
/** A page of tasks; `next` (a cursor for `after`) while tasks remain after it. */
export interface TaskPage extends Paged<TaskView> { next?: string }
/**
 * `before`: only entries older than the one with this `seq` (the `next` of the page before): a
 * cursor, so entries written while a reader pages do not shift the pages (offset paging repeats
 * entries then). `outcome`: only entries with one of these outcomes (an empty list matches none).
 */
export interface AuditQuery { hubId?: string; /** An admin token's hubs (dispatch/find-person.ts inAdminScope); absent: every hub. */ hubs?: readonly string[]; email?: string; action?: string; outcome?: readonly AuditOutcome[]; since?: string; before?: number; offset?: number; limit?: number }

export interface AgentApi {
  hubs(): Promise<HubSummary[]>;
  hub(hubId: string): Promise<HubSummary | undefined>;

  members(hubId: string, query: MemberQuery): Promise<MemberPage>;
  member(hubId: string, memberId: string): Promise<MemberView | undefined>;
  /** `options.within`: a caller's check run first in the decision's transaction (the dashboard's rank rule, scim-server/web/removal-rank.ts); as for unmatchMember. */
  matchMember(hubId: string, memberId: string, input: { directoryUserId: string; hubRole?: string }, trigger: Trigger, options?: PersonChangeOptions): Promise<MemberDecision>;
  unmatchMember(hubId: string, memberId: string, trigger: Trigger, options?: PersonChangeOptions): Promise<MemberDecision>;
  /** `options.within`: a caller's check run first in the decision's transaction (the dashboard's rank rule for an exemption in force, scim-server/web/exemption-rank.ts). */
  exemptMember(hubId: string, memberId: string, input: { reason: string; until?: string }, trigger: Trigger, options?: PersonChangeOptions): Promise<MemberDecision>;
  /** Ends an exemption now; refused (conflict) when the member is not exempted. `options.within`: as for exemptMember. */
  unexemptMember(hubId: string, memberId: string, trigger: Trigger, options?: PersonChangeOptions): Promise<MemberView>;
  /** `options.within`: a caller's check run first in the transaction that queues the removal (the dashboard's rank rule, scim-server/web/removal-rank.ts). */
  removeMember(hubId: string, memberId: string, trigger: Trigger, options?: PersonChangeOptions): Promise<TaskView>;
  /** A removal of this member or invite row carried out within the last hour (its audit entry), for a retried removal to be answered as already done. */
  finishedRemoval(hubId: string, memberId: string): Promise<AuditEntry | undefined>;
  registerGuest(hubId: string, input: { email: string; note?: string }, trigger: Trigger): Promise<void>;

  checkForUpdates(hubId: string, trigger: Trigger): Promise<TaskView>;
  /** Dry run: what the agent would do now, without changing anything. */
  plan(hubId: string): Promise<PlannedOperation[]>;

  /** A task in memory: unfinished, failed, or finished within the last minute (polling). */
  task(id: string): Promise<TaskView | undefined>;
  /** Any task, also one finished long ago and kept on disk (read by paging). */
  findTask(id: string): Promise<TaskView | undefined>;
  /** Read by paging: finished tasks and the audit log are kept on disk. */
  tasks(query: TaskQuery): Promise<TaskPage>;
  /**
   * An owner retries a failed app change of `hubId` (tasks/retry-task.ts): the failed task is marked
   * retried (it holds no later task of the same change any more) and the change is queued again,
   * re-planned before it calls the app. not-found: no such task on that hub; conflict: not a failed
   * app change (or a forced one: decided again, not retried).
   */
  retryTask(hubId: string, taskId: string, trigger: Trigger): Promise<TaskRetry>;

  reports(hubId?: string): Promise<DeprovisioningReport[]>;
  /** `options.within`: a check of the caller's that must see whom each applied item's seat is matched to as the apply commits (the dashboard's rank rule, scim-server/web/report-rank.ts). */
  applyReport(reportId: string, memberIds: string[] | 'all', trigger: Trigger, options?: ReportApplyOptions): Promise<DeprovisioningReport>;
  approvals(hubId?: string): Promise<Approval[]>;
  /** `options.within`: a check of the caller's that must see the very approval decided (the dashboard's rank rule, scim-server/web/approval-rank.ts). */
  decideApproval(approvalId: string, decision: 'approve' | 'reject', trigger: Trigger, options?: PersonChangeOptions): Promise<Approval>;

  audit(query: AuditQuery): Promise<Paged<AuditEntry>>;

  /**
   * Suspend (or unsuspend) a person on every hub where they are a directory user (Okta's
   * `user.lifecycle.suspend` / `unsuspend` event hooks; SCIM says nothing of a suspension): a
   * suspended user holds nothing, as a deactivated one, until unsuspended. Each is re-evaluated.
   */
  suspendPerson(person: { email?: string; userName?: string; externalId?: string }, suspended: boolean, trigger: Trigger, options?: PersonChangeOptions): Promise<TaskView[]>;
  /** Re-evaluate one person now on every hub where they are a directory user (hooks). */
  reevaluatePerson(person: { email?: string; userName?: string; externalId?: string }, trigger: Trigger, options?: PersonChangeOptions): Promise<TaskView[]>;
  /** The offers made to the directory users with this email, on every hub. */
  offers(email: string): Promise<OfferView[]>;
  /** Claims an offer: the returned task re-evaluates the person, who is then invited as for any grant. */
  claimOffer(email: string, offerId: string, trigger: Trigger): Promise<TaskView>;
  /**
   * A signed-in person claims their own offer (the dashboard's My access): as claimOffer, but
   * refused (permission-denied, audited) when the email names several active directory users on
   * the offer's hub and the sign-in's IdP ids tell none of them apart (offers/claimant.ts).
   */
  claimOwnOffer(person: SignedInClaimant, offerId: string, trigger: Trigger): Promise<TaskView>;
  /**
   * Remove a person's seats on every hub now (leaver workflows); one parent task to poll. Refused
   * (conflict, audited) when the person's words name several directory users on a hub, one or
   * more active (a leaver and their rehire), or a user the IdP deleted and only users created
   * since: `directoryUserId` names one (dispatch/ambiguous-person.ts).
   */
  offboard(person: { email?: string; userName?: string; externalId?: string; directoryUserId?: string }, trigger: Trigger, options?: PersonChangeOptions): Promise<TaskView>;
}

/** What a caller of a person-wide change (suspendPerson, reevaluatePerson, offboard), of an approval's decision or of an owner's removal, may add to it. */
export interface PersonChangeOptions {
  /**
   * Run first inside the store transaction that applies the change, reading and staging only
   * through `tx` (it may run more than once: agent/store/store.ts). Throwing refuses the change:
   * nothing is staged, and the call rejects with what it threw. A check made here and the change
   * commit together, so no other transaction commits between them: the event hooks decide here
   * whether a later change of the person was already applied (scim-server/hooks/event-order.ts).
   */
  within?: (tx: Transaction) => Promise<void> | void;
}

/** An item of a report about to be applied, and whom its seat is matched to in the applying transaction. */
export interface ReportItemApplied {
  item: DeprovisioningReport['items'][number];
  /**
   * The seat's current holders as the members view computes them (agent/members/member-view.ts),
   * read through the applying transaction: whom the row is matched to, else the candidates of a
   * disputed row; empty when it is matched to nobody (or the row is gone).
   */
  holders: string[];
}

/** What a caller of `applyReport` may add to it. */
export interface ReportApplyOptions {
  /**
   * Run inside the store transaction that applies the items, after the report is read and before
   * anything is staged, with the items about to be applied (and their seats' holders read through
   * `tx`). It reads only through `tx` and may run more than once (agent/store/store.ts). Throwing
   * refuses the whole apply: nothing is staged, and the call rejects with what it threw. The check
   * and the apply commit together: a re-match committed after the caller's own earlier reads is seen
   * here, or the transaction runs again.
   */
  within?: (tx: Transaction, items: readonly ReportItemApplied[]) => Promise<void> | void;
}
