import express, { Router, type Request, type Response } from 'express';
import type { AgentApi } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { childLogger, type Logger } from '../../agent/log/logger.ts';
import type { Store } from '../../agent/store/store.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { Problem, problemHandler, sendProblem } from '../admin/problem.ts';
import { secretMatcher } from './hook-secret.ts';
import { HookEventLog } from './hook-events.ts';
import { byPublished, EVENT_ACTIONS, eventHookDelivery, personKey, personOf, type LogEvent } from './okta-event.ts';

export interface OktaHookOptions {
  config: LoadedConfig;
  agent: AgentApi;
  store: Store;
  log?: Logger;
  now?: () => number;
}

/** A Router that also says when the work of accepted deliveries has finished (tests, shutdown). */
export type HookRouter = Router & { settled(): Promise<void> };

/**
 * Okta Event Hooks at `/hooks/okta` (issue 6, deliverable 2; identity-providers.md §4). Okta waits
 * 3 s, retries once, never retries a 4xx, and delivers at least once and possibly out of order. So:
 * authenticate, validate, answer 200 at once, then act: deduplicate by event uuid (in the store),
 * order by `published`, and ask the agent to offboard or re-evaluate the person.
 */
export function createOktaHookRouter(options: OktaHookOptions): HookRouter {
  const { config, agent } = options;
  const log = options.log ?? childLogger('okta-event-hook');
  const seen = new HookEventLog(options.store, options.now);
  const pending = new Set<Promise<void>>();

  // Several Okta orgs may be configured; the delivery belongs to the one whose secret it carries.
  const providerOf = secretMatcher(
    Object.entries(config.file.identityProviders).flatMap(([key, p]) =>
      p.kind === 'okta' && p.eventHookSecret ? [[key, config.secret(p.eventHookSecret).reveal()] as [string, string]] : [],
    ),
  );

  const router = Router();

  // One-time verification: echo the challenge (§4). Okta's only GET; it carries no secret.
  router.get('/okta', (req, res) => {
    const challenge = req.get('x-okta-verification-challenge');
    if (!challenge) {
      sendProblem(res, new Problem(400, 'invalid-request', 'expected the X-Okta-Verification-Challenge header'), req.originalUrl);
      return;
    }
    res.json({ verification: challenge });
  });

  router.post(
    '/okta',
    (req, res, next) => {
      const idp = providerOf(req.get('authorization'));
      if (!idp) {
        log.warn('okta event hook: delivery refused: the Authorization header matches no identityProviders.<okta>.eventHookSecret');
        sendProblem(res, new Problem(401, 'unauthenticated', 'the Authorization header is not the configured event hook secret'), req.originalUrl);
        return;
      }
      res.locals.idp = idp;
      next();
    },
    express.json({ limit: '1mb', type: () => true }),
    (req: Request, res: Response) => {
      const parsed = eventHookDelivery.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue.path.map(String).join('.') || 'body';
        throw new Problem(400, 'invalid-request', `not an Okta event hook delivery: ${where}: ${issue.message}`, where);
      }
      const idp = String(res.locals.idp);
      res.status(200).end();
      const work = handleDelivery(idp, parsed.data.data.events).catch((err) => {
        log.error(`okta event hook (${idp}): processing failed: ${(err as Error).message}`);
      });
      pending.add(work);
      void work.finally(() => pending.delete(work));
    },
  );

  router.use(problemHandler(log));

  async function handleDelivery(idp: string, events: LogEvent[]): Promise<void> {
    const fresh = new Set(await seen.claim('okta', idp, events.map((e) => ({ id: e.uuid, published: e.published }))));
    const ordered = events.filter((e) => fresh.has(e.uuid)).sort(byPublished);
    if (ordered.length < events.length) log.info(`okta event hook (${idp}): ${events.length - ordered.length} replayed event(s) ignored`);

    // Several membership changes of one person in a delivery need one re-evaluation, made after
    // the last of them (it reads the state as of now, which includes all of them).
    const lastReevaluation = new Map<string, string>();
    for (const e of ordered) {
      const person = personOf(e);
      if (EVENT_ACTIONS[e.eventType] === 'reevaluate' && person) lastReevaluation.set(personKey(person), e.uuid);
    }

    for (const event of ordered) {
      const action = EVENT_ACTIONS[event.eventType];
      const person = personOf(event);
      if (!action || !person) {
        await seen.update('okta', event.uuid, { state: 'done', outcome: action ? 'no User target' : `event type ${event.eventType} not handled` });
        continue;
      }
      if (action === 'reevaluate' && lastReevaluation.get(personKey(person)) !== event.uuid) {
        await seen.update('okta', event.uuid, { state: 'done', outcome: 'covered by a later re-evaluation in the same delivery' });
        continue;
      }
      const trigger: Trigger = { type: 'okta-event-hook', idp, actor: event.actor?.alternateId ?? event.actor?.id ?? undefined, detail: `${event.eventType} ${event.uuid}` };
      try {
        const taskIds = action === 'offboard'
          ? [(await agent.offboard(person, trigger)).id]
          : (await agent.reevaluatePerson(person, trigger)).map((t) => t.id);
        await seen.update('okta', event.uuid, { state: 'done', taskIds, outcome: `${action} ${personKey(person)}` });
      } catch (err) {
        const message = `${action} ${personKey(person)}: ${(err as Error).message}`;
        log.warn(`okta event hook (${idp}): event ${event.uuid} ${event.eventType}: ${message}`);
        await seen.update('okta', event.uuid, { state: 'failed', outcome: message });
      }
    }
  }

  return Object.assign(router, {
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  });
}
