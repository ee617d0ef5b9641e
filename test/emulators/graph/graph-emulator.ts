import { randomUUID } from 'node:crypto';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server.ts';
import { recordCalls, type RecordedCall } from '../recorded-call.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { JWTPayload } from 'jose';
import { GRAPH_ERRORS, GraphEmulatorError } from './graph-error.ts';
import { USER_READ, USER_WRITE, rolesOf, requireApplicationPermission, requireRole } from './graph-permissions.ts';
import { GraphDirectory, type GraphSeedUser } from './graph-directory.ts';
import { resumeStatus } from './graph-resume-body.ts';
import { createTokenService, GRAPH_AUDIENCE } from './graph-token.ts';

/**
 * A stateful fake of the Microsoft identity platform token endpoint and the parts of Microsoft
 * Graph hubwarden uses (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility, https://learn.microsoft.com/graph/extensibility-overview): client-credentials tokens signed with the
 * emulator's own key (JWKS served), directory extension definitions on an app registration, user
 * reads with $select and PATCH of extension values, throttling (429 + Retry-After), and the Lifecycle
 * Workflows resume call. The same base URL serves as `authorityUrl` and `graphBaseUrl`.
 */
export type GraphCall = RecordedCall;

export interface LifecycleResume {
  version: string;
  workflowId: string;
  taskId: string;
  taskProcessingResultId: string;
  body: unknown;
  /** Claims of the bearer token that called resume. */
  caller: JWTPayload;
}

/**
 * Other readings of what Microsoft's documentation cited in docs/writeback.md leaves open ([INF]), for tests that prove
 * hubwarden copes with Graph (or another emulator) reading it so. The defaults are the emulator's
 * own reading.
 */
export interface GraphReadings {
  /**
   * What a successful PATCH /users/{id} answers: 204 with no body (default, Graph "Update user"),
   * 200 with the user, or 200 declaring `application/json` with an empty body.
   */
  patchAnswer?: 'no-content' | 'user' | 'empty-json';
  /**
   * An extension's full name: `extension_<appId lower case, no dashes>_<name>`, matched in any case
   * (default), or with the appId as the app registration spells it, matched exactly (Microsoft
   * Graph's extensionProperty references give `extension_{appIdWithoutDashes}_…` and say nothing of case).
   */
  extensionNames?: 'lower-case' | 'as-registered';
  /**
   * GET of an app's extensionProperties: served, paged (default), or not served (Graph's Create
   * extensionProperty reference shows only the POST): 405 `Request_BadRequest` (`none`), or 400
   * `BadRequest` "Resource not found for the segment" (`unknown-segment`), the answer this
   * emulator (and Graph) gives a path it does not serve, whatever the app, or 501 `NotImplemented`
   * (`not-implemented`, Graph's "The requested feature isn't implemented", https://learn.microsoft.com/graph/errors).
   */
  extensionList?: 'paged' | 'none' | 'unknown-segment' | 'not-implemented';
  /**
   * [INF] The token endpoint: `/{tenant}/oauth2/v2.0/token` (default), or only where the OpenID
   * configuration names it (`named-only`: `/{tenant}/oauth2/v2.0/issue`, the usual path then
   * answered as any other this emulator does not serve). The Graph SDK doc's ClientSecretCredential
   * reads it from there; Microsoft's documentation cited in docs/writeback.md gives no path.
   */
  tokenEndpoint?: 'usual' | 'named-only';
  /** `@odata.nextLink`: absolute (default, https://learn.microsoft.com/graph/paging) or a path relative to the host. */
  nextLink?: 'absolute' | 'relative';
  /** `/users/{…}` resolved by id or UPN (default), or by id only (Microsoft's documentation writes `/users/{id}`). */
  userAddressing?: 'id-or-upn' | 'id-only';
  /** What an accepted Lifecycle Workflows resume answers: 204 (default, as the resume API page says), or 200 declaring JSON with no body. */
  resumeAnswer?: 'no-content' | 'empty-json';
  /**
   * `operationStatus` of a resume: matched in any case (default), or taken only as the resume
   * sample spells it ("Completed", "Failed",
   * https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume); the
   * response-data model lists the values in lower case
   * (https://learn.microsoft.com/graph/api/resources/identitygovernance-customtaskextensionresponsedata).
   */
  resumeStatusCase?: 'any' | 'sample';
  /**
   * A second resume of a taskProcessingResult already resumed: refused (default, 400
   * `Request_BadRequest`, our wording) or taken again. Microsoft's resume API page gives only the 204
   * of an accepted resume; the strict reading is that Graph may refuse a repeat (docs/writeback.md [INF]).
   */
  resumeRepeat?: 'refused' | 'accepted';
}

