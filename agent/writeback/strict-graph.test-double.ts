/**
 * A strict Microsoft Graph (and Entra token endpoint) for write-back, written apart from
 * test/emulators/graph from Microsoft's public documentation only: client-credentials tokens
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow), directory
 * extensions on an application (https://learn.microsoft.com/graph/api/application-post-extensionproperty,
 * resource https://learn.microsoft.com/graph/api/resources/extensionproperty: named
 * `extension_{appIdWithoutDashes}_{name}`, String up to 256 characters, at most 100 extension values
 * per object, null removes a value), `PATCH /users/{id | userPrincipalName}` and `/users('{…}')` (204), throttling (429 with Retry-After,
 * https://learn.microsoft.com/graph/throttling) and errors `{ error: { code, message } }`.
 * Anything else is refused and recorded in `refused`. Where the docs are silent: [INF].
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StrictGraphUser { id: string; userPrincipalName: string; accountEnabled?: boolean }
export interface StrictGraphCall { method: string; path: string; status: number; body?: unknown }
interface Extension { id: string; name: string; dataType: string; isMultiValued: boolean; targetObjects: string[] }

const DATA_TYPES = new Set(['Binary', 'Boolean', 'DateTime', 'Integer', 'LargeInteger', 'String']);
const TARGETS = new Set(['User', 'Group', 'AdministrativeUnit', 'Application', 'Device', 'Organization']);

export interface StrictGraph {
  url: string;
  calls: StrictGraphCall[];
  refused: string[];
  extensions: Extension[];
  values: Map<string, Record<string, unknown>>;
  tokensIssued(): number;
  throttleNext(n: number): void;
  close(): Promise<void>;
}

export async function startStrictGraph(o: { tenantId: string; clientId: string; clientSecret: string; appId: string; appObjectId: string; users: StrictGraphUser[] }): Promise<StrictGraph> {
  const calls: StrictGraphCall[] = [];
  const refused: string[] = [];
  const extensions: Extension[] = [];
  const users = o.users.map((u) => ({ accountEnabled: true, ...u }));
  const values = new Map<string, Record<string, unknown>>(users.map((u) => [u.id, {}]));
  const tokens = new Set<string>();
  let throttle = 0;
  const prefix = `extension_${o.appId.replace(/-/g, '')}_`;

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, parsed?: unknown, headers: Record<string, string> = {}) => {
    calls.push({ method: req.method!, path: req.url!, status, body: parsed });
    res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const error = (req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, parsed?: unknown, headers: Record<string, string> = {}) => {
    if (status !== 429 && code !== 'Request_ResourceNotFound') refused.push(`${req.method} ${req.url}: ${status} ${code} ${message}`);
    send(req, res, status, { error: { code, message, innerError: { 'request-id': 'strict', date: new Date().toISOString() } } }, parsed, headers);
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let path: string;
    try { path = decodeURIComponent((req.url ?? '').split('?')[0]!); } catch { return error(req, res, 400, 'BadRequest', 'Malformed percent-encoding'); }

    if (path === `/${o.tenantId}/oauth2/v2.0/token`) {
      const oauth = (status: number, error: string, description: string) => {
        refused.push(`${req.method} ${req.url}: ${status} ${error}`);
        send(req, res, status, { error, error_description: description });
      };
      if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return oauth(400, 'invalid_request', 'AADSTS900144: POST with a form body is required');
      const f = new URLSearchParams(raw);
      if (f.get('grant_type') !== 'client_credentials') return oauth(400, 'unsupported_grant_type', 'AADSTS70003');
      if (f.get('scope') !== 'https://graph.microsoft.com/.default') return oauth(400, 'invalid_scope', 'AADSTS1002012: scope must be {resource}/.default');
      if (f.get('client_id') !== o.clientId || f.get('client_secret') !== o.clientSecret) return oauth(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
      const token = `strict-graph-token-${tokens.size + 1}`;
      tokens.add(token);
      calls.push({ method: 'POST', path: req.url!, status: 200 });
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token }));
    }

    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!auth || !tokens.has(auth[1]!)) return error(req, res, 401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    if (throttle > 0) {
      throttle--;
      return error(req, res, 429, 'TooManyRequests', 'Too many requests', undefined, { 'retry-after': '1' });
    }
    let body: any;
    if (req.method === 'POST' || req.method === 'PATCH') {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return error(req, res, 415, 'Request_BadRequest', 'Content-Type must be application/json');
      try { body = JSON.parse(raw); } catch { return error(req, res, 400, 'BadRequest', 'Unable to read JSON request payload.'); }
    } else if (raw.length > 0) return error(req, res, 400, 'BadRequest', `A ${req.method} carries no body`);

    const app = /^\/v1\.0\/applications(?:\(appId='([^']+)'\)|\/([^/]+))\/extensionProperties$/.exec(path);
    if (app) {
      if ((app[1] ?? o.appId) !== o.appId || (app[2] ?? o.appObjectId) !== o.appObjectId) return error(req, res, 404, 'Request_ResourceNotFound', 'Resource does not exist.', body);
      // [INF] List extensionProperties (https://learn.microsoft.com/graph/api/application-list-extensionproperty).
      if (req.method === 'GET') return send(req, res, 200, { '@odata.context': 'strict', value: extensions });
      if (req.method !== 'POST') return error(req, res, 405, 'Request_BadRequest', 'Method not allowed', body);
      const unknown = Object.keys(body ?? {}).filter((k) => !['name', 'dataType', 'isMultiValued', 'targetObjects'].includes(k));
      if (unknown.length) return error(req, res, 400, 'Request_BadRequest', `Property ${unknown.join(', ')} does not exist on type extensionProperty`, body);
      if (typeof body.name !== 'string' || !/^[A-Za-z0-9_]{1,120}$/.test(body.name)) return error(req, res, 400, 'Request_BadRequest', 'Invalid name', body);
      if (!DATA_TYPES.has(body.dataType)) return error(req, res, 400, 'Request_BadRequest', 'Invalid dataType', body);
      if (body.isMultiValued !== undefined && typeof body.isMultiValued !== 'boolean') return error(req, res, 400, 'Request_BadRequest', 'Invalid isMultiValued', body);
      if (!Array.isArray(body.targetObjects) || body.targetObjects.length === 0 || !body.targetObjects.every((t: unknown) => TARGETS.has(t as string))) return error(req, res, 400, 'Request_BadRequest', 'Invalid targetObjects', body);
      const name = `${prefix}${body.name}`;
      // [INF] a duplicate name is refused as a bad request.
      if (extensions.some((e) => e.name.toLowerCase() === name.toLowerCase())) return error(req, res, 400, 'Request_BadRequest', 'An extension property exists with the name', body);
      const ext: Extension = { id: `ext-${extensions.length + 1}`, name, dataType: body.dataType, isMultiValued: body.isMultiValued ?? false, targetObjects: body.targetObjects };
      extensions.push(ext);
      return send(req, res, 201, ext, body);
    }

    // By object id or userPrincipalName (Graph "Update user": /users/{id | userPrincipalName},
    // https://learn.microsoft.com/graph/api/user-update), one percent-encoded segment; or, as Graph's
    // "Get user" gives for a userPrincipalName beginning with `$` (https://learn.microsoft.com/graph/api/user-get),
    // `/users('{id | userPrincipalName}')`, an OData string literal in which `''` is one quote (OData
    // v4.01 ABNF, SQUOTE-in-string). `/users/$x@y.com` fails there with 400 Bad Request.
    // [INF] Both read after percent-decoding (`%24` is `$`); the parenthesised form is served for any
    // id or UPN; the 400's code and wording are ours.
    const rawPath = (req.url ?? '').split('?')[0]!;
    const segment = /^\/v1\.0\/users\/([^/]+)$/.exec(rawPath);
    const quoted = /^\/v1\.0\/users\('((?:[^']|'')*)'\)$/.exec(path);
    let key: string | undefined;
    if (quoted) key = quoted[1]!.replace(/''/g, "'");
    else if (segment) {
      try { key = decodeURIComponent(segment[1]!); } catch { return error(req, res, 400, 'BadRequest', 'Malformed percent-encoding', body); }
      if (key.startsWith('$')) return error(req, res, 400, 'Request_BadRequest', `Unsupported segment '${key}': a userPrincipalName beginning with '$' is addressed as /users('${key}').`, body);
    }
    if (key !== undefined) {
      const user = users.find((x) => x.id === key || x.userPrincipalName.toLowerCase() === key!.toLowerCase());
      if (req.method !== 'PATCH') return error(req, res, 405, 'Request_BadRequest', 'Write-back only PATCHes users', body);
      if (!user) return error(req, res, 404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`, body);
      if (!body || typeof body !== 'object' || Array.isArray(body)) return error(req, res, 400, 'Request_BadRequest', 'A JSON object is required', body);
      const current = values.get(user.id)!;
      for (const [k, v] of Object.entries(body)) {
        const ext = extensions.find((e) => e.name === k);
        if (!ext || !ext.targetObjects.includes('User')) return error(req, res, 400, 'Request_BadRequest', `Property '${k}' does not exist as a declared property or extension property.`, body);
        if (v !== null && (typeof v !== 'string' || v.length > 256)) return error(req, res, 400, 'Request_BadRequest', `Invalid value for ${k} (String, at most 256 characters)`, body);
      }
      const next = { ...current };
      for (const [k, v] of Object.entries(body)) if (v === null) delete next[k]; else next[k] = v;
      if (Object.keys(next).length > 100) return error(req, res, 400, 'Request_BadRequest', 'More than 100 extension values', body);
      values.set(user.id, next);
      return send(req, res, 204, undefined, body);
    }
    return error(req, res, 404, 'Request_ResourceNotFound', 'No such endpoint for write-back', body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls, refused, extensions, values,
    tokensIssued: () => tokens.size,
    throttleNext: (n) => { throttle = n; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
