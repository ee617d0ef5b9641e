import type { Router } from 'express';
import type { Approval } from '../../agent/api.ts';
import type { Response } from 'express';
import { adminScope, adminTrigger, inScope, params, requireHub, wantsCsv, type AdminContext } from './admin-context.ts';
import { inAdminScope } from '../../agent/dispatch/find-person.ts';
import { alreadyDone, isConflict } from './already-done.ts';
import { taskPlaceOf } from '../../agent/tasks/task-cursor.ts';
import { auditCsv, sendCsv } from './csv.ts';
import { badRequest, notFound, Problem } from './problem.ts';
import { applyBody, approveBody, auditCsvQuery, auditQuery, hubTaskParams, idParams, noQuery, parseInput, reasonBody, reportsQuery, retryBody, tasksQuery } from './request-schemas.ts';

/** Tasks, deprovisioning reports, approvals of halted plans and the audit log. */
export function registerWorkRoutes(router: Router, ctx: AdminContext): void {
  const { agent } = ctx;

  router.get('/tasks', async (req, res) => {
    const query = parseInput(tasksQuery, req.query, 'query');
    // A cursor is opaque to callers but not trusted: one that names no place in the list is a 400
    // naming the parameter, before any read.
    if (query.after !== undefined && !taskPlaceOf(query.after)) throw badRequest('query.after: expected the `next` of a previous page of tasks', 'query.after');
    await requireKnownHub(ctx, res, query.hubId);
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    // A scoped token's list holds its hubs' tasks only (total and cursor counted over those).
    const hubs = adminScope(res);
    const page = await agent.tasks({ ...query, ...(hubs ? { hubs } : {}), offset, limit });
    res.json({ total: page.total, offset, limit, items: page.items, ...(page.next !== undefined ? { next: page.next } : {}) });
  });

  router.get('/tasks/:id', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { id } = parseInput(idParams, params(req), 'path');
    const task = (await agent.task(id)) ?? (await agent.findTask(id));
    // Another hub's task is answered as one that does not exist.
    if (!task || !inAdminScope(adminScope(res), task.hubId, task.trigger)) throw notFound(`task "${id}"`);
    res.json(task);
  });

  // An owner retries a failed app change (agent/tasks/retry-task.ts): 202 with the task queued
  // (Location), the failed one marked retried; a repeat answers 200 `alreadyDone` with the task the
  // first retry queued. Another hub's task is answered as one that does not exist (404); a task
  // that is not a failed app change is a 409.
  router.post('/hubs/:hubId/tasks/:taskId/retry', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { reason } = parseInput(retryBody, req.body, 'body');
    const { hubId, taskId } = parseInput(hubTaskParams, params(req), 'path');
    await requireHub(ctx, res, hubId);
    const answer = await agent.retryTask(hubId, taskId, adminTrigger(res, reason));
    if (answer.alreadyDone) return void res.json(answer);
    res.status(202).location(`${ctx.basePath}/tasks/${encodeURIComponent(answer.taskId)}`).json(answer);
  });

  router.get('/reports', async (req, res) => {
    const { hubId } = parseInput(reportsQuery, req.query, 'query');
    await requireKnownHub(ctx, res, hubId);
    const items = (await agent.reports(hubId)).filter((r) => inScope(res, r.hubId));
    res.json({ total: items.length, items });
  });

  router.post('/reports/:id/apply', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { memberIds, reason } = parseInput(applyBody, req.body, 'body');
    const { id } = parseInput(idParams, params(req), 'path');
    // Another hub's report is answered as one that does not exist.
    const findReport = async () => (await agent.reports()).find((r) => r.id === id && inScope(res, r.hubId));
    const report = await findReport();
    if (!report) throw notFound(`report "${id}"`);
    const dismissed = () => new Problem(409, 'conflict', `report "${id}" was dismissed; its items not applied before can no longer be applied`);
    const withdrawn = (r: typeof report) => new Problem(409, 'conflict', `report "${id}" was withdrawn before an owner applied it (${r.withdrawnBecause ?? 'every item taken out'}); nothing was queued`);
    if (report.status === 'withdrawn') throw withdrawn(report);
    // Every id must be an item of this report: applying a report never removes anyone else.
    if (memberIds !== 'all') {
      const known = new Set(report.items.map((i) => i.memberId));
      const unknown = memberIds.findIndex((m) => !known.has(m));
      if (unknown >= 0) throw badRequest(`body.memberIds[${unknown}]: "${memberIds[unknown]}" is not an item of report "${id}"`, `body.memberIds[${unknown}]`);
    }
    // A repeat (a retried call whose answer was lost): every item asked for is applied already.
    const repeat = (r: typeof report) => {
      const asked = memberIds === 'all' ? r.items : r.items.filter((i) => memberIds.includes(i.memberId));
      return (asked.length > 0 || r.status === 'applied') && asked.every((i) => i.appliedAt)
        ? alreadyDone(r, `report "${id}": ${memberIds === 'all' ? 'every item' : `the ${asked.length} item(s) asked for`} already applied; nothing was queued again`)
        : undefined;
    };
    // Items applied before an owner dismissed the rest are still a repeat of what was done.
    const done = repeat(report);
    if (done) return void res.json(done);
    if (report.status === 'dismissed') throw dismissed();
    try {
      res.json(await agent.applyReport(id, memberIds, adminTrigger(res, reason)));
    } catch (err) {
      // Another call (this one's first attempt) applied or dismissed it meanwhile: read it again.
      if (!isConflict(err)) throw err;
      const now = await findReport();
      const again = now && repeat(now);
      if (again) return void res.json(again);
      if (now?.status === 'dismissed') throw dismissed();
      // Emptied by this very call (a rehire's seat, safety/claimed-seats.ts): withdrawn, committed.
      if (now?.status === 'withdrawn') throw withdrawn(now);
      throw err;
    }
  });

  router.get('/approvals', async (req, res) => {
    const { hubId } = parseInput(reportsQuery, req.query, 'query');
    await requireKnownHub(ctx, res, hubId);
    const items = (await agent.approvals(hubId)).filter((a) => inScope(res, a.hubId));
    res.json({ total: items.length, items });
  });

  for (const decision of ['approve', 'reject'] as const) {
    const decided = decision === 'approve' ? 'approved' : 'rejected';
    router.post(`/approvals/:id/${decision}`, async (req, res) => {
      parseInput(noQuery, req.query, 'query');
      // Approving must say why (request-schemas.ts approveBody); rejecting may.
      const { reason } = parseInput(decision === 'approve' ? approveBody : reasonBody, req.body, 'body');
      const { id } = parseInput(idParams, params(req), 'path');
      // Another hub's approval is answered as one that does not exist.
      const findApproval = async () => (await agent.approvals()).find((a) => a.id === id && inScope(res, a.hubId));
      /** A repeat of this decision answers the approval as it is; another decision, or a superseded or withdrawn approval, is a conflict. */
      const settled = (a: Approval) => {
        if (a.status === decided) return alreadyDone(a, `approval "${id}" was already ${decided}; nothing was run again`);
        if (a.status === 'superseded') return new Problem(409, 'conflict', `approval "${id}" was superseded by approval "${a.supersededBy ?? '(unknown)'}", which holds other operations; read and decide that one (nothing was run)`);
        if (a.status === 'withdrawn') return new Problem(409, 'conflict', `approval "${id}" was withdrawn before anyone decided it (${a.withdrawnBecause ?? 'no longer planned'}); nothing was run`);
        return new Problem(409, 'conflict', `approval "${id}" was already ${a.status}; it cannot be ${decided} now`);
      };
      const approval = await findApproval();
      if (!approval) throw notFound(`approval "${id}"`);
      if (approval.status !== 'pending') {
        const answer = settled(approval);
        if (answer instanceof Problem) throw answer;
        return void res.json(answer);
      }
      try {
        res.json(await agent.decideApproval(id, decision, adminTrigger(res, reason)));
      } catch (err) {
        // Decided meanwhile (this call's own first attempt, or another owner): read it again.
        if (!isConflict(err)) throw err;
        const now = await findApproval();
        if (!now || now.status === 'pending') throw err;
        const answer = settled(now);
        if (answer instanceof Problem) throw answer;
        res.json(answer);
      }
    });
  }

  router.get('/audit', async (req, res) => {
    // A scoped token reads its hubs' entries only (and person-wide ones asked for within its
    // scope: inAdminScope); a filter naming another hub is a 404, as for a hub that does not exist.
    const hubs = adminScope(res);
    const scoped = (hubId: string | undefined) => {
      if (hubs && hubId !== undefined && !hubs.includes(hubId)) throw notFound(`hub "${hubId}"`);
      return hubs ? { hubs } : {};
    };
    if (wantsCsv(req)) {
      const { offset, limit, ...filters } = parseInput(auditCsvQuery, req.query, 'query');
      return await sendCsv(res, auditCsv(agent, { ...filters, ...scoped(filters.hubId) }, { offset, limit }));
    }
    const query = parseInput(auditQuery, req.query, 'query');
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    const page = await agent.audit({ ...query, ...scoped(query.hubId), offset, limit });
    // The cursor of the next page, while older matches remain: the page's lowest seq (the last
    // entry's, unless replicas' clocks disagree), so the next page repeats none of this one.
    const more = page.items.length > 0 && offset + page.items.length < page.total;
    const next = more ? { next: Math.min(...page.items.map((e) => e.seq)) } : {};
    res.json({ total: page.total, offset, limit, items: page.items, ...next });
  });
}

/**
 * A hub filter naming no hub (a typo, `--hub sandbx`) is a 404, as `GET /hubs/{hubId}/members` is:
 * answered as an empty list, it read as "nothing waiting" for an owner checking the reports or
 * approvals of a hub. Without the filter every hub's are listed, a hub since removed from the
 * config included. The audit log keeps its filter open: it is the history of removed hubs too.
 */
async function requireKnownHub(ctx: AdminContext, res: Response, hubId: string | undefined): Promise<void> {
  if (hubId !== undefined) await requireHub(ctx, res, hubId);
}
