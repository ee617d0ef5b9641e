import type {
  AgentApi, Approval, AuditEntry, OfferView, AuditQuery, DeprovisioningReport, HubSummary, MemberQuery, MemberView, Paged, PlannedOperation, TaskQuery, TaskView, TaskRetry, TaskRetryMark, PersonChangeOptions,
} from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { SignedInClaimant } from '../../agent/offers/claimant.ts';
import { queryAudit } from '../../agent/audit/audit-query.ts';
import type { Store } from '../../agent/store/store.ts';

/**
 * An in-memory AgentApi for the admin API, hook and CLI tests: a test double of our own module at
 * the HTTP-surface boundary (never of an SDK client). It keeps state the way the agent does
 * (tasks, reports, approvals, audit) and records every call with its trigger, so a test can say
 * "this request changed nothing" or "the hook offboarded jane once".
 */
export interface FakeCall { method: string; args: unknown[] }

class NotFoundError extends Error {
  readonly kind = 'not-found';
}

const at = (min: number) => new Date(Date.UTC(2026, 10, 23, 9, min)).toISOString();

function member(hubId: string, id: string, status: MemberView['status'], email: string, extra: Partial<MemberView> = {}): MemberView {
  return { hubId, id, status, email, name: email.split('@')[0], appRole: 'EMPLOYEE', assets: [], grantedBy: status === 'onboarded' ? ['Sales'] : [], kind: 'member', ...extra };
}

/** A check-for-updates task's result, shaped as the real handler's (agent/check-for-updates/handler.ts). */
export const FAKE_CHECK_RESULT = {
  counts: { members: 3, invites: 1, systemUsers: 1, assets: 4, assignments: 6, partners: 1, partnerUsers: 1 },
  changes: { newMembers: 1, removedMembers: 0, roleChanges: 1, acceptedInvites: 1, expiredInvites: 0, declinedInvites: 0, drift: 2 },
  graphCalls: 9, durationMs: 1234,
};

export class FakeAgent implements AgentApi {
  readonly calls: FakeCall[] = [];
  /** People the fake directory knows (offboard/reevaluate of anyone else is not-found). */
  readonly people = new Set(['jane@example.com', 'raj@example.com']);
  /** How long check for updates takes: the task completes after this many `task()` polls. */
  pollsUntilDone = 2;
  /** When set, check-for-updates tasks end `failed` with this error instead of completing. */
  checkFailure: { kind: string; message: string } | undefined;
  /**
   * The removals an offboarding of this email spawns, as the real agent does (agent/dispatch/offboard.ts):
   * one child task each, finished with this status when the parent completes; the parent's result
   * counts them. An email not listed has nothing to remove (result: 0 operations, no child).
   */
  readonly offboardChildren = new Map<string, Array<{ hubId: string; status: 'completed' | 'failed'; error?: string }>>();
  private seq = 0;
  private polls = new Map<string, number>();
  readonly tasksById = new Map<string, TaskView>();
  readonly membersByHub = new Map<string, MemberView[]>([
    ['acme-ads', [
      member('acme-ads', '1001', 'onboarded', 'jane@example.com', { directoryUserId: 'u-jane', hubRole: 'collaborator' }),
      member('acme-ads', '1002', 'unmatched', 'old.contractor@gmail.com', { candidates: ['u-raj'] }),
      member('acme-ads', 'invite:77', 'invited', 'raj@example.com', { kind: 'invite' }),
      member('acme-ads', '1003', 'guest', 'agency@partner.example', { kind: 'partner-user', partnerBusinessId: '555' }),
    ]],
    ['beta-shop', [member('beta-shop', '2001', 'onboarded', 'jane@example.com', { directoryUserId: 'u-jane' })]],
  ]);
  readonly reportsById = new Map<string, DeprovisioningReport>([
    ['r-1', { id: 'r-1', hubId: 'acme-ads', createdAt: at(1), status: 'open', items: [
      { memberId: '1002', email: 'old.contractor@gmail.com', action: 'remove-member', reason: 'not matched to any directory user' },
      { memberId: '1003', email: 'agency@partner.example', action: 'remove-member', reason: 'partner access expired' },
    ] }],
  ]);
  readonly approvalsById = new Map<string, Approval>([
    ['a-1', { id: 'a-1', hubId: 'beta-shop', createdAt: at(2), status: 'pending', explanation: 'would remove 3 of 5 members (60% > 20%)', operations: [{ kind: 'remove-member', summary: 'remove 2001' }], taskId: 't-halted' }],
  ]);
  readonly auditLog: AuditEntry[] = [];

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  /** Calls that change something (reads are not interesting to "nothing changed" assertions). */
  writes(): FakeCall[] {
    const reads = new Set(['hubs', 'hub', 'members', 'member', 'plan', 'task', 'tasks', 'reports', 'approvals', 'audit']);
    return this.calls.filter((c) => !reads.has(c.method));
  }

