/**
 * Routes one Graph call (an HTTP request or one operation of a batch) to its endpoint:
 * `/{id}` and `/{id}/{edge}` by the kind of node the id names, `/debug_token`, and the batch
 * endpoint `/`. Unknown ids are 100/33, unknown edges and deeper paths 2500 (https://developers.facebook.com/docs/graph-api/results, https://developers.facebook.com/docs/graph-api/guides/error-handling).
 */
import { GraphError, invalidParameter, invalidToken, missingToken, unknownPath, unsupportedRequest } from './graph-error.ts';
import { callForId, idsRequest } from './multi-id.ts';
import { GraphContext, type EmulatorRuntime, type GraphCall, type GraphMethod, type GraphReply, type RecordedCall } from './graph-context.ts';
import { parseFields } from './field-selection.ts';
import { countCall, usageHeaders } from './usage-headers.ts';
import { NODE_ROUTES } from './graph-routes.ts';
import { debugToken } from './debug-token.ts';
import { requireServedVersion } from './api-versions.ts';
import { requireBatchParams, requireKnownParams } from './route-params.ts';
import { requireAppSecretProof } from './app-secret.ts';
import { graphTime, type Token } from './model.ts';
import type { GraphNode } from './world.ts';

export type BatchRunner = (runtime: EmulatorRuntime, call: GraphCall) => unknown;

export function dispatch(runtime: EmulatorRuntime, call: GraphCall, runBatch: BatchRunner): GraphReply {
  const segments = call.path.split('/').filter((s) => s !== '');
  const objectId = segments[0];
  // A batch envelope is not a call of its own: each operation counts and is throttled (https://developers.facebook.com/docs/graph-api/batch-requests, https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
  const envelope = segments.length === 0 && call.params.batch !== undefined;
  if (!envelope) countCall(runtime);
  let reply: GraphReply;
  try {
    const method = runtime.legacyOverrides ? effectiveMethod(call) : call.method;
    const effective = method === call.method ? call : { ...call, method };
    const echoed = runtime.faults.echo(call.path, call.token);
    if (echoed) throw echoed;
    requireQueryOnly(call);
    const caller = authenticate(runtime, effective);
    requireServedVersion(call.version, call.path);
    const node = objectId && objectId !== 'debug_token' ? runtime.world.resolve(objectId) : undefined;
    const fault = envelope ? undefined : runtime.faults.operation(call.path, objectId ?? 'app');
    if (fault) throw fault;
    const body = route(runtime, effective, caller, segments, node, runBatch);
    reply = { status: 200, body, headers: usageHeaders(runtime, objectId) };
  } catch (err) {
    // A non-Graph exception is an emulator bug: answered as Graph's code 1, but reported.
    if (!(err instanceof GraphError)) runtime.log?.error(`meta emulator: ${call.method} ${call.path} failed inside the emulator`, { error: String(err), stack: (err as Error)?.stack });
    reply = errorReply(err, call.batch, usageHeaders(runtime, objectId));
  }
  record(runtime, call, reply, readOn(runtime.world.resolve(objectId ?? ''), segments));
  return reply;
}

const NODE_TYPE_OF_ASSET = { ad_account: 'AdAccount', page: 'Page', catalog: 'ProductCatalog', pixel: 'AdsPixel' } as const;

/** The Graph node type an id names (graph-fields.json's names). */
export function nodeTypeOf(node: GraphNode): string {
  switch (node.kind) {
    case 'business': return 'Business';
    case 'business_user': return 'BusinessUser';
    case 'invite': return 'BusinessRoleRequest';
    case 'system_user': return 'SystemUser';
    case 'asset': return NODE_TYPE_OF_ASSET[node.entity.type];
  }
}

/** Which node type and edge a call read its `fields` on, for the call record (the fields test). */
function readOn(node: GraphNode | undefined, segments: string[]): RecordedCall['readOn'] {
  if (!node || segments.length > 2) return undefined;
  const type = nodeTypeOf(node);
  return segments.length === 2 ? { node: type, edge: `${type}/${segments[1]}` } : { node: type };
}

