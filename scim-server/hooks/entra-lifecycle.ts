import { Router, type Request, type Response } from 'express';
import type { AgentApi } from '../../agent/api.ts';
import { childLogger, type Logger } from '../../agent/log/logger.ts';
import type { Store } from '../../agent/store/store.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { Problem, problemHandler, sendProblem } from '../admin/problem.ts';
import { jsonObjectBody } from '../admin/json-body.ts';
import { calloutPerson, lifecycleCallout } from './entra-callout.ts';
import { DelegatedTokenError, lifecycleTokenVerifier, SigningKeysUnavailableError } from './entra-token.ts';
import { graphResume, type ResumeCall } from './graph-resume.ts';
import { HookEventLog } from './hook-events.ts';
import { givenUpAudit } from './hook-give-up.ts';
import { runCallout, UNLISTED, type LifecycleRunDeps } from './lifecycle-run.ts';
import type { HookRouter } from './okta.ts';

export interface EntraLifecycleOptions {
  config: LoadedConfig;
  agent: AgentApi;
  store: Store;
  log?: Logger;
  /** Defaults to the Graph SDK call (graph-resume.ts). */
  resume?: ResumeCall;
  pollIntervalMs?: number;
  maxWaitMs?: number;
  /** The lease on a callout being worked on (hook-events.ts; tests shorten it). */
  leaseMs?: number;
}

/**
 * Entra Lifecycle Workflows custom task extensions at `/hooks/entra/lifecycle` (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility). The relay Logic App forwards the callout with an
 * Entra-issued bearer token; we check it, answer 202 at once, run the action for the subject
 * (offboard unless `lifecycleWorkflows.actions[taskId]` says otherwise), and resume the workflow
 * with completed or failed when the agent's tasks finish ("launch and wait").
 */
export function createEntraLifecycleRouter(options: EntraLifecycleOptions): HookRouter & { stop(): void } {
  const { config, agent } = options;
  const log = options.log ?? childLogger('entra-lifecycle');
  const events = new HookEventLog(options.store, undefined, undefined, options.leaseMs, givenUpAudit);
  const verify = lifecycleTokenVerifier(config);
  const running = new Set<Promise<void>>();
  let stopped = false;
  const stopping = new AbortController();
  const deps: LifecycleRunDeps = {
    config,
    agent,
    store: options.store,
    events,
    resume: options.resume ?? graphResume(config),
    log,
    pollIntervalMs: options.pollIntervalMs ?? 5000,
    maxWaitMs: options.maxWaitMs ?? 3 * 3600_000,
    isStopped: () => stopped,
    stopSignal: stopping.signal,
  };
  // Background work never rejects unhandled: that would end the process (and the SCIM service).
  const track = (started: Promise<void>) => {
    const work = started.catch((err: Error) => {
      log.error(`entra lifecycle: callout processing failed: ${err.message}`);
    });
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  const router = Router();
  router.post(
    '/entra/lifecycle',
    async (req: Request, res: Response, next) => {
      const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
      try {
        if (!match) throw new Error('no bearer token');
        const caller = await verify(match[1]);
        res.locals.idp = caller.idp;
        res.locals.appId = caller.appId;
        next();
      } catch (err) {
        if (err instanceof SigningKeysUnavailableError) {
          // Not the caller's fault: a 401 is final for the relay, while its HTTP action retries
          // 408, 429 and 5xx by default (https://learn.microsoft.com/azure/logic-apps/error-exception-handling#retry-policies).
          log.error(`entra lifecycle: callout not checked: ${err.message}`);
          sendProblem(res, new Problem(503, 'unavailable', 'the signing keys of the tenant cannot be read now; retry later', undefined, { 'Retry-After': '30' }), req.originalUrl);
          return;
        }
        log.warn(`entra lifecycle: callout refused: ${(err as Error).message}`);
        if (err instanceof DelegatedTokenError) {
          // Authenticated, but not as the app itself (RFC 6750 §3.1: insufficient_scope is 403).
          sendProblem(res, new Problem(403, 'forbidden', 'expected an app-only token of an allowed app, not a delegated (user) token', undefined, {
            'WWW-Authenticate': 'Bearer error="insufficient_scope"',
          }), req.originalUrl);
          return;
        }
        const problem = new Problem(401, 'unauthenticated', 'expected an Entra-issued bearer token for this endpoint', undefined, {
          'WWW-Authenticate': match ? 'Bearer error="invalid_token"' : 'Bearer',
        });
        sendProblem(res, problem, req.originalUrl);
      }
    },
    ...jsonObjectBody({ limit: '1mb', type: () => true }),
    async (req: Request, res: Response) => {
      const parsed = lifecycleCallout.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue.path.map(String).join('.') || 'body';
        throw new Problem(400, 'invalid-request', `not a Lifecycle Workflows callout: ${where}: ${issue.message}`, where);
      }
      const idp = String(res.locals.idp);
      const { data } = parsed.data;
      const actions = (config.file.identityProviders[idp] as { lifecycleWorkflows?: { actions: Record<string, string> } }).lifecycleWorkflows?.actions ?? {};
      const callout = {
        workflowId: data.workflow.id,
        taskId: data.task.id,
        taskProcessingResultId: data.taskProcessingResult.id,
        // Keyed by the workflow task's id (the callout carries no extension id). With actions
        // configured, an unlisted task is refused (resumed failed): taking it as offboard would
        // remove the seats of a person a joiner's check-for-updates task was meant for.
        // Only the map's own names: a task id "constructor" read a function through the prototype,
        // which was run as an offboarding.
        action: (Object.hasOwn(actions, data.task.id) ? actions[data.task.id] : undefined) ?? (Object.keys(actions).length === 0 ? 'offboard' : UNLISTED),
        person: calloutPerson(parsed.data),
        // Who authenticated (the token's azp/appid): the audit names it with the workflow.
        appId: String(res.locals.appId),
      };
      // One taskProcessingResult is one run of the task for one person: a replay is the same run.
      const [claimed] = await events.claim('entra-lifecycle', idp, [{ id: callout.taskProcessingResultId, callout }]);
      res.status(202).json({ taskProcessingResultId: callout.taskProcessingResultId, action: callout.action, duplicate: !claimed });
      track(events.tidy());
      if (claimed) {
        track(events.get('entra-lifecycle', claimed).then(
          (record) => (record ? runCallout(deps, record) : undefined),
          (err) => {
            // Held under our lease: taken again here once it lapses (hook-events.ts pickUp).
            events.notStarted('entra-lifecycle', [claimed]);
            log.error(`entra lifecycle (${idp}): cannot read callout ${claimed}: ${(err as Error).message}; taken again in ${Math.ceil(events.leaseMs / 1000)} s`);
          },
        ));
      }
    },
  );
  router.use(problemHandler(log));

  // Callouts accepted before a restart and not yet resumed, unless another replica works on them:
  // continue them (the first read is tracked too, so `settled` waits for it). On a shared store,
  // also those of a replica that died holding them, as their lease lapses.
  track(events.pickUp('entra-lifecycle', (r) => r.callout !== undefined, (records) => {
    for (const record of records) track(runCallout(deps, record));
  }).catch((err: Error) => {
    log.error(`entra lifecycle: cannot read the callouts accepted before the restart: ${err.message}`);
  }));

  return Object.assign(router, {
    async settled() {
      while (running.size > 0) await Promise.all([...running]);
    },
    stop() {
      stopped = true;
      stopping.abort();
      events.close();
    },
  });
}
