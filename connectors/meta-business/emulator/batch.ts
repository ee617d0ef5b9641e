/**
 * Batch requests (https://developers.facebook.com/docs/graph-api/batch-requests): `POST /` with `batch=[{method, relative_url, body?, name?,
 * access_token?}, …]`, at most 50 operations (more is 100). Each operation runs as its own Graph
 * call (counted, recorded, throttled on its own) with its own token or the top-level one, and
 * returns `{code, headers, body: "<json string>"}`; one failure does not fail the others.
 * `include_headers=false` omits headers. `{result=name:$.path}` references are resolved for
 * simple JSONPath (`$.data.0.id`, `$.id`).
 */
import { invalidParameter } from './graph-error.ts';
import { parseQuery, type GraphParams } from './request-params.ts';
import type { GraphCall, GraphMethod, GraphReply } from './graph-context.ts';

export const MAX_BATCH_OPERATIONS = 50;

interface BatchOperation {
  method?: string;
  relative_url?: string;
  body?: string;
  name?: string;
  access_token?: string;
}

export type OperationRunner = (call: GraphCall) => GraphReply;
/** Asked before each operation; true means the batch timed out there (the rest are null). */
export type BatchCut = (path: string) => boolean;

function parseOperations(raw: unknown): BatchOperation[] {
  let ops: unknown = raw;
  if (typeof raw === 'string') {
    try {
      ops = JSON.parse(raw);
    } catch {
      throw invalidParameter('The parameter batch must be a JSON-encoded array');
    }
  }
  if (!Array.isArray(ops)) throw invalidParameter('The parameter batch must be a JSON-encoded array');
  if (ops.length === 0) throw invalidParameter('The parameter batch must contain at least one operation');
  if (ops.length > MAX_BATCH_OPERATIONS) throw invalidParameter(`Too many requests in batch message. Maximum batch size is ${MAX_BATCH_OPERATIONS}`);
  return ops as BatchOperation[];
}

export function runBatch(call: GraphCall, runOperation: OperationRunner, cut: BatchCut = () => false): unknown {
  const ops = parseOperations(call.params.batch);
  const includeHeaders = String(call.params.include_headers ?? 'true') !== 'false';
  const named = new Map<string, unknown>();
  let timedOut = false;
  return ops.map((op, index) => {
    if (timedOut || (timedOut = cut(String(op?.relative_url ?? '')))) return null;
    if (!op || typeof op.relative_url !== 'string') {
      throw invalidParameter(`Missing relative_url in batch operation ${index}`);
    }
    const method = String(op.method ?? 'GET').toUpperCase() as GraphMethod;
    const relative = resolveReferences(op.relative_url, named);
    const [rawPath, search = ''] = relative.replace(/^\/+/, '').split('?', 2);
    const versionMatch = /^(v\d+\.\d+)(\/|$)/.exec(rawPath);
    const path = '/' + (versionMatch ? rawPath.slice(versionMatch[0].length) : rawPath);
    const query = parseQuery(search) as Record<string, string>;
    const body: GraphParams = typeof op.body === 'string' ? parseQuery(resolveReferences(op.body, named)) : {};
    const own = (query.access_token as string | undefined) ?? (body.access_token as string | undefined) ?? op.access_token;
    const token = own ?? call.token;
    // An operation's own proof is checked as given; one on the request's token has the request's
    // proof, checked already; one with a token of its own and no proof has none ([INF]).
    const opProof = (query.appsecret_proof as string | undefined) ?? (body.appsecret_proof as string | undefined);
    const proof = opProof ?? (own === undefined ? call.proof : undefined);
    const reply = runOperation({
      method: (method as string) === 'PUT' ? 'POST' : method,
      path: path.replace(/\/+$/, '') || '/',
      version: versionMatch?.[1] ?? call.version,
      params: { ...query, ...body },
      query,
      body,
      token,
      ...(proof !== undefined ? { proof } : {}),
      base: call.base,
      batch: true,
    });
    if (op.name) named.set(op.name, reply.body);
    const out: Record<string, unknown> = { code: reply.status, body: JSON.stringify(reply.body) };
    if (includeHeaders) {
      out.headers = [
        { name: 'Content-Type', value: 'text/javascript; charset=UTF-8' },
        ...Object.entries(reply.headers).map(([name, value]) => ({ name, value })),
      ];
    }
    return out;
  });
}

/** `{result=name:$.data.0.id}` → the value at that path of an earlier named operation's body. */
function resolveReferences(text: string, named: Map<string, unknown>): string {
  return text.replace(/\{result=([^:}]+):\$\.?([^}]*)\}/g, (_m, name: string, path: string) => {
    let value: unknown = named.get(name);
    for (const key of path.split('.').filter((k) => k !== '')) {
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    if (Array.isArray(value)) return value.join(',');
    return value === undefined ? '' : String(value);
  });
}