export interface GraphEmulatorOptions {
  /** Other readings of what Microsoft's documentation leaves open (see GraphReadings). */
  readings?: GraphReadings;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  users?: GraphSeedUser[];
  /**
   * App registrations that own extensions; default: one with appId = clientId. `owners`: the appIds
   * of the service principals that own it (default: clientId), for Application.ReadWrite.OwnedBy.
   */
  applications?: Array<{ appId: string; objectId?: string; displayName?: string; owners?: string[] }>;
  /** Application permissions put in the `roles` claim of issued tokens. */
  roles?: string[];
  faults?: { throttleNext?: number; retryAfterSeconds?: number };
  /**
   * Items per page of a collection (the extension property list); more follow through
   * `@odata.nextLink` (https://learn.microsoft.com/graph/paging). [INF] Graph's page size for this
   * list is not documented: 100 by default, smaller in tests that exercise paging.
   */
  pageSize?: number;
  /**
   * The custom task extension's `callbackConfiguration.authorizedApps` (plus the
   * `authenticationConfiguration.resourceId` app): the appIds that may resume without a Graph
   * permission; any other caller needs LifecycleWorkflows.ReadWrite.All
   * (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume). Default:
   * the client id, the app hubwarden resumes as.
   */
  resumeAuthorizedApps?: string[];
}

