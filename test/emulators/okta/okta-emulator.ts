import { randomBytes } from 'node:crypto';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server.ts';
import { recordCalls, type RecordedCall } from '../recorded-call.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import { OKTA_ERRORS, OktaEmulatorError, oktaError } from './okta-error.ts';
import { BASE_PROPERTIES, MODEL_FIELDS, OktaUserSchema, REFERENCE_EXAMPLE_FIELDS, REQUIRED_BASE, type SchemaProperty } from './okta-schema.ts';
import { OktaRateLimit, type RateLimitOptions } from './okta-rate-limit.ts';
import { OktaOAuth, type OktaServiceApp } from './okta-oauth.ts';

/**
 * A stateful fake of the parts of the Okta Management API that hubwarden's write-back uses, for
 * tests that drive the real @okta/okta-sdk-nodejs against it (https://developer.okta.com/docs/reference/api/schemas/):
 * the default user schema, users read and updated (POST = partial, PUT = full replace), SSWS
 * token auth, rate-limit headers and 429 E0000047. Every request is recorded in `calls`.
 *
 * Deactivated (DEPROVISIONED) users are read as any other, but their profile is updated only when
 * the org's "Edit Deactivated User Profile Updates" is on (`editDeactivatedUserProfiles`; Okta's
 * Users API: "Users with the DEPROVISIONED status won't have their profiles updated ... unless you
 * have the Edit Deactivated User Profile Updates option turned on",
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tags/userlifecycle/other/deactivateuser).
 * [INF] How Okta refuses is not documented. The emulator answers what an SDK user reported for
 * such an update, 404 E0000007 "Not found: Resource not found: <id> (User)" while the same user
 * reads fine (https://github.com/okta/okta-sdk-java/issues/721): the strictest answer, since it
 * looks exactly like a missing user.
 */
export interface OktaSeedUser {
  id?: string;
  login: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  status?: string;
  /**
   * Profile sourced from another system (AD, HR). An update that sets a property the source
   * masters answers 403 E0000023 (see `sourceMastered`): the base properties, and the custom ones
   * in `sourceMapped` unless their schema property is declared `master: { type: 'OKTA' }`.
   */
  masteredBy?: string;
  /** Custom properties the profile source maps into this user's profile (with `masteredBy`). */
  sourceMapped?: string[];
  profile?: Record<string, unknown>;
}

export interface OktaUser {
  id: string;
  status: string;
  created: string;
  lastUpdated: string;
  masteredBy?: string;
  sourceMapped?: string[];
  profile: Record<string, unknown>;
}

export type OktaCall = RecordedCall;

export interface OktaFaults {
  rateLimit?: RateLimitOptions;
}

/**
 * Other readings of what Okta's documentation cited in docs/writeback.md leaves open ([INF]), for tests that prove
 * hubwarden copes with an Okta (or another emulator) that reads it so. The defaults are the
 * emulator's own reading, described above each choice.
 */
export interface OktaReadings {
  /** What a successful POST /api/v1/users/{id} answers: the user (default, Okta's answer) or 204 with no body. */
  userUpdateAnswer?: 'user' | 'no-content';
  /** What a successful schema POST answers: the schema (default) or 204 with no body. */
  schemaUpdateAnswer?: 'schema' | 'no-content';
  /** X-Rate-Limit-Reset: epoch seconds (default, Okta's documented unit), epoch milliseconds, or seconds from now. */
  rateLimitReset?: 'epoch-seconds' | 'epoch-ms' | 'delta-seconds';
  /**
   * Schema property fields taken: the fields of Okta's UserSchema attribute model (default; the
   * SDK's `UserSchemaAttribute`, okta-schema.ts MODEL_FIELDS), or only those a custom-property
   * example and the SDK's test shape show (okta-schema.ts REFERENCE_EXAMPLE_FIELDS) (title, type, enum, minLength, maxLength, permissions).
   * Any other field is refused (400 E0000001).
   */
  schemaPropertyFields?: 'model' | 'reference-example';
  /**
   * [INF] An org that does not take `enum` on a custom string property (enum support is to
   * be tested on each org; Okta's documentation cited in docs/writeback.md says nothing of the refusal): refused as any other field it does not
   * take (400 E0000001), the strict answer.
   */
  schemaEnum?: 'taken' | 'refused';
  /**
   * `/api/v1/users/{…}` resolved by id or login (default, see findUser), by id only (Okta's
   * documentation writes `{id}`), or [INF] also by login shortname, the part of a login before `@`, when exactly
   * one user's login has it (the SDK's docstring of updateUser and getUser: "An ID, login, or login
   * shortname (as long as the shortname is unambiguous) of an existing Okta user").
   */
  userAddressing?: 'id-or-login' | 'id-only' | 'id-login-or-shortname';
  /**
   * [INF] A schema POST that sends an existing custom property with another `type`: refused (default,
   * 400 E0000001) or taken as replaced, as a literal reading of "POST is a partial update" would.
   */
  schemaTypeChange?: 'refused' | 'replaced';
}

