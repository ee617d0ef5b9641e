import type { HubConfigFile } from '../config/schema.ts';
import type { HubConnector } from '../connectors/sdk/connector.ts';
import { AgentError } from './agent-error.ts';
import type { AgentApi, Approval, HubHealth, HubSummary, MemberStatus, TaskView } from './api.ts';
import { appendAudit } from './audit/audit-log.ts';
import { queryAudit } from './audit/audit-query.ts';
import type { Trigger } from './desired-state/delta.ts';
import { findPerson } from './dispatch/find-person.ts';
import { planHub, toPlannedOperations } from './plan/plan-hub.ts';
import type { Operation } from './plan/operation.ts';
import { findApproval, type ApprovalRecord } from './safety/approvals.ts';
import { findReport, toReportView } from './safety/reports.ts';
import type { Store } from './store/store.ts';
import { enqueueTask, updateTask } from './tasks/enqueue.ts';
import type { TaskHandler } from './tasks/handler.ts';
import { requestCheckForUpdates } from './check-for-updates/request.ts';
import { enqueueOperation } from './tasks/operations/enqueue-operation.ts';
import { findTask, queryTasks } from './tasks/task-query.ts';
import { queueOwnerRemoval } from './members/owner-removal.ts';
import { toTaskView } from './tasks/task-record.ts';

/**
 * What the member side of the agent (agent/members, agent/check-for-updates) provides; the
 * runtime delegates these AgentApi methods to it. `handlers` adds its task kinds (the
 * `check-for-updates` handler), `health` and `memberCounts` enrich hub summaries.
 */
export type MemberService = Pick<AgentApi, 'members' | 'member' | 'matchMember' | 'unmatchMember' | 'exemptMember' | 'unexemptMember' | 'registerGuest'>
  & Partial<Pick<AgentApi, 'removeMember' | 'checkForUpdates'>> & {
  handlers?: TaskHandler[];
  health?(hubId: string): Partial<HubHealth> | undefined;
  memberCounts?(hubId: string): Record<MemberStatus, number> | undefined;
};

export interface AgentApiDeps {
  store: Store;
  hubs: () => ReadonlyMap<string, HubConfigFile>;
  connectorFor: (hubId: string) => HubConnector | undefined;
  members?: MemberService;
  clock: () => number;
}

const notProvided = (what: string) => () => { throw new AgentError('unavailable', `agent: ${what} is not available (no member service wired)`); };

