import type { Router } from 'express';
import { acceptedTask, adminScope, adminTrigger, inScope, params, type AdminContext } from './admin-context.ts';
import { alreadyDone } from './already-done.ts';
import { notFound } from './problem.ts';
import { noQuery, offboardBody, offerParams, parseInput, personParams, reasonBody } from './request-schemas.ts';

/**
 * Person-level actions across every hub (leaver workflows, Okta Workflows cards); a token scoped
 * to some hubs acts on those only (its trigger's `hubs`: agent/dispatch/find-person.ts hubsOfTrigger).
 */
export function registerPeopleRoutes(router: Router, ctx: AdminContext): void {
  router.post('/people/:email/offboard', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { reason, directoryUserId } = parseInput(offboardBody, req.body, 'body');
    const { email } = parseInput(personParams, params(req), 'path');
    // An email naming several directory users on a hub, one or more active, or a deleted one and
    // only users created after it was, is refused 409 with their ids (agent/dispatch/ambiguous-person.ts);
    // `directoryUserId` names one of them.
    const task = await ctx.agent.offboard({ email, ...(directoryUserId ? { directoryUserId } : {}) }, adminTrigger(res, reason));
    // A new or unfinished offboarding is a 202. A finished one answers a repeat of a leaver action
    // that completed, nothing changed since (agent/dispatch/offboard-repeat.ts): nothing queued.
    if (task.status !== 'completed') return acceptedTask(ctx, res, task);
    res.status(200).json(alreadyDone({ taskId: task.id, task }, `offboarding task ${task.id} completed ${task.completedAt ?? task.updatedAt}; nothing changed since, so nothing was queued again`));
  });

  router.get('/people/:email/offers', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { email } = parseInput(personParams, params(req), 'path');
    // A scoped token sees the offers on its hubs only.
    res.json({ items: (await ctx.agent.offers(email)).filter((o) => inScope(res, o.hubId)) });
  });

  // Portals and Okta Workflows claim on the person's behalf; the trigger (admin token) is audited as who claimed.
  router.post('/people/:email/offers/:offerId/claim', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { reason } = parseInput(reasonBody, req.body, 'body');
    const { email, offerId } = parseInput(offerParams, params(req), 'path');
    acceptedTask(ctx, res, await ctx.agent.claimOffer(email, offerId, adminTrigger(res, reason)));
  });

  router.post('/people/:email/reevaluate', async (req, res) => {
    parseInput(noQuery, req.query, 'query');
    const { reason } = parseInput(reasonBody, req.body, 'body');
    const { email } = parseInput(personParams, params(req), 'path');
    const tasks = await ctx.agent.reevaluatePerson({ email }, adminTrigger(res, reason));
    // No task means no hub has a directory user with this email: nothing was changed.
    if (tasks.length === 0) throw notFound(`a directory user with email ${email} on any hub${adminScope(res) ? ' of this token' : ''}`);
    res.status(202).json({ taskIds: tasks.map((t) => t.id), tasks });
  });
}