function route(runtime: EmulatorRuntime, call: GraphCall, caller: Token, segments: string[], node: GraphNode | undefined, runBatch: BatchRunner): unknown {
  const multi = idsRequest(call, segments, node);
  if (multi) {
    const out: Record<string, unknown> = {};
    multi.ids.forEach((id, i) => {
      if (i > 0) countCall(runtime);
      const target = runtime.world.resolve(id);
      if (!target) throw invalidParameter(`Some of the aliases you requested do not exist: ${id}`);
      out[id] = route(runtime, callForId(call, id, multi.edge), caller, multi.edge ? [id, multi.edge] : [id], target, runBatch);
    });
    return out;
  }
  if (segments.length === 0) {
    if (call.method === 'POST' && call.params.batch !== undefined) {
      requireBatchParams(call);
      return runBatch(runtime, call);
    }
    throw unknownPath('/');
  }
  const ctx = new GraphContext(call, runtime, caller, parseFields(typeof call.params.fields === 'string' ? call.params.fields : undefined));
  // Opt-in (MetaEmulatorOptions.debugToken): off, the path is one Graph does not know (2500 below).
  if (runtime.debugToken && segments[0] === 'debug_token' && segments.length === 1 && call.method === 'GET') return debugToken(ctx);
  if (!node) {
    // A well-formed id that names nothing (or nothing this token may see) vs. a path Graph does not know.
    if (/^(act_)?\d+$/.test(segments[0])) throw unsupportedRequest(call.method, segments[0]);
    throw unknownPath(`/${segments.join('/')}`);
  }
  if (segments.length > 2) throw unknownPath(`/${segments.slice(2).join('/')}`);
  const routes = NODE_ROUTES[node.kind] as { node: Methods; edges: Record<string, Methods> };
  const methods = segments.length === 1 ? routes.node : routes.edges[segments[1]];
  if (!methods) throw unknownPath(`/${segments[1]}`);
  const handler = methods[call.method];
  if (!handler) throw unsupportedRequest(call.method, segments[0]);
  requireKnownParams(call, node, segments[1], runtime.legacyOverrides);
  return handler(ctx, node.entity);
}

type Methods = Partial<Record<GraphMethod, (ctx: GraphContext, entity: unknown) => unknown>>;

/**
 * GET and DELETE carry their parameters in the query string; a body is for POST (and PUT inside a
 * batch, whose operations "may add body" for those methods only). Both official SDKs send
 * DELETE parameters in the query (https://github.com/facebook/facebook-nodejs-business-sdk/blob/ebd272a36a1a54a10e846cc4c42200be54871f5a/src/api.js,
 * https://github.com/facebook/facebook-python-business-sdk/blob/94914f9dabd06f0a5cbed72b5824ee45e407cbe7/facebook_business/api.py;
 * https://developers.facebook.com/docs/graph-api/batch-requests). Meta does not say what Graph
 * does with a GET or DELETE body: refusing it is the [INF] strict reading (connector README), so a
 * client that starts sending one (a DELETE /{asset}/assigned_users with `user` in a form body)
 * fails here, not against a Graph that reads only the query and answers "(#100) The parameter
 * user is required". Nothing is done.
 */
function requireQueryOnly(call: GraphCall): void {
  if (call.method !== 'GET' && call.method !== 'DELETE') return;
  const [name] = Object.keys(call.body);
  if (name !== undefined) throw invalidParameter(`Param ${name} was sent in the body of a ${call.method}; ${call.method} parameters go in the query string`);
}

/** Legacy `method=post|delete` override on GET (https://github.com/facebook/facebook-python-business-sdk/blob/94914f9dabd06f0a5cbed72b5824ee45e407cbe7/facebook_business/api.py, optional): only with `legacyOverrides`. */
function effectiveMethod(call: GraphCall): GraphMethod {
  const m = typeof call.query.method === 'string' ? call.query.method.toUpperCase() : undefined;
  if (call.method === 'GET' && (m === 'POST' || m === 'DELETE')) return m;
  return call.method;
}

function authenticate(runtime: EmulatorRuntime, call: GraphCall): Token {
  if (!call.token) throw missingToken();
  const token = runtime.world.tokens.get(call.token);
  if (!token) throw invalidToken();
  const now = runtime.now();
  if (token.expiresAt !== null && token.expiresAt <= now) {
    throw invalidToken(
      `Error validating access token: Session has expired on ${graphTime(token.expiresAt)}. The current time is ${graphTime(now)}.`,
      463,
    );
  }
  requireAppSecretProof(runtime.appSecret, call.token, call.proof);
  return token;
}

export function errorReply(err: unknown, inBatch: boolean, headers: Record<string, string>): GraphReply {
  const graphError =
    err instanceof GraphError ? err : new GraphError({ code: 1, message: 'An unknown error occurred', subcode: 99, isTransient: true });
  const out = { ...headers, ...graphError.headers };
  const authenticate = graphError.authenticateHeader;
  if (authenticate) out['www-authenticate'] = authenticate;
  return { status: inBatch ? graphError.batchStatus : graphError.status, body: graphError.toBody(), headers: out, code: graphError.code };
}

const SECRET_PARAMS = new Set(['access_token', 'input_token', 'appsecret_proof']);

function redactParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (SECRET_PARAMS.has(k)) out[k] = '[redacted]';
    else if (k === 'batch' && typeof v === 'string') out[k] = v.replace(/("access_token"\s*:\s*")[^"]*"/g, '$1[redacted]"').replace(/(access_token|appsecret_proof)=[^&"]*/g, '$1=[redacted]');
    else out[k] = v;
  }
  return out;
}

function record(runtime: EmulatorRuntime, call: GraphCall, reply: GraphReply, on: RecordedCall['readOn']): void {
  runtime.calls.push({
    method: call.method,
    path: call.path,
    query: redactParams(call.query) as Record<string, string>,
    body: redactParams(call.body),
    status: reply.status,
    ...(reply.code !== undefined ? { code: reply.code } : {}),
    at: runtime.now(),
    ...(call.batch ? { batch: true } : {}),
    ...(on ? { readOn: on } : {}),
  });
}