export function createGraphEmulator(options: GraphEmulatorOptions) {
  const { tenantId, clientId, clientSecret } = options;
  const readings = options.readings ?? {};
  const directory = new GraphDirectory({ exactExtensionNames: readings.extensionNames === 'as-registered', idOnly: readings.userAddressing === 'id-only' });
  for (const a of options.applications ?? [{ appId: clientId }]) directory.addApplication(a.appId, a.displayName, a.objectId, a.owners ?? [clientId]);
  for (const u of options.users ?? []) directory.addUser(u);
  let baseUrl = 'http://127.0.0.1';
  const issuer = () => `${baseUrl}/${tenantId}/v2.0`;
  const tokenPath = `/${tenantId}/oauth2/v2.0/${readings.tokenEndpoint === 'named-only' ? 'issue' : 'token'}`;
  const tokens = createTokenService(issuer, tenantId);
  const calls: GraphCall[] = [];
  const resumes: LifecycleResume[] = [];
  const resumed = new Set<string>();
  let echoCredentials = false;
  const issued: string[] = [];
  let tokenOutage = 0;
  let throttle: { remaining: number; retryAfter?: number; status?: 503 | 504 } = { remaining: options.faults?.throttleNext ?? 0, retryAfter: options.faults?.retryAfterSeconds ?? 0 };
  let staleExtensionLists = 0;
  let pageSize = options.pageSize ?? 100;
  let roles = options.roles;

  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false }));
  app.use(recordCalls(calls, redactForm));
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('request-id', randomUUID());
    next();
  });

  // Microsoft identity platform: OIDC metadata, keys, and the client-credentials grant (RFC 6749 §4.4).
  app.get(`/${tenantId}/v2.0/.well-known/openid-configuration`, (_req, res) => {
    res.json({ issuer: issuer(), jwks_uri: `${baseUrl}/${tenantId}/discovery/v2.0/keys`, token_endpoint: `${baseUrl}${tokenPath}`, id_token_signing_alg_values_supported: ['RS256'] });
  });
  app.get(`/${tenantId}/discovery/v2.0/keys`, (_req, res) => { res.json(tokens.jwks()); });
  app.post(tokenPath, async (req, res) => {
    const form = (req.body ?? {}) as Record<string, string>;
    // RFC 6749 §5.2's error body (`error`, `error_description`); [INF] Entra's other fields of it are not in the documentation cited in docs/writeback.md.
    const fail = (status: number, error: string, description: string) => res.status(status).json({ error, error_description: description });
    // TEST FAULT (control.tokenUnavailable): the token endpoint is down, whatever was asked.
    if (tokenOutage > 0) {
      tokenOutage--;
      return res.status(503).end();
    }
    // TEST FAULT (control.echoCredentials), not Entra behaviour: refuse and quote the whole request back.
    if (echoCredentials) return fail(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Request was: ${new URLSearchParams(form).toString()} ${JSON.stringify(form)} client secret ${form.client_secret}`);
    if (form.grant_type !== 'client_credentials') return fail(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (form.client_id !== clientId) return fail(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.client_id}' was not found in the directory.`);
    if (form.client_secret !== clientSecret) return fail(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    if (form.scope !== `${GRAPH_AUDIENCE}/.default`) return fail(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${form.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
    const access_token = await tokens.sign({ aud: GRAPH_AUDIENCE, appid: clientId, azp: clientId, roles: roles ?? ['User.ReadWrite.All', 'Application.ReadWrite.OwnedBy'], sub: clientId, idtyp: 'app' });
    issued.push(access_token); // control.issuedTokens
    return res.json({ token_type: 'Bearer', expires_in: 3599, access_token });
  });

  // Everything under /v1.0 and /beta needs a bearer issued by this emulator; then throttling applies.
  const graph = express.Router();
  graph.use(async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    if (!header.startsWith('Bearer ')) return next(GRAPH_ERRORS.unauthenticated('Access token is empty.'));
    try {
      res.locals.caller = await tokens.verify(header.slice(7));
    } catch {
      return next(GRAPH_ERRORS.unauthenticated('Access token validation failure. Invalid audience, issuer or signature.'));
    }
    if (throttle.remaining > 0) {
      throttle.remaining--;
      return next(throttle.status ? GRAPH_ERRORS.unavailable(throttle.status, throttle.retryAfter) : GRAPH_ERRORS.throttled(throttle.retryAfter ?? 0));
    }
    return next();
  });

  // A write's body is JSON. [INF] Microsoft's documentation cited in docs/writeback.md does not say how Graph answers another content type
  // or an empty body; the strict answer is a refusal (400 Request_BadRequest, changing nothing).
  // The app-wide form parser (for the token endpoint) used to read a form-encoded PATCH as if it
  // were JSON, and an empty one answered 204.
  graph.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'POST' && req.method !== 'PATCH') return next();
    if (!req.is('application/json')) return next(GRAPH_ERRORS.badRequest(`Content-Type '${req.get('content-type') ?? ''}' is not supported; JSON content expected.`));
    if (req.get('content-length') === '0' || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) return next(GRAPH_ERRORS.badRequest('Empty Payload. JSON content expected.'));
    return next();
  });

  const extensionPath = /^\/applications(?:\(appId='([^']+)'\)|\/([^/]+))\/extensionProperties$/;
  graph.use((req: Request, res: Response, next: NextFunction) => {
    const m = extensionPath.exec(decodeURIComponent(req.path));
    if (!m) return next();
    if (req.method === 'GET' && readings.extensionList === 'unknown-segment') throw new GraphEmulatorError(400, 'BadRequest', "Resource not found for the segment 'extensionProperties'.");
    if (req.method === 'GET' && readings.extensionList === 'not-implemented') throw new GraphEmulatorError(501, 'NotImplemented', "The requested feature isn't implemented.");
    const application = directory.application(m[1] !== undefined ? { appId: m[1] } : { objectId: m[2] });
    requireApplicationPermission(res.locals.caller as JWTPayload, application, req.method === 'GET' ? 'read' : 'write');
    if (req.method === 'GET' && readings.extensionList === 'none') throw new GraphEmulatorError(405, 'Request_BadRequest', "The HTTP method 'GET' is not allowed for the segment 'extensionProperties'.");
    if (req.method === 'GET') {
      const stale = staleExtensionLists > 0;
      if (stale) staleExtensionLists--;
      // Server-side paging: the client follows `@odata.nextLink` (an opaque $skiptoken) to the end.
      const all = stale ? [] : application.extensionProperties;
      const from = skipTokenOffset(req.query.$skiptoken);
      const page = all.slice(from, from + pageSize);
      const next = from + pageSize < all.length ? { '@odata.nextLink': `${readings.nextLink === 'relative' ? '' : baseUrl}${req.baseUrl}${req.path}?$skiptoken=${encodeURIComponent(Buffer.from(`offset:${from + pageSize}`).toString('base64url'))}` } : {};
      // [INF] `value` and `@odata.nextLink` only: Graph's `@odata.context` is not in the documentation cited in docs/writeback.md.
      return res.json({ value: page, ...next });
    }
    if (req.method === 'POST') return res.status(201).json(directory.createExtension(application, req.body));
    return next();
  });

  const getUser = (key: string, req: Request, res: Response) => {
    requireRole(res.locals.caller as JWTPayload, USER_READ);
    const select = typeof req.query.$select === 'string' ? req.query.$select : undefined;
    res.json(directory.select(directory.user(key), select));
  };
  const patchUser = (key: string, req: Request, res: Response) => {
    requireRole(res.locals.caller as JWTPayload, USER_WRITE);
    const user = directory.user(key);
    directory.patchUser(user, req.body);
    if (readings.patchAnswer === 'user') return res.json(user);
    if (readings.patchAnswer === 'empty-json') return res.status(200).type('application/json').end();
    return res.status(204).end();
  };
  // `/users('{id | userPrincipalName}')`: the form Graph's "Get user" and "Update user" give for a
  // userPrincipalName beginning with `$` (https://learn.microsoft.com/graph/api/user-get), an OData
  // key in parentheses whose string literal doubles a single quote (OData v4.01 ABNF,
  // SQUOTE-in-string). [INF] Read after percent-decoding; served for any id or UPN.
  graph.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'PATCH') return next();
    let path: string;
    try {
      path = decodeURIComponent(req.path);
    } catch {
      return next();
    }
    const m = /^\/users\('((?:[^']|'')*)'\)$/.exec(path);
    if (!m) return next();
    const key = m[1]!.replace(/''/g, "'");
    return req.method === 'GET' ? getUser(key, req, res) : patchUser(key, req, res);
  });
  // Graph: `/users/$x@y.com` "fails with a 400 Bad Request error code", the URL violating the OData
  // convention that only system query options begin with `$` (https://learn.microsoft.com/graph/api/user-get).
  // [INF] The segment is read after percent-decoding (`%24` is `$`); the error code and wording are ours.
  const dollarSegment = (key: string) => {
    if (key.startsWith('$')) throw GRAPH_ERRORS.badRequest(`Unsupported segment '${key}': a userPrincipalName beginning with '$' is addressed as /users('${key}').`);
    return key;
  };
  graph.get('/users/:id', (req, res) => getUser(dollarSegment(String(req.params.id)), req, res));
  graph.patch('/users/:id', (req, res) => patchUser(dollarSegment(String(req.params.id)), req, res));

  // Lifecycle Workflows custom task extension callback (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility, resume API v1.0).
  graph.post('/identityGovernance/lifecycleWorkflows/workflows/:wid/tasks/:tid/taskProcessingResults/:rid/resume', (req, res) => {
    const caller = res.locals.caller as JWTPayload;
    const resumeApps = options.resumeAuthorizedApps ?? [clientId];
    if (!(typeof caller.appid === 'string' && resumeApps.includes(caller.appid)) && !rolesOf(caller).includes('LifecycleWorkflows.ReadWrite.All')) throw GRAPH_ERRORS.forbidden();
    resumeStatus(req.body, readings.resumeStatusCase); // refuses a body unlike the resume API's (graph-resume-body.ts)
    const key = [req.params.wid, req.params.tid, req.params.rid].map(String).join('\u0000');
    if (resumed.has(key) && readings.resumeRepeat !== 'accepted') throw GRAPH_ERRORS.badRequest(`The task processing result '${String(req.params.rid)}' was already resumed.`);
    resumed.add(key);
    resumes.push({ version: req.baseUrl.slice(1), workflowId: String(req.params.wid), taskId: String(req.params.tid), taskProcessingResultId: String(req.params.rid), body: req.body, caller: res.locals.caller as JWTPayload });
    if (readings.resumeAnswer === 'empty-json') return res.status(200).type('application/json').end();
    return res.status(204).end();
  });

  app.use('/v1.0', graph);
  app.use('/beta', graph);
  app.use((req: Request) => { throw new GraphEmulatorError(400, 'BadRequest', `Resource not found for the segment '${req.path.split('/').filter(Boolean).pop() ?? ''}'.`); });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err instanceof GraphEmulatorError ? err : new GraphEmulatorError((err as { status?: number }).status ?? 500, 'InternalServerError', String((err as Error).message));
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
    res.status(e.status).json(e.body(res.getHeader('request-id') as string));
  });

  return {
    calls,
    resumes,
    /** Mint an Entra-like JWT signed by this emulator (for the Lifecycle Workflows hook tests). */
    issueToken: (claims: JWTPayload = {}, expiresInSeconds?: number | 'never') => tokens.sign({ aud: GRAPH_AUDIENCE, appid: clientId, azp: clientId, ...claims }, expiresInSeconds),
    get issuer() { return issuer(); },
    get jwksUrl() { return `${baseUrl}/${tenantId}/discovery/v2.0/keys`; },
    state() {
      return {
        applications: directory.applications.map((a) => structuredClone(a)),
        users: [...directory.users.values()].map((u) => structuredClone(u)),
        resumes: resumes.map((r) => structuredClone(r)),
      };
    },
    control: {
      issuedTokens(): string[] { return [...issued]; }, // test control, no Entra API: every access token issued
      /**
       * TEST FAULT, not Entra behaviour: the token endpoint refuses every request with 401
       * invalid_client whose error_description quotes the request, client secret included (form-
       * encoded, as JSON and bare), as an echoing proxy would. Proves an echoed credential never
       * reaches hubwarden's logs, store or audit.
       */
      echoCredentials(on: boolean) { echoCredentials = on; },
      /**
       * TEST FAULT: the next `count` token requests (all of them with Infinity) answer 503 with no
       * body, as an outage or a proxy in front of the endpoint would, before anything is checked;
       * 0 ends it. [INF] Microsoft's documentation cited in docs/writeback.md gives no body for it.
       */
      tokenUnavailable(count = Infinity) { tokenOutage = count; },
      /**
       * TEST FAULT, not Entra behaviour: the next `count` lists of extension properties answer
       * empty, as if another instance registered them just after we listed (the race of two
       * processes ensuring the schema at once).
       */
      staleExtensionLists(count = 1) { staleExtensionLists = count; },
      /**
       * TEST FAULT: the words of the 400 for a duplicate extension name. Graph's wording is not
       * confirmed against a tenant (docs/writeback.md), so the connector must not depend on ours.
       */
      duplicateExtensionMessage(message: string | undefined) { directory.duplicateExtensionMessage = message; },
      /** The next `count` Graph calls (after auth) answer 429 with `Retry-After: retryAfterSeconds`. */
      throttleNext(count: number, retryAfterSeconds = 0) { throttle = { remaining: count, retryAfter: retryAfterSeconds }; },
      /** TEST FAULT: the next `count` Graph calls (after auth) answer 503 (or 504), with `Retry-After` when given (graph-error.ts; https://learn.microsoft.com/en-us/graph/throttling). */
      unavailableNext(count: number, { status = 503, retryAfterSeconds }: { status?: 503 | 504; retryAfterSeconds?: number } = {}) { throttle = { remaining: count, retryAfter: retryAfterSeconds, status }; },
      addUser: (seed: GraphSeedUser) => directory.addUser(seed).id,
      removeUser(idOrUpn: string) { directory.users.delete(directory.user(idOrUpn).id); },
      /**
       * An admin registers a directory extension on an app registration (Graph: POST
       * /applications/{id}/extensionProperties), with the same checks as the API.
       */
      addExtension(appId: string, body: { name: string; dataType: string; isMultiValued?: boolean; targetObjects: string[] }) {
        return structuredClone(directory.createExtension(directory.application({ appId }), body));
      },
      /** An admin deletes a directory extension definition (Graph: DELETE /applications/{id}/extensionProperties/{id}). */
      deleteExtension(name: string) {
        for (const a of directory.applications) a.extensionProperties = a.extensionProperties.filter((e) => e.name.toLowerCase() !== name.toLowerCase());
      },
      clearCalls() { calls.length = 0; },
      /**
       * An admin grants or revokes application permissions (with admin consent): tokens issued from
       * now on carry these `roles`; tokens already issued keep the roles they were issued with.
       */
      setRoles(next: string[] | undefined) { roles = next; },
      /** Items per page of the extension property list (see `pageSize`). */
      setPageSize(size: number) { pageSize = size; },
    },
    async listen(port = 0): Promise<LoopbackServer> {
      const server = await listenOnLoopback(app, port);
      baseUrl = server.url;
      return server;
    },
  };
}

/** The offset a `$skiptoken` of ours stands for; a token we did not issue is refused. */
function skipTokenOffset(token: unknown): number {
  if (token === undefined) return 0;
  const m = typeof token === 'string' ? /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString()) : null;
  if (!m) throw GRAPH_ERRORS.badRequest("Invalid value specified for query parameter '$skiptoken'.");
  return Number(m[1]);
}

/** The token form carries the client secret: recorded calls never keep it. */
function redactForm(body: unknown): unknown {
  if (body && typeof body === 'object' && 'client_secret' in body) return { ...(body as object), client_secret: '[redacted]' };
  return body;
}

export type GraphEmulator = ReturnType<typeof createGraphEmulator>;
