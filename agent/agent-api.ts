import type { HubConfigFile } from '../config/schema.ts';
import { sameTrigger } from './audit/same-trigger.ts';
import type { HubConnector } from '../connectors/sdk/connector.ts';
import { AgentError } from './agent-error.ts';
import { noMemberCounts, type AgentApi, type Approval, type HubHealth, type HubSummary, type MemberStatus, type TaskView } from './api.ts';
import { subjectOf } from './tasks/operations/audit-subject.ts';
import { appendAudit } from './audit/audit-log.ts';
import { queryAudit } from './audit/audit-query.ts';
import type { Trigger } from './desired-state/delta.ts';
import { findPerson, hubsOfTrigger, type PersonRef } from './dispatch/find-person.ts';
import { ambiguousPerson, ambiguousText } from './dispatch/ambiguous-person.ts';
import type { DirectoryUserRecord } from './desired-state/directory-records.ts';
import { offboardMayReport } from './dispatch/offboard.ts';
import { offboardApprovalDecided } from './dispatch/offboard-brake.ts';
import { finishedOffboardRepeated } from './dispatch/offboard-repeat.ts';
import { planHub, toPlannedOperations } from './plan/plan-hub.ts';
import type { Operation } from './plan/operation.ts';
import { findApproval, type ApprovalRecord } from './safety/approvals.ts';
import { recordAccessRemovals } from './safety/removal-window.ts';
import { releaseClaimedSeats } from './safety/claimed-seats.ts';
import { defineHeldIndexes } from './safety/held-indexes.ts';
import { closedReport, findReport, toReportView, type ReportRecord } from './safety/reports.ts';
import type { Store, Transaction } from './store/store.ts';
import { enqueueTask, taskByKey, updateTask } from './tasks/enqueue.ts';
import { replanPerson } from './dispatch/replan-person.ts';
import type { TaskHandler } from './tasks/handler.ts';
import { requestCheckForUpdates } from './check-for-updates/request.ts';
import { enqueueOperation } from './tasks/operations/enqueue-operation.ts';
import { findTask, findTaskAnywhere, queryTasks } from './tasks/task-query.ts';
import { retryFailedTask } from './tasks/retry-task.ts';
import { removeAsOwner } from './members/owner-removal.ts';
import { finishedRemovalOf } from './members/finished-removal.ts';
import { seatHoldersIn } from './members/seat-holders.ts';
import { defineParentIndex } from './tasks/parent-tasks.ts';
import { defineTaskKeyIndex, toTaskView, type TaskRecord } from './tasks/task-record.ts';
import { claimOffer, claimOwnOffer, offersOf } from './offers/offer-api.ts';

/**
 * What the member side of the agent (agent/members, agent/check-for-updates) provides; the
 * runtime delegates these AgentApi methods to it. `handlers` adds its task kinds (the
 * `check-for-updates` handler), `health` and `memberCounts` enrich hub summaries.
 */
export type MemberService = Pick<AgentApi, 'members' | 'member' | 'matchMember' | 'unmatchMember' | 'exemptMember' | 'unexemptMember' | 'registerGuest'>
  & Partial<Pick<AgentApi, 'removeMember' | 'checkForUpdates'>> & {
  handlers?: TaskHandler[];
  health?(hubId: string): Promise<Partial<HubHealth> | undefined>;
  memberCounts?(hubId: string): Promise<Record<MemberStatus, number> | undefined>;
};

export interface AgentApiDeps {
  store: Store;
  hubs: () => ReadonlyMap<string, HubConfigFile>;
  connectorFor: (hubId: string) => HubConnector | undefined;
  members?: MemberService;
  clock: () => number;
}

/** Every method it stands for returns a promise, so the refusal is a rejection (never a synchronous throw). */
const notProvided = (what: string) => () => Promise.reject(new AgentError('unavailable', `agent: ${what} is not available (no member service wired)`));

