import type { Response, Router } from 'express';
import type { z } from 'zod';
import type { MemberView } from '../../agent/api.ts';
import { acceptedTask, adminTrigger, inScope, params, requireHub, wantsCsv, type AdminContext } from './admin-context.ts';
import { alreadyDone, isConflict } from './already-done.ts';
import { memberCsv, sendCsv } from './csv.ts';
import { memberReader } from './member-email.ts';
import { maskedHubSettings } from './hub-settings.ts';
import { notFound } from './problem.ts';
import { exemptBody, hubParams, matchBody, memberParams, membersCsvQuery, membersQuery, noQuery, parseInput, reasonBody } from './request-schemas.ts';

/** Hubs, their members and the member actions. */
export function registerHubRoutes(router: Router, ctx: AdminContext): void {
  const { agent } = ctx;

  router.get('/hubs', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    // A token scoped to some hubs lists those only.
    const items = (await agent.hubs()).filter((h) => inScope(res, h.id));
    res.json({ total: items.length, items });
  });

  router.get('/hubs/:hubId', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { hubId } = parseInput(hubParams, params(req), 'path');
    const hub = await requireHub(ctx, res, hubId);
    res.json({ ...hub, settings: maskedHubSettings(ctx.config, hubId) ?? {} });
  });

  router.get('/hubs/:hubId/members', async (req, res) => {
    const { hubId } = parseInput(hubParams, params(req), 'path');
    if (wantsCsv(req)) {
      const { offset, limit, after, ...filters } = parseInput(membersCsvQuery, req.query, 'query');
      const read = memberReader(agent, hubId, filters);
      await requireHub(ctx, res, hubId);
      // The export's first page starts after the caller's own cursor, if any.
      return await sendCsv(res, memberCsv((o, l, cursor) => read(o, l, cursor ?? after), { offset, limit }));
    }
    const { offset = 0, limit = 100, after, ...filters } = parseInput(membersQuery, req.query, 'query');
    const read = memberReader(agent, hubId, filters);
    await requireHub(ctx, res, hubId);
    const page = await read(offset, limit, after);
    res.json({ total: page.total, offset, limit, items: page.items, ...(page.next !== undefined ? { next: page.next } : {}) });
  });

  /**
   * Resolves hub then member, so a 404 says which of the two is unknown. `gone`: for a member the
   * list no longer has, answers a repeat itself (true, nothing returned) or leaves the 404.
   */
  const memberOf = async (raw: Record<string, string>, res: Response, gone?: (hubId: string, memberId: string, res: Response) => Promise<boolean>): Promise<MemberView | undefined> => {
    const { hubId, memberId } = parseInput(memberParams, raw, 'path');
    await requireHub(ctx, res, hubId);
    const member = await agent.member(hubId, memberId);
    if (member) return member;
    if (gone && (await gone(hubId, memberId, res))) return undefined;
    throw notFound(`member "${memberId}" of hub "${hubId}"`);
  };

  router.get('/hubs/:hubId/members/:memberId', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    res.json(await memberOf(params(req), res));
  });

  /** An owner's decision about one member: body checked first, then hub and member resolved (`gone`: memberOf). */
  const decide = <S extends z.ZodType>(action: string, schema: S, run: (member: MemberView, body: z.infer<S>, res: Response) => Promise<void>, gone?: (hubId: string, memberId: string, res: Response) => Promise<boolean>) => {
    router.post(`/hubs/:hubId/members/:memberId/${action}`, async (req, res) => {
      parseInput(noQuery, req.query, 'query');
      const body = parseInput(schema, req.body, 'body');
      const member = await memberOf(params(req), res, gone);
      if (member) await run(member, body, res);
    });
  };

  // `reason`: why the caller asks, for the audit entries (adminTrigger). An exemption's reason is
  // the exemption's own, kept with it and audited as such (agent/members/member-decisions.ts).
  decide('match', matchBody, async (m, { reason, ...input }, res) => { res.json(await agent.matchMember(m.hubId, m.id, input, adminTrigger(res, reason))); });
  decide('unmatch', reasonBody, async (m, { reason }, res) => { res.json(await agent.unmatchMember(m.hubId, m.id, adminTrigger(res, reason))); });
  decide('exempt', exemptBody, async (m, body, res) => { res.json(await agent.exemptMember(m.hubId, m.id, body, adminTrigger(res))); });
  decide('unexempt', reasonBody, async (m, { reason }, res) => {
    try {
      res.json(await agent.unexemptMember(m.hubId, m.id, adminTrigger(res, reason)));
    } catch (err) {
      // The agent refuses when the row holds no exemption (read in its transaction): a retry of a
      // call that ended it, or one ended meanwhile. Not exempted is what was asked for: the row as
      // it is now, said to be already done (already-done.ts). Read after the refusal, never
      // before: a row shown unexempted by a view not yet refreshed may have been exempted since.
      if (!isConflict(err)) throw err;
      const now = await agent.member(m.hubId, m.id);
      if (!now || now.exemption) throw err;
      res.json(alreadyDone(now, `member "${m.id}" of hub "${m.hubId}" is not exempted (its exemption was already ended, or it had none); nothing changed`));
    }
  });
  decide('remove', reasonBody, async (m, { reason }, res) => { acceptedTask(ctx, res, await agent.removeMember(m.hubId, m.id, adminTrigger(res, reason))); }, async (hubId, memberId, res) => {
    // A retry whose first call's removal has run meanwhile: the row is gone from the members
    // list. Removed is what was asked for, so the removal's task is answered as already done
    // (already-done.ts), not a 404 that turns a client's success into a failed step.
    const done = await agent.finishedRemoval(hubId, memberId);
    if (!done) return false;
    const task = done.taskId !== undefined ? await agent.findTask(done.taskId) : undefined;
    res.json(alreadyDone({ hubId, memberId, removedAt: done.at, ...(task ? { taskId: task.id, task } : {}) }, `member "${memberId}" of hub "${hubId}" was already removed at ${done.at}; nothing changed`));
    return true;
  });

  router.post('/hubs/:hubId/check-for-updates', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { reason } = parseInput(reasonBody, req.body, 'body');
    const { hubId } = parseInput(hubParams, params(req), 'path');
    await requireHub(ctx, res, hubId);
    acceptedTask(ctx, res, await agent.checkForUpdates(hubId, adminTrigger(res, reason)));
  });

  router.get('/hubs/:hubId/plan', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { hubId } = parseInput(hubParams, params(req), 'path');
    await requireHub(ctx, res, hubId);
    const operations = await agent.plan(hubId);
    res.json({ hubId, dryRun: true, operations });
  });
}
