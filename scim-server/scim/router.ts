import express, { type NextFunction, type Request, type Response } from 'express';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import { childLogger, type Logger } from '../../agent/log/logger.ts';
import type { Store } from '../../agent/store/store.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { printable, ScimAuthenticator } from './auth.ts';
import type { Keyring } from '../../agent/secrets/keyring.ts';
import type { FailureLimiter } from '../auth-failures.ts';
import { RefusalBudget } from '../refusal-budget.ts';
import { noStore } from '../front-door.ts';
import { decodablePath, requestError, scimBody, undecodableIdError } from './body.ts';
import { hubRequest, sendScim, type HubRequest } from './context.ts';
import { resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import { methodNotAllowed, notFound, ScimError, storeBusy, storeUnavailable } from './errors.ts';
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from './groups.ts';
import { listResponse } from './list.ts';
import { defineHubStateIndexes } from './resources/hub-state.ts';
import { ENTERPRISE_SCHEMA } from './attributes.ts';
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser, USER_BY_DISPLAY_NAME, USER_BY_EXTERNAL_ID, USER_BY_MANAGER } from './users.ts';

/**
 * The SCIM 2.0 service provider, one tree per hub at `/hubs/{hubId}` (mounted at `/scim/v2` by the
 * composition root). Order per request: credentials for THAT hub (401/429; a hub not configured is a wrong credential) →
 * body (415/413/400) → handler. Every error leaves as an RFC 7644 §3.12 body; an unexpected one is
 * logged and answered 500 (a bug: fuzz tests check no input gets there). Paths match in any case
 * (`/users`), with `/serviceConfiguration` as an alias the MS suite uses.
 */
export interface ScimRouterDeps {
  config: LoadedConfig;
  store: Store;
  log?: Logger;
  /** The failure limiter shared with the admin API and the dashboard sign-in (compose.ts builds one). */
  failures?: FailureLimiter;
  /** The `secrets.keyFile` keyring, for the SCIM tokens' audit labels (auth.ts; default: read from the key file). */
  keyring?: Keyring;
}

export function defineScimIndexes(store: Store): void {
  defineDirectoryIndexes(store);
  defineHubStateIndexes(store);
  // externalId is caseExact (RFC 7643 §3.1): filed as sent, found only by the same case (users.ts).
  // The PostgreSQL store rebuilds an index whose key function changed at open (postgres/indexes.ts),
  // so a database filed under the former lower-cased keys is refiled under these.
  store.defineIndex('directoryUsers', USER_BY_EXTERNAL_ID, (u, hub) => (u.externalId ? [`${hub}\u0000${u.externalId}`] : []));
  // Filed folded (NFC, lower-cased: foldName in agent/desired-state/directory-records.ts), as users.ts looks it up.
  store.defineIndex('directoryUsers', USER_BY_DISPLAY_NAME, (u, hub) => (u.displayName ? [`${hub}\u0000${u.displayName.normalize('NFC').toLowerCase()}`] : []));
  // The users a user manages (enterprise `manager.value`, as stored), cleared when that user is deleted (users.ts).
  // A PostgreSQL store builds a new index from the records at its first open (postgres/indexes.ts).
  store.defineIndex('directoryUsers', USER_BY_MANAGER, (u, hub) => {
    const manager = (u.scim[ENTERPRISE_SCHEMA] as { manager?: { value?: unknown } } | undefined)?.manager?.value;
    return typeof manager === 'string' && manager !== '' ? [`${hub}\u0000${manager}`] : [];
  });
}

/**
 * RFC 7644 §4: on the discovery endpoints, paging and sorting "SHALL be ignored", and "If a
 * "filter" is provided, the service provider SHOULD respond with HTTP status code 403 (Forbidden)
 * to ensure that clients cannot incorrectly assume that any matching conditions specified in a
 * filter are true". Answered with the whole list, `GET /Schemas?filter=id eq "…"` read as a match
 * of every schema. An empty `filter=` is no filter, as on /Users (list.ts).
 */
function refuseDiscoveryFilter(req: Request): void {
  const given = Object.entries(req.query ?? {}).some(([k, v]) => k.toLowerCase() === 'filter' && !(typeof v === 'string' && v.trim() === ''));
  if (given) throw new ScimError(403, undefined, 'the discovery endpoints take no filter (RFC 7644 §4): GET them without one and pick from the whole answer');
}