  private newTask(kind: string, trigger: Trigger, summary: string, hubId?: string, parentId?: string): TaskView {
    const id = `t-${++this.seq}`;
    const task: TaskView = { id, hubId, kind, status: 'queued', trigger, summary, attempts: 0, createdAt: at(10), updatedAt: at(10), parentId, progress: { done: 0, total: 4, phase: 'listing members' } };
    this.tasksById.set(id, task);
    this.auditLog.push({ seq: this.auditLog.length + 1, at: at(10), hubId, trigger, action: kind, why: summary, outcome: 'pending', taskId: id });
    return task;
  }

  private requirePerson(email?: string): string {
    if (!email || !this.people.has(email.toLowerCase())) throw new NotFoundError(`no directory user with email ${email ?? '(none)'}`);
    return email.toLowerCase();
  }

  async hubs(): Promise<HubSummary[]> {
    this.record('hubs');
    return [...this.membersByHub.keys()].map((id) => this.summary(id));
  }

  async hub(hubId: string): Promise<HubSummary | undefined> {
    this.record('hub', hubId);
    return this.membersByHub.has(hubId) ? this.summary(hubId) : undefined;
  }

  private summary(id: string): HubSummary {
    const counts = { onboarded: 0, invited: 0, lapsed: 0, unmatched: 0, guest: 0, exempted: 0 };
    for (const m of this.membersByHub.get(id) ?? []) counts[m.status]++;
    return { id, label: id === 'acme-ads' ? 'Acme Ads' : 'Beta Shop', connector: 'meta-business', identityProvider: 'okta', health: { status: 'ok', problems: [], failingTasks: 0, invitesNearExpiry: 0 }, memberCounts: counts };
  }

  async members(hubId: string, query: MemberQuery): Promise<Paged<MemberView>> {
    this.record('members', hubId, query);
    let items = (this.membersByHub.get(hubId) ?? []).filter((m) => (!query.status || m.status === query.status) && (!query.directoryStatus || m.directoryStatus === query.directoryStatus) && (!query.flag || m.otherSeats !== undefined));
    if (query.search) items = items.filter((m) => `${m.email} ${m.name}`.includes(query.search!));
    const offset = query.offset ?? 0;
    return { total: items.length, items: items.slice(offset, offset + (query.limit ?? 100)) };
  }

  async member(hubId: string, memberId: string): Promise<MemberView | undefined> {
    this.record('member', hubId, memberId);
    return this.membersByHub.get(hubId)?.find((m) => m.id === memberId);
  }

  private update(hubId: string, memberId: string, change: Partial<MemberView>): MemberView {
    const list = this.membersByHub.get(hubId) ?? [];
    const i = list.findIndex((m) => m.id === memberId);
    if (i < 0) throw new NotFoundError(`member ${memberId} of hub ${hubId}`);
    list[i] = { ...list[i], ...change };
    return list[i];
  }

  async matchMember(hubId: string, memberId: string, input: { directoryUserId: string; hubRole?: string }, trigger: Trigger, _options?: PersonChangeOptions): Promise<MemberView> {
    this.record('matchMember', hubId, memberId, input, trigger);
    return this.update(hubId, memberId, { status: 'onboarded', directoryUserId: input.directoryUserId, hubRole: input.hubRole });
  }

