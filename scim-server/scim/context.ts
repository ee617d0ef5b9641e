import type { Request, Response } from 'express';
import type { LoadedConfig } from '../../config/load.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { Store } from '../../agent/store/store.ts';
import { ScimError } from './errors.ts';
import type { ScimObject } from './resources/normalize.ts';

/** What every SCIM handler needs about the request's hub. */
export interface HubRequest {
  hubId: string;
  store: Store;
  /** Absolute base for `meta.location`: server.publicUrl + mount + /hubs/{hubId}. */
  hubBaseUrl: string;
  trigger: Trigger;
  /** Okta prefers 200 with the resource after PATCH; Entra and the MS suite expect 204. */
  wantsPatchBody: boolean;
  /**
   * The user agent names Okta (`Okta SCIM Client 1.0.0`): a client that takes a group back
   * without its `members` after a membership change, PATCH or PUT (groups.ts).
   */
  oktaClient: boolean;
  /** `server.oidc.allowedGroups`: a push taking people out of one of them withdraws their dashboard rights (web/scim-leavers.ts). */
  adminGroups: readonly string[];
}

/**
 * `client`: who the request's credential names (auth.ts, `scim-token:<hash prefix>` or
 * `scim-jwt:<sub>`), the audit's actor: the user agent is whatever the caller says it is, so it
 * is kept beside it (`detail`), not as who acted (NIST SP 800-53 AU-3: the identity associated
 * with the event, https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final).
 */
export function hubRequest(req: Request, config: LoadedConfig, store: Store, client?: string): HubRequest {
  const hubId = String(req.params.hubId);
  const hub = config.file.hubs.find((h) => h.id === hubId);
  const agent = (req.get('user-agent') ?? '').slice(0, 64);
  const trigger: Trigger = { type: 'scim' };
  if (hub?.identityProvider) trigger.idp = hub.identityProvider;
  if (client) trigger.actor = client;
  if (agent) {
    if (client) trigger.detail = `user-agent: ${agent}`;
    else trigger.actor = agent;
  }
  const oktaClient = /okta/i.test(agent);
  return {
    hubId,
    store,
    hubBaseUrl: `${config.file.server.publicUrl.replace(/\/+$/, '')}${req.baseUrl}/hubs/${encodeURIComponent(hubId)}`,
    trigger,
    wantsPatchBody: oktaClient || Object.keys(req.query ?? {}).some((k) => /^(excluded)?attributes$/i.test(k)),
    oktaClient,
    adminGroups: config.file.server.oidc?.allowedGroups ?? [],
  };
}

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export function sendScim(res: Response, status: number, body: ScimObject, headers: Record<string, string> = {}): void {
  res.status(status).set({ 'Content-Type': SCIM_CONTENT_TYPE, ...headers }).send(JSON.stringify(body));
}

/**
 * The resource with its `meta.version` as ETag. express answers a GET whose If-None-Match names
 * that ETag with 304 (res.send, `req.fresh`; RFC 9110 §13.1.2), so the ETag must change whenever
 * the representation does: a User's carries its hub extension's tag (resources/user-version.ts);
 * a Group's representation is all in its record. No ETag is computed from a body (app.ts and
 * test-app.ts set express's `etag` off), so a list page or an error never gets one.
 */
export function sendResource(res: Response, status: number, body: ScimObject): void {
  const meta = body.meta as { location?: string; version?: string } | undefined;
  const headers: Record<string, string> = {};
  if (meta?.version) headers.ETag = meta.version;
  if (status === 201 && meta?.location) headers.Location = meta.location;
  sendScim(res, status, body, headers);
}

/**
 * RFC 7644 §3.14: a write carrying `If-Match` applies only to the version it names (`W/"3"`, `"3"`
 * or `*`); otherwise 412 and nothing changes. Groups; a User's version also names its hub
 * extension (resources/user-version.ts, assertUserVersion).
 */
export function assertVersion(ifMatch: string | undefined, version: number, what: string): void {
  if (!ifMatch || ifMatch.trim() === '*') return;
  const wanted = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!wanted.includes(`"${version}"`)) {
    throw new ScimError(412, undefined, `${what} is at version W/"${version}", not ${ifMatch.trim()} (If-Match); fetch it again and retry`);
  }
}