/** Warnings a minute about requests for hubs not in the config (router below). */
const UNKNOWN_HUB_WARNINGS = 10;

type Handler = (h: HubRequest, req: Request, res: Response) => Promise<void> | void;

export function createScimRouter(deps: ScimRouterDeps): express.Router {
  const { config, store } = deps;
  const log = deps.log ?? childLogger('scim');
  defineScimIndexes(store);
  const auth = new ScimAuthenticator(config, deps.failures, deps.keyring);
  const hubs = new Set(config.file.hubs.map((h) => h.id));
  const unknownHubWarnings = new RefusalBudget(UNKNOWN_HUB_WARNINGS);
  const router = express.Router({ caseSensitive: false, strict: false });

  const handle = (fn: Handler) => async (req: Request, res: Response) => fn(hubRequest(req, config, store, res.locals.scimClient as string | undefined), req, res);

  // Users and groups are personal data: no browser or proxy keeps a copy of an answer (RFC 9111
  // §5.2.2.5; RFC 7644 §7.5.1; OWASP REST Security Cheat Sheet, "Security headers"). Errors too.
  router.use(noStore);
  router.use(decodablePath());
  router.use('/hubs/:hubId', (req, _res, next) => {
    // A hub not in the config has no credential that opens it: the caller gets the 401 of a wrong
    // token (authenticate), not a 404 that would tell which hub ids exist to someone with none.
    // The operator still learns of a mistyped base URL here.
    // Such requests need no credential: at most UNKNOWN_HUB_WARNINGS warnings a minute per process
    // (the next one counts those left out), the rest at debug, so a loop cannot fill the log.
    if (!hubs.has(String(req.params.hubId))) {
      const taken = unknownHubWarnings.take();
      const fields = { hubId: printable(String(req.params.hubId)), ...(taken.audit && taken.notAudited ? { notLogged: taken.notAudited } : {}) };
      if (taken.audit) log.warn('scim: a request for a hub that is not configured, answered as a wrong credential (401)', fields);
      else log.debug('scim: a request for a hub that is not configured, answered as a wrong credential (401)', fields);
    }
    next();
  }, auth.middleware(), scimBody());

  const base = '/hubs/:hubId';
  const spc: Handler = (h, req, res) => (refuseDiscoveryFilter(req), sendScim(res, 200, serviceProviderConfig(h.hubBaseUrl)));
  router.get(`${base}/ServiceProviderConfig`, handle(spc));
  router.get(`${base}/serviceConfiguration`, handle(spc));
  router.get(`${base}/ResourceTypes`, handle((h, req, res) => {
    refuseDiscoveryFilter(req);
    const list = resourceTypes(h.hubBaseUrl);
    sendScim(res, 200, listResponse(list.length, 1, list));
  }));
  router.get(`${base}/ResourceTypes/:id`, handle((h, req, res) => {
    refuseDiscoveryFilter(req);
    const found = resourceTypes(h.hubBaseUrl).find((r) => String(r.id).toLowerCase() === String(req.params.id).toLowerCase());
    if (!found) throw notFound(`no resource type "${req.params.id}"`);
    sendScim(res, 200, found);
  }));
  router.get(`${base}/Schemas`, handle((h, req, res) => {
    refuseDiscoveryFilter(req);
    const list = schemas(h.hubBaseUrl);
    sendScim(res, 200, listResponse(list.length, 1, list));
  }));
  router.get(`${base}/Schemas/:id`, handle((h, req, res) => {
    refuseDiscoveryFilter(req);
    const found = schemas(h.hubBaseUrl).find((s) => String(s.id).toLowerCase() === String(req.params.id).toLowerCase());
    if (!found) throw notFound(`no schema "${req.params.id}"`);
    sendScim(res, 200, found);
  }));

  router.get(`${base}/Users`, handle(listUsers));
  router.post(`${base}/Users`, handle(createUser));
  router.get(`${base}/Users/:id`, handle(getUser));
  router.put(`${base}/Users/:id`, handle(replaceUser));
  router.patch(`${base}/Users/:id`, handle(patchUser));
  router.delete(`${base}/Users/:id`, handle(deleteUser));

  router.get(`${base}/Groups`, handle(listGroups));
  router.post(`${base}/Groups`, handle(createGroup));
  router.get(`${base}/Groups/:id`, handle(getGroup));
  router.put(`${base}/Groups/:id`, handle(replaceGroup));
  router.patch(`${base}/Groups/:id`, handle(patchGroup));
  router.delete(`${base}/Groups/:id`, handle(deleteGroup));

  // Bulk (RFC 7644 §3.7) and searching by POST (§3.4.3) are not offered (the ServiceProviderConfig
  // says bulk is unsupported; neither Okta nor Entra sends them): 501, which RFC 7644 §3.12 lists
  // for "Service provider does not support the request operation", not the 404 of a wrong URL.
  const notImplemented = (detail: string): Handler => () => {
    throw new ScimError(501, undefined, detail);
  };
  router.all(`${base}/Bulk`, handle(notImplemented('Bulk operations (RFC 7644 §3.7) are not supported; send each change to /Users or /Groups')));
  for (const at of ['', '/Users', '/Groups']) router.post(`${base}${at}/.search`, handle(notImplemented('POST /.search (RFC 7644 §3.4.3) is not supported; query with GET /Users or /Groups and a filter')));
  // /Me, the authenticated subject's own resource (RFC 7644 §3.11): a bearer token here names a
  // hub's IdP, never a user, and "A service provider that does NOT support this feature SHOULD
  // respond with HTTP status code 501". It answered the 404 of a wrong URL. Okta does not use it
  // (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/).
  router.all([`${base}/Me`, `${base}/Me/*rest`], handle(notImplemented('/Me (RFC 7644 §3.11) is not supported: the credential names a hub\'s identity provider, not a user; use /Users/{id}')));

  // A method an endpoint does not offer (`PUT /Users`, `POST /Users/{id}`, `DELETE /Groups`):
  // 405 with the methods it does offer in Allow (RFC 9110 §15.5.6: a 405 "MUST" carry Allow), the
  // endpoints and their methods being RFC 7644 §3.2's. A 404 said the URL was wrong when it was
  // the method. Registered after every route, so Bulk and /.search keep their 501; a path no
  // endpoint has stays a 404 (below). HEAD is served by Express with each GET route.
  const offered: Array<[string, string[]]> = [
    ...['/ServiceProviderConfig', '/serviceConfiguration', '/ResourceTypes', '/ResourceTypes/:id', '/Schemas', '/Schemas/:id'].map((p): [string, string[]] => [p, ['GET', 'HEAD']]),
    ['/Users', ['GET', 'HEAD', 'POST']],
    ['/Groups', ['GET', 'HEAD', 'POST']],
    ['/Users/:id', ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']],
    ['/Groups/:id', ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']],
  ];
  for (const [at, methods] of offered) {
    router.all(`${base}${at}`, (req: Request) => {
      throw methodNotAllowed(req.method, at.replace(':id', '{id}'), methods);
    });
  }

  router.use((req: Request) => {
    // A base URL pasted into the IdP without its hub (`…/scim/v2` rather than
    // `…/scim/v2/hubs/sandbox`) lands here: say where the per-hub base URLs are. No hub is named:
    // the caller has shown no credential.
    const withoutHub = !/^\/hubs\/[^/]+/i.test(req.path);
    throw new ScimError(404, undefined, `no SCIM endpoint ${req.method} ${req.path}${withoutHub ? `: each hub has its own SCIM base URL, ${req.baseUrl}/hubs/<hub id> (hubwarden's start-up banner lists them, e.g. ${req.baseUrl}/hubs/<hub id>/Users)` : ''}`);
  });

  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof ScimError ? err : (undecodableIdError(err, res) ?? storeUnavailable(err) ?? storeBusy(err) ?? requestError(err));
    if (known) {
      if (known.status >= 500) log.error('scim: request failed', { method: req.method, path: req.path, status: known.status, detail: known.detail });
      else log.debug('scim: request rejected', { method: req.method, path: req.path, status: known.status, detail: known.detail });
      sendScim(res, known.status, known.toBody(), known.headers);
      return;
    }
    log.error('scim: unexpected error', { method: req.method, path: req.path, error: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
    sendScim(res, 500, new ScimError(500, undefined, 'internal error while handling the SCIM request').toBody());
  });

  return router;
}