export function createAgentApi(d: AgentApiDeps): AgentApi {
  const { store } = d;
  const now = () => new Date(d.clock());
  const hubOf = (hubId: string) => {
    const hub = d.hubs().get(hubId);
    if (!hub) throw new AgentError('not-found', `agent: no hub "${hubId}" in the config`);
    return hub;
  };
  const viewOf = (id: string) => {
    const t = findTask(store, id);
    if (!t) throw new Error(`agent: task ${id} vanished`);
    return toTaskView(t);
  };

  function summary(hub: HubConfigFile): HubSummary {
    const state = store.get('hubStates', '', hub.id);
    // Failed tasks, and tasks retrying after an error other than a rate limit (waiting out a limit is normal).
    const failingTasks = [...store.list('tasks', hub.id)].filter((t) => t.status === 'failed' || (t.status === 'waiting' && t.lastError && t.lastError.kind !== 'rate-limited')).length;
    const imp = store.get('appImports', hub.id, hub.id);
    const extra = d.members?.health?.(hub.id) ?? {};
    const problems = [...(extra.problems ?? [])];
    if (state?.paused) problems.unshift(`paused: ${state.pausedReason}`);
    const given = d.members?.memberCounts?.(hub.id);
    const counts: Record<MemberStatus, number> = given ?? { onboarded: 0, invited: 0, unmatched: 0, guest: 0, exempted: 0 };
    if (!given) {
      for (const m of store.list('memberMatches', hub.id)) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1;
      counts.invited = [...store.list('appInvites', hub.id)].filter((i) => i.status === 'pending').length;
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

  function enqueueOps(tx: Parameters<Parameters<Store['transact']>[0]>[0], hub: HubConfigFile, ops: Operation[], trigger: Trigger, parentId?: string): string[] {
    return ops.map((op) => enqueueOperation(tx, { hub, op, trigger, parentId, now: now() }).id);
  }

  return {
    hubs: () => [...d.hubs().values()].map(summary),
    hub: (id) => {
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

    async removeMember(hubId, memberId, trigger) {
      if (d.members?.removeMember) return d.members.removeMember(hubId, memberId, trigger);
      const hub = hubOf(hubId);
      // The same builder and checks as every removal (complete listing, exemption, last admin).
      const task = await store.transact((tx) => queueOwnerRemoval(tx, hub, memberId, trigger, now()));
      return toTaskView(task);
    },

    async checkForUpdates(hubId, trigger) {
      if (d.members?.checkForUpdates) return d.members.checkForUpdates(hubId, trigger);
      hubOf(hubId);
      // The check runs while the hub is paused and resumes it when the credential works again.
      const task = await store.transact((tx) => requestCheckForUpdates(tx, hubId, trigger, now()));
      return toTaskView(task);
    },

    async plan(hubId) {
      const hub = hubOf(hubId);
      return toPlannedOperations(planHub(store, hub, { now: now() }));
    },

    task: (id) => {
      const t = findTask(store, id);
      return t ? toTaskView(t) : undefined;
    },
    tasks: (q) => queryTasks(store, q),

    reports: (hubId) => {
      const parts = hubId !== undefined ? [hubId] : store.partitions('reports');
      return parts.flatMap((p) => [...store.list('reports', p)]).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).map(toReportView);
    },

    async applyReport(reportId, memberIds, trigger) {
      const report = await store.transact((tx) => {
        const r = findReport(tx, reportId);
        if (!r) throw new AgentError('not-found', `agent: no deprovisioning report ${reportId}`);
        if (r.status === 'applied' || r.status === 'dismissed') throw new AgentError('conflict', `agent: report ${reportId} is already ${r.status}`);
        const hub = hubOf(r.hubId);
        const wanted = memberIds === 'all' ? undefined : new Set(memberIds);
        if (wanted) for (const id of wanted) if (!r.items.some((i) => i.memberId === id)) throw new AgentError('not-found', `agent: report ${reportId} has no item for member ${id}`);
        const at = now().toISOString();
        const items = r.items.map((item) => {
          if (item.appliedAt || (wanted && !wanted.has(item.memberId))) return item;
          const op = r.operations[item.memberId];
          if (!op) return item;
          const [taskId] = enqueueOps(tx, hub, [op], trigger);
          appendAudit(tx, { hubId: hub.id, trigger, action: 'apply-report', subject: { email: item.email, directoryUserId: item.directoryUserId, memberId: item.memberId }, why: `${item.reason}: applied from report ${r.id}`, outcome: 'ok', taskId });
          return { ...item, appliedAt: at, taskId };
        });
        const next = { ...r, items, status: items.every((i) => i.appliedAt) ? 'applied' as const : 'partially-applied' as const };
        tx.put('reports', r.hubId, r.id, next);
        return next;
      });
      return toReportView(report);
    },

    approvals: (hubId) => {
      const parts = hubId !== undefined ? [hubId] : store.partitions('approvals');
      return parts.flatMap((p) => [...store.list('approvals', p)]).map(({ planned: _p, decidedBy: _b, decidedAt: _a, ...a }) => a as Approval);
    },

    async decideApproval(approvalId, decision, trigger) {
      const approval = await store.transact((tx) => {
        const a = findApproval(tx, approvalId);
        if (!a) throw new AgentError('not-found', `agent: no approval ${approvalId}`);
        if (a.status !== 'pending') throw new AgentError('conflict', `agent: approval ${approvalId} was already ${a.status}`);
        const hub = hubOf(a.hubId);
        const at = now();
        const next: ApprovalRecord = { ...a, status: decision === 'approve' ? 'approved' : 'rejected', decidedBy: trigger.actor ?? trigger.type, decidedAt: at.toISOString() };
        tx.put('approvals', a.hubId, a.id, next);
        const task = tx.get('tasks', a.hubId, a.taskId);
        if (decision === 'approve') {
          const ids = enqueueOps(tx, hub, a.planned, trigger, a.taskId);
          if (task?.status === 'needs-approval') updateTask(tx, task, { status: 'completed', completedAt: at.toISOString(), result: { approvedBy: next.decidedBy, operations: ids.length } }, at);
        } else if (task?.status === 'needs-approval') {
          updateTask(tx, task, { status: 'cancelled', completedAt: at.toISOString(), result: { rejectedBy: next.decidedBy } }, at);
        }
        appendAudit(tx, { hubId: a.hubId, trigger, action: decision === 'approve' ? 'approval-approved' : 'approval-rejected', subject: { label: `approval ${a.id}` }, why: a.explanation, outcome: 'ok', taskId: a.taskId, detail: { operations: a.planned.length } });
        return next;
      });
      const { planned: _p, decidedBy: _b, decidedAt: _a, ...view } = approval;
      return view;
    },

    audit: (q) => queryAudit(store, q),

    async reevaluatePerson(person, trigger) {
      const found = findPerson(store, d.hubs().values(), person).filter((f) => f.user);
      const tasks = await store.transact((tx) => found.map((f) => enqueueTask(tx, {
        hubId: f.hub.id, kind: 'reconcile-person', payload: { directoryUserId: f.user!.id }, idempotencyKey: `reconcile:${f.user!.id}`, reuse: 'unstarted',
        trigger, summary: `re-evaluate ${f.user!.userName} on hub ${f.hub.id}`, now: now(),
      })));
      return tasks.map((t) => toTaskView(t));
    },

    async offboard(person, trigger) {
      const label = person.email ?? person.userName ?? person.externalId ?? '(nobody)';
      if (!person.email && !person.userName && !person.externalId) throw new AgentError('invalid-argument', 'agent: offboard needs an email, userName or externalId');
      const task = await store.transact((tx) => enqueueTask(tx, {
        kind: 'offboard', payload: person, idempotencyKey: `offboard:${label.toLowerCase()}`, trigger, summary: `offboard ${label} from every hub`, now: now(),
      }));
      return viewOf(task.id);
    },
  } satisfies AgentApi;
}