  async unmatchMember(hubId: string, memberId: string, trigger: Trigger, _options?: PersonChangeOptions): Promise<MemberView> {
    this.record('unmatchMember', hubId, memberId, trigger);
    return this.update(hubId, memberId, { status: 'unmatched', directoryUserId: undefined });
  }

  async exemptMember(hubId: string, memberId: string, input: { reason: string; until?: string }, trigger: Trigger): Promise<MemberView> {
    this.record('exemptMember', hubId, memberId, input, trigger);
    return this.update(hubId, memberId, { status: 'exempted', exemption: { ...input, by: trigger.actor ?? trigger.type, at: at(11) } });
  }

  async unexemptMember(hubId: string, memberId: string, trigger: Trigger): Promise<MemberView> {
    this.record('unexemptMember', hubId, memberId, trigger);
    return this.update(hubId, memberId, { status: 'unmatched', exemption: undefined });
  }

  async removeMember(hubId: string, memberId: string, trigger: Trigger, _options?: PersonChangeOptions): Promise<TaskView> {
    this.record('removeMember', hubId, memberId, trigger);
    return this.newTask('remove-member', trigger, `remove member ${memberId} from ${hubId}`, hubId);
  }

  async finishedRemoval(hubId: string, memberId: string): Promise<AuditEntry | undefined> {
    this.record('finishedRemoval', hubId, memberId);
    return this.auditLog.find((e) => e.hubId === hubId && e.subject?.memberId === memberId && (e.action === 'remove-member' || e.action === 'cancel-invite') && e.outcome === 'ok');
  }

  async registerGuest(hubId: string, input: { email: string; note?: string }, trigger: Trigger): Promise<void> {
    this.record('registerGuest', hubId, input, trigger);
  }

  async checkForUpdates(hubId: string, trigger: Trigger): Promise<TaskView> {
    this.record('checkForUpdates', hubId, trigger);
    return this.newTask('check-for-updates', trigger, `check ${hubId} for updates`, hubId);
  }

  async plan(hubId: string): Promise<PlannedOperation[]> {
    this.record('plan', hubId);
    return [{ kind: 'remove-member', summary: `remove old.contractor@gmail.com from ${hubId}`, memberId: '1002', email: 'old.contractor@gmail.com' }];
  }

  /** Each read advances a task; it completes after `pollsUntilDone` reads (a worker, faked). */
  async task(id: string): Promise<TaskView | undefined> {
    this.record('task', id);
    return this.advance(id);
  }

  private advance(id: string): TaskView | undefined {
    const task = this.tasksById.get(id);
    if (!task || task.status === 'completed' || task.status === 'failed') return task;
    const polls = (this.polls.get(id) ?? 0) + 1;
    this.polls.set(id, polls);
    const done = polls >= this.pollsUntilDone;
    const failure = done && task.kind === 'check-for-updates' ? this.checkFailure : undefined;
    const next: TaskView = { ...task, status: failure ? 'failed' : done ? 'completed' : 'running', ...(failure ? { lastError: failure } : {}), attempts: 1, updatedAt: at(12), progress: { done: done ? 4 : Math.min(3, polls * 2), total: 4, phase: done ? 'done' : 'listing members' }, ...(done ? { startedAt: at(11), completedAt: at(12), result: task.kind === 'check-for-updates' ? FAKE_CHECK_RESULT : { changed: 1 } } : {}) };
    if (done && task.kind === 'offboard') return this.finishOffboard(next);
    this.tasksById.set(id, next);
    return next;
  }