export function createAgentApi(d: AgentApiDeps): AgentApi {
  const { store } = d;
  defineHeldIndexes(store);
  defineTaskKeyIndex(store); // an offboarding's earlier runs (dispatch/offboard-repeat.ts)
  defineParentIndex(store); // an approved offboarding's children (dispatch/offboard-brake.ts)
  const now = () => new Date(d.clock());
  const hubOf = (hubId: string) => {
    const hub = d.hubs().get(hubId);
    if (!hub) throw new AgentError('not-found', `agent: no hub "${hubId}" in the config`);
    return hub;
  };
  const viewOf = async (id: string) => {
    const t = await findTask(store, id);
    if (!t) throw new Error(`agent: task ${id} vanished`);
    return toTaskView(t);
  };

  async function summary(hub: HubConfigFile): Promise<HubSummary> {
    const state = await store.get('hubStates', '', hub.id);
    const imp = await store.get('appImports', hub.id, hub.id);
    const extra = (await d.members?.health?.(hub.id)) ?? {};
    // The hub health's own count when there is one (agent/health/hub-health.ts): the number its
    // problems and status are made of. Counted here by another rule (every failed task, however
    // old), the card's "Failing tasks" disagreed with the problem line and status beside it.
    // Without hub health: failed tasks (but those an owner retried: the retry's task counts
    // instead), and tasks retrying after an error other than a rate limit (waiting one out is normal).
    let failingTasks = extra.failingTasks ?? 0;
    if (extra.failingTasks === undefined) {
      for await (const t of store.list('tasks', hub.id)) if ((t.status === 'failed' && !t.retried) || (t.status === 'waiting' && t.lastError && t.lastError.kind !== 'rate-limited')) failingTasks++;
    }
    const problems = [...(extra.problems ?? [])];
    if (state?.paused) problems.unshift(`paused: ${state.pausedReason}`);
    const given = await d.members?.memberCounts?.(hub.id);
    const counts: Record<MemberStatus, number> = given ?? noMemberCounts();
    if (!given) {
      for await (const m of store.list('memberMatches', hub.id)) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1;
      counts.invited = 0;
      // A lapsed invite (expired, declined) holds no seat: counted apart (agent/api.ts MEMBER_STATUSES).
      for await (const i of store.list('appInvites', hub.id)) if (i.status === 'pending') counts.invited++; else if (i.status !== 'accepted') counts.lapsed++;
    }
    return {
      id: hub.id, label: hub.label ?? hub.id, connector: hub.connector, identityProvider: hub.identityProvider,
      health: {
        invitesNearExpiry: 0,
        ...extra,
        status: state?.paused ? 'paused' : extra.status ?? (imp?.complete ? (failingTasks > 0 ? 'degraded' : 'ok') : 'unknown'),
        problems, failingTasks,
        ...(state?.paused ? { pausedReason: state.pausedReason } : {}),
      },
      memberCounts: counts,
    };
  }

  /** Stages one operation task per op in `tx` (one after another: each may read what the last staged). */
  async function enqueueOps(tx: Transaction, hub: HubConfigFile, ops: Operation[], trigger: Trigger, parentId?: string): Promise<string[]> {
    const ids: string[] = [];
    for (const op of ops) ids.push((await enqueueOperation(tx, { hub, op, trigger, parentId, now: now() })).id);
    return ids;
  }

  /** The person's directory user on each hub that has one (by email, userName or externalId) and that the trigger's identity provider governs (hubsOfTrigger), read in `tx`. */
  async function directoryUsersOf(tx: Transaction, person: PersonRef, trigger: Trigger): Promise<Array<{ hub: HubConfigFile; user: DirectoryUserRecord }>> {
    return (await findPerson(tx, hubsOfTrigger(d.hubs().values(), trigger), person, trigger)).flatMap((f) => (f.user ? [{ hub: f.hub, user: f.user }] : []));
  }

  /** Queues a re-evaluation of each found user on their hub (an unstarted one is reused). */
  async function queueReplans(tx: Transaction, found: ReadonlyArray<{ hub: HubConfigFile; user: DirectoryUserRecord }>, trigger: Trigger, at: Date, note = ''): Promise<TaskRecord[]> {
    const queued: TaskRecord[] = [];
    for (const { hub, user } of found) {
      queued.push(await enqueueTask(tx, {
        hubId: hub.id, ...replanPerson({ directoryUserId: user.id }, trigger, `re-evaluate ${user.userName} on hub ${hub.id}${note}`), reuse: 'unstarted', now: at,
      }));
    }
    return queued;
  }

  return {
    hubs: () => Promise.all([...d.hubs().values()].map(summary)),
    hub: async (id) => {
      const hub = d.hubs().get(id);
      return hub ? summary(hub) : undefined;
    },

    members: d.members?.members.bind(d.members) ?? notProvided('members'),
    member: d.members?.member.bind(d.members) ?? notProvided('member'),
    matchMember: d.members?.matchMember.bind(d.members) ?? notProvided('matchMember'),
    unmatchMember: d.members?.unmatchMember.bind(d.members) ?? notProvided('unmatchMember'),
    exemptMember: d.members?.exemptMember.bind(d.members) ?? notProvided('exemptMember'),
    unexemptMember: d.members?.unexemptMember.bind(d.members) ?? notProvided('unexemptMember'),
    registerGuest: d.members?.registerGuest.bind(d.members) ?? notProvided('registerGuest'),

    async removeMember(hubId, memberId, trigger, options) {
      if (d.members?.removeMember) return d.members.removeMember(hubId, memberId, trigger, options);
      const hub = hubOf(hubId);
      // The same builder and checks as every removal (complete listing, exemption, last admin).
      const task = await removeAsOwner(store, hub, memberId, trigger, now, options);
      return toTaskView(task);
    },

    finishedRemoval: (hubId, memberId) => finishedRemovalOf(store, hubId, memberId, now()),

    async checkForUpdates(hubId, trigger) {
      if (d.members?.checkForUpdates) return d.members.checkForUpdates(hubId, trigger);
      hubOf(hubId);
      // The check runs while the hub is paused and resumes it when the credential works again.
      const task = await store.transact((tx) => requestCheckForUpdates(tx, hubId, trigger, now()));
      return toTaskView(task);
    },

    async plan(hubId) {
      const hub = hubOf(hubId);
      return toPlannedOperations(await planHub(store, hub, { now: now() }));
    },

    task: async (id) => {
      const t = await findTask(store, id);
      return t ? toTaskView(t) : undefined;
    },
    findTask: async (id) => {
      const t = await findTaskAnywhere(store, id);
      return t ? toTaskView(t) : undefined;
    },
    tasks: (q) => queryTasks(store, q),
    retryTask: (hubId, taskId, trigger) => retryFailedTask(store, hubOf(hubId), taskId, trigger, now),

    reports: async (hubId) => {
      const parts = hubId !== undefined ? [hubId] : await store.partitions('reports');
      const all: Array<Readonly<ReportRecord>> = [];
      for (const p of parts) for await (const r of store.list('reports', p)) all.push(r);
      return all.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).map(toReportView);
    },

    async applyReport(reportId, memberIds, trigger, options) {
      const report = await store.transact(async (tx) => {
        let r = await findReport(tx, reportId);
        if (!r) throw new AgentError('not-found', `agent: no deprovisioning report ${reportId}`);
        const closed = closedReport(r);
        if (closed) throw closed;
        const hub = hubOf(r.hubId);
        // An item whose seat became another active user's (a rehire) is taken out here, in the transaction
        // that would queue it (safety/claimed-seats.ts); a report left with none is withdrawn, committed, refused below.
        if (await releaseClaimedSeats(tx, hub, { trigger, now: now() }, { approvals: [], report: r }) > 0) r = (await tx.get('reports', r.hubId, r.id))!;
        if (r.status === 'withdrawn') return r;
        const withdrawn = r.withdrawn ?? {};
        const wanted = memberIds === 'all' ? undefined : new Set(memberIds.filter((id) => !(id in withdrawn && !r!.items.some((i) => i.memberId === id))));
        if (wanted) for (const id of wanted) if (!r.items.some((i) => i.memberId === id)) throw new AgentError('not-found', `agent: report ${reportId} has no item for member ${id}`);
        // The caller's check sees the items applied and whom their seats are matched to in this
        // transaction: a re-match committed after the caller's own reads is judged here (api.ts ReportApplyOptions).
        if (options?.within) {
          const applying = r.items.filter((i) => !i.appliedAt && (!wanted || wanted.has(i.memberId)) && r.operations[i.memberId]);
          const holders = await seatHoldersIn(tx, r.hubId, [...new Set(applying.map((i) => i.memberId))], now());
          await options.within(tx, applying.map((item) => ({ item, holders: holders.get(item.memberId) ?? [] })));
        }
        const at = now().toISOString();
        const items: typeof r.items = [];
        for (const item of r.items) {
          const op = item.appliedAt || (wanted && !wanted.has(item.memberId)) ? undefined : r.operations[item.memberId];
          if (!op) {
            items.push(item);
            continue;
          }
          const [taskId] = await enqueueOps(tx, hub, [op], trigger);
          appendAudit(tx, { hubId: hub.id, trigger, action: 'apply-report', subject: { email: item.email, directoryUserId: item.directoryUserId, memberId: item.memberId }, why: `${item.reason}: applied from report ${r.id}`, outcome: 'ok', taskId });
          items.push({ ...item, appliedAt: at, taskId });
        }
        // Let through by an owner, they count in the threshold's window as an approval's do: a
        // removal wave that goes on in the settle lane (people leaving groups) is judged with them.
        const applied = items.filter((i) => i.appliedAt === at).flatMap((i) => { const o = r.operations[i.memberId]; return o ? [o] : []; });
        await recordAccessRemovals(tx, r.hubId, applied, new Date(at), hub.safety.removalWindowMinutes * 60_000);
        const next = { ...r, items, status: items.every((i) => i.appliedAt) ? 'applied' as const : 'partially-applied' as const };
        tx.put('reports', r.hubId, r.id, next);
        return next;
      });
      if (report.status === 'withdrawn') throw closedReport(report)!;
      return toReportView(report);
    },

    approvals: async (hubId) => {
      const parts = hubId !== undefined ? [hubId] : await store.partitions('approvals');
      const out: Approval[] = [];
      for (const p of parts) for await (const { planned: _p, decidedBy: _b, decidedAt: _a, offboard: _o, offboardOf: _w, joined: _j, plannedAt: _t, directoryVersions: _v, ...a } of store.list('approvals', p)) out.push(a as Approval);
      return out;
    },

    async decideApproval(approvalId, decision, trigger, options) {
      const approval = await store.transact(async (tx) => {
        await options?.within?.(tx);
        let a = await findApproval(tx, approvalId);
        if (!a) throw new AgentError('not-found', `agent: no approval ${approvalId}`);
        // A removal of a seat that became another active user's (a rehire with the leaver's email)
        // is taken out here, in the transaction that would queue it (safety/claimed-seats.ts);
        // an approval left with nothing is withdrawn, committed, then refused below.
        if (decision === 'approve' && a.status === 'pending' && !a.offboard && await releaseClaimedSeats(tx, hubOf(a.hubId), { trigger, now: now() }, { approvals: [a] }) > 0) {
          a = (await tx.get('approvals', a.hubId, a.id))!;
          if (a.status === 'withdrawn') return a;
        }
        if (a.status === 'superseded') throw new AgentError('conflict', `agent: approval ${approvalId} was superseded by approval ${a.supersededBy}, which holds other operations (a plan halted again, or another offboarding of the same person added seats); review and decide that one`);
        if (a.status === 'withdrawn') throw new AgentError('conflict', `agent: approval ${approvalId} was withdrawn before anyone decided it (${a.withdrawnBecause ?? 'no longer planned'}); nothing was run`);
        if (a.status !== 'pending') throw new AgentError('conflict', `agent: approval ${approvalId} was already ${a.status}`);
        const hub = hubOf(a.hubId);
        const at = now();
        const next: ApprovalRecord = { ...a, status: decision === 'approve' ? 'approved' : 'rejected', decidedBy: trigger.actor ?? trigger.type, decidedAt: at.toISOString() };
        tx.put('approvals', a.hubId, a.id, next);
        // An offboarding's approval (dispatch/offboard-brake.ts) names the offboarding, not a hub's task: it goes on there.
        const task = a.offboard ? undefined : await tx.get('tasks', a.hubId, a.taskId);
        const offboard = a.offboard ? await offboardApprovalDecided(tx, a, decision === 'approve', hub, trigger, at) : undefined;
        if (decision === 'approve') {
          const ids = offboard?.ids ?? await enqueueOps(tx, hub, a.planned, trigger, a.taskId);
          // Let through by an owner, they count in the threshold's window like those it let
          // through itself: a mass deactivation that goes on after the approval, one person at a
          // time, halts again instead of trickling under the threshold. (An offboarding's removal
          // that no longer stood was not queued: not counted.)
          await recordAccessRemovals(tx, a.hubId, offboard?.queued ?? a.planned, at, hub.safety.removalWindowMinutes * 60_000);
          if (task?.status === 'needs-approval') await updateTask(tx, task, { status: 'completed', completedAt: at.toISOString(), result: { approvedBy: next.decidedBy, operations: ids.length } }, at);
        } else {
          if (task?.status === 'needs-approval') await updateTask(tx, task, { status: 'cancelled', completedAt: at.toISOString(), result: { rejectedBy: next.decidedBy } }, at);
          // Each held change, in its person's trail: not done, and who said so.
          for (const op of a.planned) {
            appendAudit(tx, { hubId: a.hubId, trigger, action: op.kind, subject: subjectOf(op), taskId: a.taskId,
              why: `${op.summary}: not done, approval ${a.id} rejected by ${next.decidedBy}`, outcome: 'skipped', detail: { approvalId: a.id } });
          }
        }
        appendAudit(tx, { hubId: a.hubId, trigger, action: decision === 'approve' ? 'approval-approved' : 'approval-rejected', subject: { label: `approval ${a.id}` }, why: a.explanation, outcome: 'ok', taskId: a.taskId, detail: { operations: a.planned.length } });
        return next;
      });
      if (approval.status === 'withdrawn') throw new AgentError('conflict', `agent: approval ${approvalId} was withdrawn before anyone decided it (${approval.withdrawnBecause ?? 'no longer planned'}); nothing was run`);
      const { planned: _p, decidedBy: _b, decidedAt: _a, offboard: _o, offboardOf: _w, joined: _j, plannedAt: _t, directoryVersions: _v, ...view } = approval;
      return view;
    },

    audit: (q) => queryAudit(store, q),

    async reevaluatePerson(person, trigger, options) {
      // Who the person is on each hub is read in the transaction that queues their re-evaluation.
      const tasks = await store.transact(async (tx) => {
        await options?.within?.(tx);
        return queueReplans(tx, await directoryUsersOf(tx, person, trigger), trigger, now());
      });
      return tasks.map((t) => toTaskView(t));
    },

    async suspendPerson(person, suspended, trigger, options) {
      // The flag and each hub's re-evaluation commit together (the outbox rule): a suspended
      // person's seats go as a deactivated person's do (the hub's deprovisioning policy, the
      // removal threshold); unsuspended, they are planned again.
      const tasks = await store.transact(async (tx) => {
        await options?.within?.(tx);
        const found = await directoryUsersOf(tx, person, trigger);
        if (found.length === 0) throw new AgentError('not-found', `agent: no directory user ${person.email ?? person.userName ?? person.externalId ?? '(nobody)'} on any hub`);
        const at = now();
        for (const { hub, user } of found) {
          if (Boolean(user.suspended) === suspended) continue;
          const { suspended: _was, ...rest } = user;
          tx.put('directoryUsers', hub.id, user.id, suspended ? { ...rest, suspended: { at: at.toISOString(), by: trigger.actor ?? trigger.type } } : rest);
          appendAudit(tx, { hubId: hub.id, trigger, action: suspended ? 'user-suspended' : 'user-unsuspended', subject: { email: user.email, directoryUserId: user.id },
            why: suspended ? `${user.userName} suspended in the IdP: holds no seat until unsuspended` : `${user.userName} unsuspended in the IdP: planned again`, outcome: 'ok' });
        }
        return queueReplans(tx, found, trigger, at, ` (${suspended ? 'suspended' : 'unsuspended'})`);
      });
      return tasks.map((t) => toTaskView(t));
    },

    offers: async (email) => offersOf(store, d.hubs().values(), email, now()),
    // A scoped admin token's claim finds offers on its hubs only: another hub's is not found.
    claimOffer: (email, offerId, trigger) => claimOffer(store, hubsOfTrigger(d.hubs().values(), trigger), email, offerId, trigger, now()),
    claimOwnOffer: (person, offerId, trigger) => claimOwnOffer(store, d.hubs().values(), person, offerId, trigger, now()),

    async offboard(person, trigger, options) {
      const label = person.directoryUserId !== undefined ? `directory user ${person.directoryUserId}` : person.email ?? person.userName ?? person.externalId ?? '(nobody)';
      if (!person.email && !person.userName && !person.externalId && !person.directoryUserId) throw new AgentError('invalid-argument', 'agent: offboard needs an email, userName, externalId or directoryUserId');
      // An Okta event's offboarding covers the hubs its org governs (hubsOfTrigger): its own key, so
      // one of another org's is never answered with it (an explicit one, of every hub, still is).
      // An admin token scoped to some hubs offboards from those only (hubsOfTrigger): its scope is
      // in the key too, so an offboarding of every hub is never answered with a scoped one (its
      // other hubs' seats would stay), nor a scoped one with one of every hub (or another scope).
      // A directory user id keeps its case (an opaque SCIM id, RFC 7643 §3.1): one key per user.
      const unscoped = person.directoryUserId !== undefined ? `offboard:user:${person.directoryUserId}` : `offboard:${label.toLowerCase()}`;
      const scope = trigger.hubs ? [...new Set(trigger.hubs)].sort() : undefined;
      const key = `${trigger.type === 'okta-event-hook' && trigger.idp ? `${unscoped}@${trigger.idp}` : unscoped}${scope ? `#hubs=${scope.join(',')}` : ''}`;
      const summary = `offboard ${label} from ${scope ? `hub${scope.length > 1 ? 's' : ''} ${scope.join(', ')}` : 'every hub'}`;
      const task = await store.transact(async (tx): Promise<TaskRecord | { refused: AgentError }> => {
        await options?.within?.(tx);
        // Several accounts on a hub, one or more active (a leaver and their rehire), or a leaver the
        // IdP deleted and a user with their email created after it was: refused, the refusal committed to
        // the audit log (who asked, which ids), then thrown.
        const found = await findPerson(tx, hubsOfTrigger(d.hubs().values(), trigger), person, trigger);
        const ambiguous = await ambiguousPerson(tx, found, person);
        if (ambiguous.length > 0) {
          const refused = new AgentError('conflict', ambiguousText(label, ambiguous, found));
          for (const a of ambiguous) {
            appendAudit(tx, { hubId: a.hubId, trigger, action: 'offboard-requested', subject: person.email ? { email: person.email } : { label },
              why: `${summary}: refused, ${refused.message.replace(/^agent: /, '')}`, outcome: 'failed', detail: { directoryUserIds: a.directoryUserIds, ...(a.departed ? { departedUserIds: a.departed.map((x) => x.id) } : {}) }, at: now().toISOString() });
          }
          return { refused };
        }
        if (person.directoryUserId !== undefined && !found.some((f) => f.user)) {
          const refused = new AgentError('not-found', `agent: no directory user ${person.directoryUserId}${person.email ? ' with this email' : ''} on any hub${trigger.hubs ? ' of this token' : ''}`);
          // A leaver action asked for and not done: in the audit log as the ambiguous one above is
          // (a workflow's mistyped id left the leaver's seats in place with no trace but its 404).
          appendAudit(tx, { trigger, action: 'offboard-requested', subject: person.email ? { email: person.email, directoryUserId: person.directoryUserId } : { directoryUserId: person.directoryUserId },
            why: `${summary}: refused, ${refused.message.replace(/^agent: /, '')}`, outcome: 'failed', at: now().toISOString() });
          return { refused };
        }
        // An event hook's offboarding may only fill the deprovisioning report (offboardGoesToReport),
        // so it has a key of its own: an explicit leaver action (Okta Workflows, which the docs pair
        // with the hook on the same "User Deactivated", Lifecycle Workflows, the CLI) arriving while
        // it is queued must remove at once, not be answered with it. A hook finding an explicit
        // offboarding unfinished takes that one: it removes at least as much.
        const reports = offboardMayReport(trigger);
        const ownKey = reports ? `${key}:${trigger.type}` : key;
        const queued = reports
          ? (await taskByKey(tx, '', key)) ?? (key !== unscoped ? await taskByKey(tx, '', unscoped) : undefined) ?? await taskByKey(tx, '', ownKey)
          : await taskByKey(tx, '', ownKey);
        if (!queued) {
          // Asked again after it completed, nothing changed since (offboard-repeat.ts): answered
          // with that task, nothing queued; audited only when another caller or reason asked.
          const done = await finishedOffboardRepeated(tx, ownKey, found, trigger, now());
          if (!done) return enqueueTask(tx, { kind: 'offboard', payload: person, idempotencyKey: ownKey, trigger, summary, now: now() });
          if (!sameTrigger(done.trigger, trigger)) {
            appendAudit(tx, { trigger, taskId: done.id, action: 'offboard-requested', subject: person.email ? { email: person.email } : { label },
              why: `${summary}: asked again after offboarding task ${done.id} completed, nothing changed since; no second offboarding queued`, outcome: 'already-done', detail: { alreadyDone: true }, at: now().toISOString() });
          }
          return done;
        }
        // Answered with the offboarding already under way, this request's own who and why (its
        // trigger) reached no record: the audit log says who asked again and why. The request
        // that queued it, repeated (a workflow retrying it), is the task's own trigger already.
        if (!sameTrigger(queued.trigger, trigger)) {
          appendAudit(tx, { trigger, taskId: queued.id, action: 'offboard-requested', subject: person.email ? { email: person.email } : { label },
            why: `${summary}: asked again while offboarding task ${queued.id} is ${queued.status}; no second offboarding queued`, outcome: 'pending', detail: { alreadyQueued: true }, at: now().toISOString() });
        }
        return queued;
      });
      if ('refused' in task) throw task.refused;
      return viewOf(task.id);
    },
  } satisfies AgentApi;
}