export interface OktaEmulatorOptions {
  /** Other readings of what Okta's documentation leaves open (see OktaReadings). */
  readings?: OktaReadings;
  /** The API token accepted as `Authorization: SSWS <token>`. */
  token?: string;
  users?: OktaSeedUser[];
  schema?: Record<string, SchemaProperty>;
  /** The custom subschema's `required` list (custom properties an admin made required). */
  customRequired?: string[];
  faults?: OktaFaults;
  /** The org's "Edit Deactivated User Profile Updates" (off by default, as in a new org). */
  editDeactivatedUserProfiles?: boolean;
  /** A service app that may get access tokens (private key JWT) instead of the SSWS token (okta-oauth.ts). */
  serviceApp?: OktaServiceApp;
}

export function createOktaEmulator(options: OktaEmulatorOptions = {}) {
  const token = options.token ?? 'okta-emulator-token';
  const users = new Map<string, OktaUser>();
  const schema = new OktaUserSchema(options.schema, options.customRequired);
  const rateLimit = new OktaRateLimit(options.faults?.rateLimit);
  const oauth = new OktaOAuth(options.serviceApp);
  const calls: OktaCall[] = [];
  let baseUrl = 'http://127.0.0.1';
  let echoCredentials = false;
  let editDeactivated = options.editDeactivatedUserProfiles === true;

  const now = () => new Date().toISOString();
  for (const seed of options.users ?? []) {
    const id = seed.id ?? `00u${randomBytes(8).toString('hex').slice(0, 17)}`;
    users.set(id, {
      id,
      status: seed.status ?? 'ACTIVE',
      created: now(),
      lastUpdated: now(),
      ...(seed.masteredBy ? { masteredBy: seed.masteredBy } : {}),
      ...(seed.sourceMapped ? { sourceMapped: [...seed.sourceMapped] } : {}),
      profile: { login: seed.login, email: seed.email ?? seed.login, firstName: seed.firstName ?? null, lastName: seed.lastName ?? null, ...seed.profile },
    });
  }

  const readings = options.readings ?? {};

  /** Okta resolves `{idOrLogin}` by id first, then by login (case-insensitive). */
  function findUser(idOrLogin: string): OktaUser {
    const byId = users.get(idOrLogin);
    if (byId) return byId;
    if (readings.userAddressing === 'id-only') throw OKTA_ERRORS.notFound(idOrLogin);
    const wanted = idOrLogin.toLowerCase();
    for (const u of users.values()) if (String(u.profile.login).toLowerCase() === wanted) return u;
    if (readings.userAddressing === 'id-login-or-shortname' && !wanted.includes('@')) {
      const named = [...users.values()].filter((u) => String(u.profile.login).toLowerCase().split('@')[0] === wanted);
      if (named.length === 1) return named[0]!;
    }
    throw OKTA_ERRORS.notFound(idOrLogin);
  }

  /** The user a profile update may change: a DEPROVISIONED one only with the org setting on (see above). */
  function updatableUser(idOrLogin: string): OktaUser {
    const user = findUser(idOrLogin);
    if (user.status === 'DEPROVISIONED' && !editDeactivated) throw OKTA_ERRORS.notFound(idOrLogin);
    return user;
  }

  /**
   * The properties of `profile` that a user's profile source masters, which Okta refuses to change
   * (403 E0000023). Sending a full user trips E0000023 on a user sourced from AD or HR
   * (https://github.com/okta/okta-sdk-java/issues/968, https://github.com/okta/terraform-provider-okta/issues/1569),
   * while Okta-mastered attributes can be written: those declared with attribute-level mastering
   * (UserSchema attribute `master`, https://developer.okta.com/docs/reference/api/schemas/) or
   * custom ones the source does not map. So: every base property (the
   * source maps them), and a custom one the source maps (`sourceMapped`) unless its schema
   * property is declared `master: { type: 'OKTA' }` (attribute-level mastering). Refusing every
   * update of such a user, as this emulator did, hid that hubwarden's partial, Okta-mastered writes
   * are what make write-back work for AD-sourced people.
   */
  function sourceMastered(user: OktaUser, profile: Record<string, unknown>): string[] {
    if (!user.masteredBy) return [];
    const mapped = new Set(user.sourceMapped ?? []);
    return Object.keys(profile).filter((name) => {
      if ((BASE_PROPERTIES as readonly string[]).includes(name)) return true;
      return mapped.has(name) && (schema.custom.get(name)?.master as { type?: unknown } | undefined)?.type !== 'OKTA';
    });
  }

  /**
   * A user as read or updated: `id`, `status` and `profile`, no more. [INF] Okta's documentation
   * cited in docs/writeback.md gives no user object beyond the profile it updates and the
   * DEPROVISIONED status; the emulator used to add a `credentials.provider` (ACTIVE_DIRECTORY for a
   * sourced user) and timestamps of its own making, which nothing documented and a caller could
   * have come to rely on. Where the profile comes from is emulator state (`masteredBy`), not shown.
   */
  function render(u: OktaUser) {
    return { id: u.id, status: u.status, profile: u.profile };
  }

  /**
   * [INF] A profile property the schema does not define refuses the whole update (400 E0000001,
   * nothing changed): Okta's documentation cited in docs/writeback.md defines a custom attribute
   * before writing it and is silent on one not defined; refusing is the strict answer.
   */
  function checkProfile(profile: unknown): Record<string, unknown> {
    if (profile === null || typeof profile !== 'object' || Array.isArray(profile)) throw OKTA_ERRORS.badRequest('profile: expected an object');
    const causes: string[] = [];
    for (const [name, value] of Object.entries(profile)) {
      if (!schema.has(name)) causes.push(`Property name '${name}' is not defined in profile`);
      else causes.push(...schema.checkValue(name, value));
    }
    if (causes.length > 0) throw OKTA_ERRORS.validation(causes);
    return profile as Record<string, unknown>;
  }

  let tokenOutage = 0;
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use(recordCalls(calls));
  // The token endpoint answers before the Management API's auth (its own errors, RFC 6749 §5.2).
  app.post('/oauth2/v1/token', express.urlencoded({ extended: false }), (req, res, next) => {
    // TEST FAULT (control.tokenUnavailable): the token endpoint is down, whatever was asked.
    if (tokenOutage > 0) {
      tokenOutage--;
      return void res.status(503).end();
    }
    oauth.token(req.body ?? {}, `${baseUrl}/oauth2/v1/token`).then((answer) => { res.status(answer.status).json(answer.body); }, next);
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Okta-Request-Id', randomBytes(10).toString('base64url'));
    const auth = req.get('authorization') ?? '';
    // TEST FAULT (control.echoCredentials), not Okta behaviour: refuse and quote the credential back.
    if (echoCredentials) throw oktaError(401, 'E0000011', `Invalid token provided (Authorization: ${auth})`, [`token ${auth.replace(/^SSWS /, '')} was sent as ${JSON.stringify({ authorization: auth })}`]);
    if (auth !== `SSWS ${token}` && !oauth.accepts(auth)) throw OKTA_ERRORS.invalidToken();
    // An access token reaches only what its scopes grant (an API token reaches all).
    const scopes = oauth.scopesOf(auth);
    if (scopes) {
      const needed = scopesNeeded(req.method, req.path);
      if (needed && !needed.some((s) => scopes.includes(s))) throw OKTA_ERRORS.insufficientScope(needed);
    }
    const verdict = rateLimit.take();
    res.setHeader('Date', new Date(rateLimit.now()).toUTCString());
    res.setHeader('X-Rate-Limit-Limit', String(verdict.limit));
    res.setHeader('X-Rate-Limit-Remaining', String(verdict.remaining));
    const reset = readings.rateLimitReset === 'epoch-ms' ? verdict.reset * 1000 : readings.rateLimitReset === 'delta-seconds' ? Math.max(0, verdict.reset - Math.floor(Date.now() / 1000)) : verdict.reset;
    res.setHeader('X-Rate-Limit-Reset', String(reset));
    if (!verdict.allowed) throw OKTA_ERRORS.rateLimited();
    next();
  });

  // A write's body must be a JSON object. [INF] Okta's documentation cited in docs/writeback.md does not say how Okta answers another
  // content type or an empty body; the strict answer is a refusal (400 E0000003). express.json() leaves
  // such a body unread, so a user POST answered 200 having changed nothing, as if it had landed.
  app.use(['/api/v1/users/:id', '/api/v1/meta/schemas/user/default'], (req: Request, _res: Response, next: NextFunction) => {
    // The routes themselves only (`req.path` is what follows the mount path): a POST to a route
    // under them that the emulator does not serve (`/lifecycle/deactivate`) stays a 404 E0000007.
    if (req.path === '/' && (req.method === 'POST' || req.method === 'PUT') && !(req.is('application/json') && req.get('content-length') !== '0' && req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body))) {
      throw OKTA_ERRORS.badRequest(`expected a JSON object with Content-Type application/json, got ${req.get('content-type') ?? 'no Content-Type'}`);
    }
    next();
  });

  app.get('/api/v1/meta/schemas/user/default', (_req, res) => { res.json(schema.toJSON(baseUrl)); });
  app.post('/api/v1/meta/schemas/user/default', (req, res) => {
    const fields: readonly string[] = readings.schemaPropertyFields === 'reference-example' ? REFERENCE_EXAMPLE_FIELDS : MODEL_FIELDS;
    schema.refuseFieldsBeyond(req.body, readings.schemaEnum === 'refused' ? fields.filter((f) => f !== 'enum') : fields);
    schema.applyPartial(req.body, { typeChange: readings.schemaTypeChange }, (name) => [...users.values()].map((u) => u.profile[name]));
    if (readings.schemaUpdateAnswer === 'no-content') {
      res.status(204).end();
      return;
    }
    res.json(schema.toJSON(baseUrl));
  });

  app.get('/api/v1/users/:id', (req, res) => { res.json(render(findUser(String(req.params.id)))); });

  // POST is a partial update: only the profile properties sent change; null removes one.
  app.post('/api/v1/users/:id', (req, res) => {
    const user = updatableUser(String(req.params.id));
    const profile = checkProfile(req.body?.profile ?? {});
    // null removes a property, but never a required one (the user would no longer fit the schema).
    const cleared = REQUIRED_BASE.filter((k) => k in profile && (profile[k] === null || profile[k] === ''));
    if (cleared.length > 0) throw OKTA_ERRORS.validation(cleared.map((k) => `${k}: The field cannot be left blank`));
    if (sourceMastered(user, profile).length > 0) throw OKTA_ERRORS.mastered();
    for (const [k, v] of Object.entries(profile)) {
      if (v === null) delete user.profile[k];
      else user.profile[k] = v;
    }
    user.lastUpdated = now();
    if (readings.userUpdateAnswer === 'no-content') {
      res.status(204).end();
      return;
    }
    res.json(render(user));
  });

  // PUT replaces the whole profile: every property not sent is lost (Okta's "Replace a user",
  // https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/#tag/User/operation/replaceUser).
  // Kept to show why write-back never uses it.
  app.put('/api/v1/users/:id', (req, res) => {
    const user = updatableUser(String(req.params.id));
    const profile = checkProfile(req.body?.profile ?? {});
    // A PUT carries the whole profile, base properties included: refused for a sourced user.
    if (sourceMastered(user, profile).length > 0) throw OKTA_ERRORS.mastered();
    // Every required base property must be sent: PUT keeps nothing it is not given.
    const causes = REQUIRED_BASE.filter((k) => typeof profile[k] !== 'string' || profile[k] === '').map((k) => `${k}: The field cannot be left blank`);
    if (causes.length > 0) throw OKTA_ERRORS.validation(causes);
    user.profile = Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== null));
    user.lastUpdated = now();
    res.json(render(user));
  });

  app.use((_req: Request, _res: Response) => { throw oktaNotFoundRoute(); });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof OktaEmulatorError) {
      res.status(err.status).json(err.body);
      return;
    }
    const status = (err as { status?: number }).status ?? 500;
    res.status(status).json(OKTA_ERRORS.badRequest(String((err as Error).message)).body);
  });

  return {
    calls,
    /** A copy of the users and the custom schema properties, for assertions. */
    state() {
      return {
        users: [...users.values()].map((u) => structuredClone(u)),
        schema: Object.fromEntries([...schema.custom].map(([k, v]) => [k, structuredClone(v)])),
        customRequired: [...schema.customRequired],
      };
    },
    control: {
      /**
       * TEST FAULT, not Okta behaviour: every request is refused with 401 E0000011 whose summary and
       * causes quote the Authorization header it carried (the SSWS token), as an echoing proxy
       * would. Proves an echoed credential never reaches hubwarden's logs, store or audit.
       */
      echoCredentials(on: boolean) { echoCredentials = on; },
      /**
       * TEST FAULT: the next `count` access token requests (all of them with Infinity) answer 503
       * with no body, as an outage or a proxy in front of the endpoint would; 0 ends it.
       */
      tokenUnavailable(count = Infinity) { tokenOutage = count; },
      /** The next `count` requests answer 429 E0000047 (after auth), reset `resetInSeconds` from now. */
      throttleNext(count: number, resetInSeconds = 0) { rateLimit.throttleNext(count, resetInSeconds); },
      setRateLimit(options: RateLimitOptions | undefined) { rateLimit.configure(options); },
      /** The org's "Edit Deactivated User Profile Updates" turned on or off. */
      setEditDeactivatedUserProfiles(on: boolean) { editDeactivated = on; },
      /** A lifecycle change made in Okta (deactivate → DEPROVISIONED, reactivate, suspend…). */
      setStatus(idOrLogin: string, status: string) {
        const user = findUser(idOrLogin);
        user.status = status;
        user.lastUpdated = now();
      },
      /** The user's profile now comes from `source` (undefined: from Okta), which maps `sourceMapped` custom properties too. */
      setMasteredBy(idOrLogin: string, source: string | undefined, sourceMapped?: string[]) {
        const user = findUser(idOrLogin);
        if (source) user.masteredBy = source;
        else delete user.masteredBy;
        if (source && sourceMapped) user.sourceMapped = [...sourceMapped];
        else delete user.sourceMapped;
      },
      addUser(seed: OktaSeedUser): string {
        const id = seed.id ?? `00u${randomBytes(8).toString('hex').slice(0, 17)}`;
        users.set(id, { id, status: seed.status ?? 'ACTIVE', created: now(), lastUpdated: now(), ...(seed.masteredBy ? { masteredBy: seed.masteredBy } : {}), ...(seed.sourceMapped ? { sourceMapped: [...seed.sourceMapped] } : {}), profile: { login: seed.login, email: seed.email ?? seed.login, ...seed.profile } });
        return id;
      },
      clearCalls() { calls.length = 0; },
      /** Test control, no Okta API: the service app's access tokens issued and not revoked. */
      issuedTokens(): string[] { return oauth.issuedTokens(); },
      /** The service app changed in Okta (key rotated, scopes granted or revoked); issued access tokens stop working. */
      setServiceApp(app: OktaServiceApp | undefined) {
        oauth.app = app;
        oauth.revokeAll();
      },
    },
    async listen(port = 0): Promise<LoopbackServer> {
      const server = await listenOnLoopback(app, port);
      baseUrl = server.url;
      return server;
    },
  };
}

/**
 * The scope an access token needs for a call: Okta's documentation cited in docs/writeback.md gives `okta.users.manage` for the
 * user update and `okta.schemas.manage` for the schema update, and nothing else. [INF] A read
 * takes the same scope: that documentation names no `.read` scope, so none is taken (the strict
 * answer). Undefined: a route the emulator does not serve.
 */
function scopesNeeded(_method: string, path: string): string[] | undefined {
  if (path === '/api/v1/meta/schemas/user/default') return ['okta.schemas.manage'];
  if (path.startsWith('/api/v1/users/')) return ['okta.users.manage'];
  return undefined;
}

function oktaNotFoundRoute(): OktaEmulatorError {
  const err = OKTA_ERRORS.notFound('route');
  err.body.errorSummary = 'Not found: Resource not found: route (the emulator does not implement it)';
  return err;
}

export type OktaEmulator = ReturnType<typeof createOktaEmulator>;
