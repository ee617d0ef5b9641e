/**
 * A strict Okta for write-back, written apart from test/emulators/okta from Okta's public
 * documentation only: the Schemas API (partial POST of `definitions.custom`,
 * https://developer.okta.com/docs/reference/api/schemas/), the Users API (GET a user, partial
 * profile update with POST /api/v1/users/{id}; a PUT would null every property not sent,
 * https://developer.okta.com/docs/reference/api/users/), API token and OAuth auth, and rate limits
 * (429 E0000047 with X-Rate-Limit-* headers, https://developer.okta.com/docs/reference/rl-best-practices/).
 * Anything those pages do not allow is refused and recorded in `refused`; a property sent with
 * the value the user already has (not a delta) is recorded in `notes`.
 * Where the docs are silent the strict answer is taken and marked [INF].
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { verify, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface StrictOktaUser { id: string; login: string; status?: 'ACTIVE' | 'DEPROVISIONED'; profile?: Record<string, unknown> }
export interface StrictOktaCall { method: string; path: string; status: number; body?: unknown }

/** Fields of a custom property the Schemas API example and the SDK's own schema test use. */
const PROPERTY_FIELDS = new Set(['title', 'type', 'enum', 'permissions', 'minLength', 'maxLength']);
const BASE = ['login', 'email', 'firstName', 'lastName', 'secondEmail', 'mobilePhone'];

export interface StrictOkta {
  url: string;
  calls: StrictOktaCall[];
  /** Requests refused because the docs do not allow them (method, path, why). */
  refused: string[];
  /** Accepted but not as the docs advise (a property sent unchanged). */
  notes: string[];
  custom: Record<string, Record<string, unknown>>;
  users: Map<string, Required<StrictOktaUser>>;
  throttleNext(n: number): void;
  close(): Promise<void>;
}

/**
 * An OAuth service app (https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/):
 * client credentials with a private_key_jwt client assertion (RFC 7523) signed RS256, scopes
 * okta.users.manage and okta.schemas.manage; the access token is then sent as `Bearer`.
 */
/**
 * `keyId`: the app holds several public keys and this one's id, so an assertion must name it in
 * its `kid` header (RFC 7515 §4.1.4). [INF] The SDK takes "JWK or PEM + keyId"
 * (https://github.com/okta/okta-sdk-nodejs#oauth-20-authentication); with `keyId` set this double
 * refuses an assertion that names no key or another one.
 */
export interface StrictServiceApp { clientId: string; publicKey: KeyObject; scopes: string[]; keyId?: string }

