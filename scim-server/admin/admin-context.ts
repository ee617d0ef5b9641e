import type { Request, Response } from 'express';
import type { AgentApi, TaskView } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { notFound } from './problem.ts';

/** What every admin route needs: the config, the agent's public API, and the base path. */
export interface AdminContext {
  config: LoadedConfig;
  agent: AgentApi;
  /** Where the router is mounted (`/api/v1`), for Location headers. */
  basePath: string;
}

/**
 * The audit trigger of an authenticated admin request (`requireAdminToken` set the actor), with
 * the reason the body gave, if any (request-schemas.ts `reasonField`): every audit entry the
 * change writes states it.
 */
export function adminTrigger(res: Response, reason?: string): Trigger {
  return { type: 'admin', actor: String(res.locals.actor), ...(reason ? { reason } : {}) };
}

/** The hub's summary, or 404 (async: the summary reads the store). */
export async function requireHub(ctx: AdminContext, hubId: string) {
  const hub = await ctx.agent.hub(hubId);
  if (!hub) throw notFound(`hub "${hubId}"`);
  return hub;
}

/** Work that runs in the background answers 202 with the task to poll (RFC 9110 §15.3.3). */
export function acceptedTask(ctx: AdminContext, res: Response, task: TaskView): void {
  res.status(202).location(`${ctx.basePath}/tasks/${encodeURIComponent(task.id)}`).json({ taskId: task.id, task });
}

export function params(req: Request): Record<string, string> {
  return req.params as Record<string, string>;
}

/**
 * Content negotiation for the list routes that also speak CSV (RFC 9110 §12.5.1): CSV only when
 * the client prefers `text/csv` to JSON; a wildcard, no Accept or a JSON client gets JSON.
 */
export function wantsCsv(req: Request): boolean {
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}
