import type { Router } from 'express';
import { adminTrigger, params, wantsCsv, type AdminContext } from './admin-context.ts';
import { auditCsv, sendCsv } from './csv.ts';
import { badRequest, notFound, Problem } from './problem.ts';
import { applyBody, auditCsvQuery, auditQuery, emptyBody, idParams, parseInput, reportsQuery, tasksQuery } from './request-schemas.ts';

/** Tasks, deprovisioning reports, approvals of halted plans and the audit log. */
export function registerWorkRoutes(router: Router, ctx: AdminContext): void {
  const { agent } = ctx;

  router.get('/tasks', async (req, res) => {
    const query = parseInput(tasksQuery, req.query, 'query');
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    const page = await agent.tasks({ ...query, offset, limit });
    res.json({ total: page.total, offset, limit, items: page.items });
  });

  router.get('/tasks/:id', async (req, res) => {
    const { id } = parseInput(idParams, params(req), 'path');
    const task = (await agent.task(id)) ?? (await agent.findTask(id));
    if (!task) throw notFound(`task "${id}"`);
    res.json(task);
  });

  router.get('/reports', async (req, res) => {
    const { hubId } = parseInput(reportsQuery, req.query, 'query');
    const items = await agent.reports(hubId);
    res.json({ total: items.length, items });
  });

  router.post('/reports/:id/apply', async (req, res) => {
    const { memberIds } = parseInput(applyBody, req.body, 'body');
    const { id } = parseInput(idParams, params(req), 'path');
    const report = (await agent.reports()).find((r) => r.id === id);
    if (!report) throw notFound(`report "${id}"`);
    if (report.status === 'applied' || report.status === 'dismissed') {
      throw new Problem(409, 'conflict', `report "${id}" is already ${report.status}`);
    }
    // Every id must be an item of this report: applying a report never removes anyone else.
    if (memberIds !== 'all') {
      const known = new Set(report.items.map((i) => i.memberId));
      const unknown = memberIds.findIndex((m) => !known.has(m));
      if (unknown >= 0) throw badRequest(`body.memberIds[${unknown}]: "${memberIds[unknown]}" is not an item of report "${id}"`, `body.memberIds[${unknown}]`);
    }
    res.json(await agent.applyReport(id, memberIds, adminTrigger(res)));
  });

  router.get('/approvals', async (req, res) => {
    const { hubId } = parseInput(reportsQuery, req.query, 'query');
    const items = await agent.approvals(hubId);
    res.json({ total: items.length, items });
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/approvals/:id/${decision}`, async (req, res) => {
      parseInput(emptyBody, req.body, 'body');
      const { id } = parseInput(idParams, params(req), 'path');
      const approval = (await agent.approvals()).find((a) => a.id === id);
      if (!approval) throw notFound(`approval "${id}"`);
      if (approval.status !== 'pending') throw new Problem(409, 'conflict', `approval "${id}" was already ${approval.status}`);
      res.json(await agent.decideApproval(id, decision, adminTrigger(res)));
    });
  }

  router.get('/audit', async (req, res) => {
    if (wantsCsv(req)) {
      const { offset, limit, ...filters } = parseInput(auditCsvQuery, req.query, 'query');
      return await sendCsv(res, auditCsv(agent, filters, { offset, limit }));
    }
    const query = parseInput(auditQuery, req.query, 'query');
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    const page = await agent.audit({ ...query, offset, limit });
    // The cursor of the next page, while older matches remain: the page's lowest seq (the last
    // entry's, unless replicas' clocks disagree), so the next page repeats none of this one.
    const more = page.items.length > 0 && offset + page.items.length < page.total;
    const next = more ? { next: Math.min(...page.items.map((e) => e.seq)) } : {};
    res.json({ total: page.total, offset, limit, items: page.items, ...next });
  });
}