  /**
   * An offboarding parent ends after its children: they finish, and its result counts them; it
   * fails when one of them failed or was cancelled, as the real agent's (agent/dispatch/offboard.ts).
   */
  private finishOffboard(parent: TaskView): TaskView {
    const email = /^offboard (\S+) from every hub$/.exec(parent.summary)?.[1] ?? '';
    const children = this.offboardChildren.get(email) ?? [];
    for (const c of children) {
      const child = this.newTask('remove-member', parent.trigger, `remove ${email} from ${c.hubId}`, c.hubId, parent.id);
      this.tasksById.set(child.id, { ...child, status: c.status, attempts: 1, completedAt: at(12), ...(c.error ? { lastError: { kind: 'permission-denied', message: c.error } } : {}) });
    }
    const result = { hubs: [...new Set(children.map((c) => c.hubId))], operations: children.length, reported: [] };
    const failed = children.filter((c) => c.status === 'failed');
    const next: TaskView = failed.length === 0 ? { ...parent, result } : {
      ...parent, result, status: 'failed',
      lastError: { kind: 'internal', message: `${failed.length} of ${children.length} removal(s) did not happen: ${failed.map((c) => `remove ${email} from ${c.hubId}: failed (${c.error})`).join('; ')}` },
    };
    this.tasksById.set(parent.id, next);
    return next;
  }

  /** Sets a task's outcome directly (a test says how the agent's work ended). */
  finish(id: string, status: 'completed' | 'failed'): void {
    const task = this.tasksById.get(id);
    if (task) this.tasksById.set(id, { ...task, status, completedAt: at(13) });
  }

  async findTask(id: string): Promise<TaskView | undefined> {
    return this.task(id);
  }

  async tasks(query: TaskQuery): Promise<Paged<TaskView>> {
    this.record('tasks', query);
    for (const id of this.tasksById.keys()) this.advance(id);
    const items = [...this.tasksById.values()].filter((t) => (!query.hubId || t.hubId === query.hubId) && (!query.status || t.status === query.status) && (!query.kind || t.kind === query.kind) && (!query.parentId || t.parentId === query.parentId));
    return { total: items.length, items: items.slice(query.offset ?? 0, (query.offset ?? 0) + (query.limit ?? 100)) };
  }

  /** As the real agent's (agent/tasks/retry-task.ts), faked: a failed task of the hub is queued again once. */
  async retryTask(hubId: string, taskId: string, trigger: Trigger): Promise<TaskRetry> {
    this.record('retryTask', hubId, taskId, trigger);
    const failed = this.tasksById.get(taskId);
    if (!failed || failed.hubId !== hubId) throw new NotFoundError(`task ${taskId} of hub ${hubId}`);
    const mark = this.retries.get(taskId);
    if (mark) return { taskId: mark.taskId, task: this.tasksById.get(mark.taskId)!, retried: { ...failed, retry: mark }, alreadyDone: true, detail: `task "${taskId}" was already retried` };
    if (failed.status !== 'failed') throw Object.assign(new Error(`agent: task ${taskId} is ${failed.status}; only a failed task is retried`), { kind: 'conflict' });
    const task = this.newTask(failed.kind, trigger, failed.summary, hubId);
    const retry = { at: at(11), by: trigger.actor ?? trigger.type, ...(trigger.reason ? { reason: trigger.reason } : {}), taskId: task.id };
    this.retries.set(taskId, retry);
    return { taskId: task.id, task, retried: { ...failed, retry } };
  }

  private readonly retries = new Map<string, TaskRetryMark>();

  async reports(hubId?: string): Promise<DeprovisioningReport[]> {
    this.record('reports', hubId);
    return [...this.reportsById.values()].filter((r) => !hubId || r.hubId === hubId);
  }

  async applyReport(reportId: string, memberIds: string[] | 'all', trigger: Trigger): Promise<DeprovisioningReport> {
    this.record('applyReport', reportId, memberIds, trigger);
    const report = this.reportsById.get(reportId);
    if (!report) throw new NotFoundError(`report ${reportId}`);
    const items = report.items.map((i) => (memberIds === 'all' || memberIds.includes(i.memberId) ? { ...i, appliedAt: at(14) } : i));
    const next: DeprovisioningReport = { ...report, items, status: items.every((i) => i.appliedAt) ? 'applied' : 'partially-applied' };
    this.reportsById.set(reportId, next);
    return next;
  }

  async approvals(hubId?: string): Promise<Approval[]> {
    this.record('approvals', hubId);
    return [...this.approvalsById.values()].filter((a) => !hubId || a.hubId === hubId);
  }

