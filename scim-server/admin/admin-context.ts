import type { Request, Response } from 'express';
import type { AgentApi, TaskView } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { inAdminScope } from '../../agent/dispatch/find-person.ts';
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
  const hubs = adminScope(res);
  const via = sentByCli(res) ? { detail: VIA_CLI } : {};
  return { type: 'admin', actor: String(res.locals.actor), ...via, ...(reason ? { reason } : {}), ...(hubs ? { hubs: [...hubs] } : {}) };
}

/** The audit's "via" for a request the hubwarden CLI sent (agent/cli/admin-client.ts CLI_USER_AGENT). */
export const VIA_CLI = 'hubwarden CLI';

/**
 * Whether the request says it came from the hubwarden CLI (its User-Agent, RFC 9110 §10.1.5). Only a
 * note in the audit entry, so an admin reading it can tell a typed command from an Okta Workflow or
 * a script using the same token: the token alone authenticates and authorizes, and any client can
 * send this header.
 */
function sentByCli(res: Response): boolean {
  return /^hubwarden-cli(\/|$)/.test(res.req?.get('user-agent') ?? '');
}

/** The hubs the request's admin token is limited to (`requireAdminToken` set them); undefined: every hub. */
export const adminScope = (res: Response): readonly string[] | undefined => res.locals.hubs as readonly string[] | undefined;

/** Whether the request's admin token may see `hubId` (a token of every hub: every hub). */
export const inScope = (res: Response, hubId: string): boolean => inAdminScope(adminScope(res), hubId);

/**
 * The hub's summary, or 404 (async: the summary reads the store). A hub outside the token's scope
 * is answered exactly as one that does not exist: the answer tells nothing of other hubs.
 */
export async function requireHub(ctx: AdminContext, res: Response, hubId: string) {
  const hub = inScope(res, hubId) ? await ctx.agent.hub(hubId) : undefined;
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