export async function startStrictOkta(options: { token?: string; serviceApp?: StrictServiceApp; users: StrictOktaUser[] }): Promise<StrictOkta> {
  const accessTokens = new Set<string>();
  const custom: Record<string, Record<string, unknown>> = {};
  const users = new Map<string, Required<StrictOktaUser>>(options.users.map((u) => [u.id, { id: u.id, login: u.login, status: u.status ?? 'ACTIVE', profile: { login: u.login, email: u.login, ...u.profile } }]));
  const calls: StrictOktaCall[] = [];
  const refused: string[] = [];
  const notes: string[] = [];
  let throttle = 0;
  let remaining = 600;

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, parsed?: unknown) => {
    calls.push({ method: req.method!, path: req.url!, status, body: parsed });
    // Every answer carries the rate-limit headers (Okta: X-Rate-Limit-Limit, -Remaining, -Reset in epoch seconds).
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-rate-limit-limit': '600',
      'x-rate-limit-remaining': String(status === 429 ? 0 : remaining),
      'x-rate-limit-reset': String(Math.floor(Date.now() / 1000)),
    });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  /** Okta's error body: errorCode E0000xxx, errorSummary, errorLink, errorId, errorCauses. */
  const error = (req: IncomingMessage, res: ServerResponse, status: number, code: string, summary: string, parsed?: unknown, causes: string[] = []) => {
    if (status !== 429 && code !== 'E0000007') refused.push(`${req.method} ${req.url}: ${code} ${summary}${causes.length ? ` (${causes.join('; ')})` : ''}`);
    send(req, res, status, { errorCode: code, errorSummary: summary, errorLink: code, errorId: 'oae-strict', errorCauses: causes.map((c) => ({ errorSummary: c })) }, parsed);
  };
  const schema = () => ({
    id: '/meta/schemas/user/default', $schema: 'http://json-schema.org/draft-04/schema#', name: 'user', type: 'object',
    definitions: {
      base: { id: '#base', type: 'object', properties: Object.fromEntries(BASE.map((n) => [n, { title: n, type: 'string' }])), required: ['login', 'email'] },
      custom: { id: '#custom', type: 'object', properties: structuredClone(custom), required: [] },
    },
    properties: { profile: { allOf: [{ $ref: '#/definitions/custom' }, { $ref: '#/definitions/base' }] } },
  });
  const userOf = (key: string) => users.get(key) ?? [...users.values()].find((u) => u.login.toLowerCase() === key.toLowerCase());
  const shown = (u: Required<StrictOktaUser>) => ({ id: u.id, status: u.status, profile: u.profile, _links: { self: { href: `/api/v1/users/${u.id}` } } });

  /** POST /oauth2/v1/token: an OAuth error (RFC 6749 §5.2) for anything but a valid assertion. */
  const tokenEndpoint = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const oauth = (status: number, error: string, description: string) => {
      refused.push(`${req.method} ${req.url}: ${status} ${error} ${description}`);
      calls.push({ method: req.method!, path: req.url!, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error, error_description: description }));
    };
    const app = options.serviceApp;
    if (!app) return oauth(401, 'invalid_client', 'no service app');
    if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return oauth(400, 'invalid_request', 'POST a form');
    const f = new URLSearchParams(raw);
    if (f.get('grant_type') !== 'client_credentials') return oauth(400, 'unsupported_grant_type', String(f.get('grant_type')));
    if (f.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return oauth(400, 'invalid_client', 'client_assertion_type');
    const scopes = (f.get('scope') ?? '').split(' ').filter(Boolean);
    if (scopes.length === 0 || !scopes.every((s) => app.scopes.includes(s))) return oauth(400, 'invalid_scope', `scope "${f.get('scope')}"`);
    const parts = (f.get('client_assertion') ?? '').split('.');
    if (parts.length !== 3) return oauth(401, 'invalid_client', 'malformed client_assertion');
    let header: any; let claims: any;
    try { header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()); claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()); } catch { return oauth(401, 'invalid_client', 'malformed client_assertion'); }
    if (header.alg !== 'RS256' || !verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), app.publicKey, Buffer.from(parts[2]!, 'base64url'))) return oauth(401, 'invalid_client', 'client_assertion signature');
    if (app.keyId !== undefined && header.kid !== app.keyId) return oauth(401, 'invalid_client', `client_assertion kid ${JSON.stringify(header.kid)}`);
    const now = Math.floor(Date.now() / 1000);
    const aud = `http://${req.headers.host}/oauth2/v1/token`;
    if (claims.iss !== app.clientId || claims.sub !== app.clientId || claims.aud !== aud || !(claims.exp > now) || claims.exp - now > 3600 || typeof claims.jti !== 'string') return oauth(401, 'invalid_client', `client_assertion claims ${JSON.stringify({ iss: claims.iss, sub: claims.sub, aud: claims.aud })}`);
    const token = `strict-okta-access-${accessTokens.size + 1}`;
    accessTokens.add(token);
    calls.push({ method: 'POST', path: req.url!, status: 200 });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, access_token: token, scope: scopes.join(' ') }));
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0]!;
    if (path === '/oauth2/v1/token') return tokenEndpoint(req, res, raw);
    // API token: `Authorization: SSWS {token}`; OAuth: `Bearer {access token}` (Okta API docs). [INF] no other form.
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!(options.token !== undefined && auth === `SSWS ${options.token}`) && !(bearer !== undefined && accessTokens.has(bearer))) return error(req, res, 401, 'E0000011', 'Invalid token provided');
    if (throttle > 0) {
      throttle--;
      return error(req, res, 429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
    }
    remaining = Math.max(1, remaining - 1);
    let body: any;
    if (req.method === 'POST') {
      // [INF] a JSON body declared as JSON.
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return error(req, res, 415, 'E0000001', 'Api validation failed: Content-Type must be application/json');
      try { body = JSON.parse(raw); } catch { return error(req, res, 400, 'E0000003', 'The request body was not well-formed.'); }
    } else if (raw.length > 0) return error(req, res, 400, 'E0000003', `A ${req.method} carries no body`);

    if (path === '/api/v1/meta/schemas/user/default') {
      if (req.method === 'GET') return send(req, res, 200, schema());
      if (req.method !== 'POST') return error(req, res, 405, 'E0000022', 'The endpoint does not support the provided HTTP method', body);
      // Partial update of `definitions.custom` only: base properties are Okta's.
      const causes: string[] = [];
      if (!body || typeof body !== 'object' || Object.keys(body).some((k) => k !== 'definitions')) causes.push('only `definitions` may be sent');
      const defs = body?.definitions ?? {};
      if (Object.keys(defs).some((k) => k !== 'custom')) causes.push('only `definitions.custom` may be changed');
      const c = defs.custom ?? {};
      for (const k of Object.keys(c)) if (!['id', 'type', 'properties', 'required'].includes(k)) causes.push(`definitions.custom.${k} is not a field`);
      if (c.id !== '#custom' || c.type !== 'object') causes.push('definitions.custom must have id "#custom" and type "object"');
      const props = (c.properties ?? {}) as Record<string, unknown>;
      for (const [name, p] of Object.entries(props)) {
        if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) causes.push(`${name}: not a valid property name`);
        if (p === null) continue; // null removes the property
        const prop = p as Record<string, unknown>;
        for (const k of Object.keys(prop)) if (!PROPERTY_FIELDS.has(k)) causes.push(`${name}.${k} is not a property field`);
        if (typeof prop.title !== 'string' || prop.title === '') causes.push(`${name}.title is required`);
        if (prop.type !== 'string') causes.push(`${name}.type must be string`);
        if (prop.enum !== undefined && !(Array.isArray(prop.enum) && prop.enum.every((v) => typeof v === 'string'))) causes.push(`${name}.enum must list strings`);
        if (prop.permissions !== undefined && !(Array.isArray(prop.permissions) && prop.permissions.every((x: any) => typeof x?.principal === 'string' && ['READ_ONLY', 'READ_WRITE', 'HIDE'].includes(x?.action)))) causes.push(`${name}.permissions malformed`);
      }
      if (causes.length) return error(req, res, 400, 'E0000001', 'Api validation failed: userSchema', body, causes);
      for (const [name, p] of Object.entries(props)) {
        if (p === null) delete custom[name];
        else custom[name] = { ...(p as Record<string, unknown>) };
      }
      return send(req, res, 200, schema(), body);
    }

    const m = /^\/api\/v1\/users\/([^/]+)$/.exec(path);
    if (m) {
      const user = userOf(decodeURIComponent(m[1]!));
      if (req.method === 'GET') return user ? send(req, res, 200, shown(user)) : error(req, res, 404, 'E0000007', `Not found: Resource not found: ${m[1]} (User)`);
      // PUT replaces the whole profile (every property not sent is nulled): never for write-back.
      if (req.method !== 'POST') return error(req, res, 405, 'E0000022', 'The endpoint does not support the provided HTTP method', body);
      if (!user) return error(req, res, 404, 'E0000007', `Not found: Resource not found: ${m[1]} (User)`, body);
      const causes: string[] = [];
      if (!body || typeof body !== 'object' || Object.keys(body).some((k) => k !== 'profile') || typeof body.profile !== 'object' || body.profile === null) causes.push('only `profile` with the changed properties may be sent');
      const profile = (body?.profile ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(profile)) {
        const def = custom[k];
        if (!def) { causes.push(`${k}: not a custom property of the schema (a full-profile write?)`); continue; }
        if (v === null) continue;
        if (typeof v !== 'string') causes.push(`${k}: not a string`);
        else {
          if (Array.isArray(def.enum) && !def.enum.includes(v)) causes.push(`${k}: "${v}" is not one of the enum`);
          if (typeof def.maxLength === 'number' && v.length > def.maxLength) causes.push(`${k}: longer than ${def.maxLength}`);
          if (typeof def.minLength === 'number' && v.length < def.minLength) causes.push(`${k}: shorter than ${def.minLength}`);
        }
      }
      if (causes.length) return error(req, res, 400, 'E0000001', 'Api validation failed: profile', body, causes);
      // [INF] Okta does not update DEPROVISIONED users unless "Edit Deactivated User Profile Updates" is on (off here).
      if (user.status === 'DEPROVISIONED') return error(req, res, 403, 'E0000006', 'You do not have permission to perform the requested action', body);
      for (const [k, v] of Object.entries(profile)) {
        if ((user.profile[k] ?? null) === v) notes.push(`POST ${path}: ${k} sent unchanged (${JSON.stringify(v)})`);
        else if (user.profile[k] === undefined && v === '') notes.push(`POST ${path}: ${k} sent as "" where the user has no value`);
        if (v === null) delete user.profile[k];
        else user.profile[k] = v;
      }
      return send(req, res, 200, shown(user), body);
    }
    return error(req, res, 404, 'E0000022', 'The endpoint does not exist', body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls, refused, notes, custom, users,
    throttleNext: (n) => { throttle = n; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