  async decideApproval(approvalId: string, decision: 'approve' | 'reject', trigger: Trigger): Promise<Approval> {
    this.record('decideApproval', approvalId, decision, trigger);
    const approval = this.approvalsById.get(approvalId);
    if (!approval) throw new NotFoundError(`approval ${approvalId}`);
    const next: Approval = { ...approval, status: decision === 'approve' ? 'approved' : 'rejected' };
    this.approvalsById.set(approvalId, next);
    return next;
  }

  async audit(query: AuditQuery): Promise<Paged<AuditEntry>> {
    this.record('audit', query);
    // The agent's own query (filters, order, cursor) over this log, newest first.
    const log = this.auditLog.filter((e) => !query.hubId || e.hubId === query.hubId).sort((a, b) => b.seq - a.seq);
    return queryAudit({ async *newestFirst() { yield* log; } } as unknown as Pick<Store, 'newestFirst'>, query);
  }

  async suspendPerson(person: { email?: string; userName?: string; externalId?: string }, suspended: boolean, trigger: Trigger): Promise<TaskView[]> {
    this.record('suspendPerson', person, suspended, trigger);
    const email = this.requirePerson(person.email ?? person.userName);
    return [this.newTask('reevaluate-person', trigger, `re-evaluate ${email} on acme-ads (${suspended ? 'suspended' : 'unsuspended'})`, 'acme-ads')];
  }

  async reevaluatePerson(person: { email?: string; userName?: string; externalId?: string }, trigger: Trigger): Promise<TaskView[]> {
    this.record('reevaluatePerson', person, trigger);
    const email = this.requirePerson(person.email ?? person.userName);
    return [this.newTask('reevaluate-person', trigger, `re-evaluate ${email} on acme-ads`, 'acme-ads')];
  }

  /** Offers by email; jane has one open and one expired. */
  readonly offerList = new Map<string, OfferView[]>([['jane@example.com', [
    { id: 'offer-1', hubId: 'acme-ads', collection: 'brand-hubs', appRole: 'EMPLOYEE', assets: [{ type: 'page', id: '222', tasks: ['ANALYZE'] }], status: 'offered', offeredAt: at(0), expiresAt: '2026-12-23T09:00:00.000Z' },
    { id: 'offer-2', hubId: 'acme-ads', appRole: 'EMPLOYEE', assets: [], status: 'expired', offeredAt: at(1), expiresAt: at(2) },
  ]]]);

  async offers(email: string): Promise<OfferView[]> {
    this.record('offers', email);
    return this.offerList.get(email.toLowerCase()) ?? [];
  }

  async claimOffer(email: string, offerId: string, trigger: Trigger): Promise<TaskView> {
    this.record('claimOffer', email, offerId, trigger);
    return this.claim(email, offerId, trigger);
  }

  /** The fake directory has one person per email, so a signed-in claimant is their email's person. */
  async claimOwnOffer(person: SignedInClaimant, offerId: string, trigger: Trigger): Promise<TaskView> {
    this.record('claimOwnOffer', person, offerId, trigger);
    return this.claim(person.email, offerId, trigger);
  }

  private async claim(email: string, offerId: string, trigger: Trigger): Promise<TaskView> {
    const offer = this.offerList.get(email.toLowerCase())?.find((o) => o.id === offerId);
    if (!offer) throw new NotFoundError(`agent: ${email} has no offer ${offerId}`);
    if (offer.status === 'expired') throw Object.assign(new Error(`agent: offer ${offerId} expired on ${offer.expiresAt}`), { kind: 'conflict' });
    offer.status = 'claimed';
    return this.newTask('reconcile-person', trigger, `grant ${email} the claimed offer ${offerId}`, offer.hubId);
  }

  async offboard(person: { email?: string; userName?: string; externalId?: string }, trigger: Trigger): Promise<TaskView> {
    this.record('offboard', person, trigger);
    const email = this.requirePerson(person.email ?? person.userName);
    return this.newTask('offboard', trigger, `offboard ${email} from every hub`);
  }
}
