import type { ErrorRequestHandler, Response } from 'express';
import { childLogger, redactText, type Logger } from '../../agent/log/logger.ts';
import { isStoreContention } from '../../agent/store/store-contention.ts';

/**
 * Problem details (RFC 9457): every error the admin API and the hooks return is one of these,
 * served as `application/problem+json`. `type` is a stable URI per kind of problem so a client
 * (Okta Workflows, the CLI) can branch on it without parsing the human `detail`.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** RFC 9457 §3.2 extension member: the request field that was wrong. */
  field?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const TYPE_BASE = 'https://hubwarden.dev/problems/';

/** An HTTP error that renders itself as problem details (the Hono HTTPException idea). */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }

  toJSON(instance?: string): ProblemDetails {
    return {
      type: TYPE_BASE + this.slug,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      // Agent refusals may quote a provider's error text: answered only after the logs' redaction.
      detail: redactText(this.message),
      ...(instance ? { instance } : {}),
      ...(this.field ? { field: this.field } : {}),
    };
  }
}

export const notFound = (what: string) => new Problem(404, 'not-found', `${what} does not exist`);
export const badRequest = (detail: string, field?: string) => new Problem(400, 'invalid-request', detail, field);

export function sendProblem(res: Response, problem: Problem, instance: string): void {
  for (const [k, v] of Object.entries(problem.headers)) res.setHeader(k, v);
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toJSON(instance)));
}

/**
 * The agent's errors carry a kind from the connector vocabulary;
 * this is the one table mapping those kinds to HTTP statuses. An unknown failure is a 500 with
 * a generic detail (the cause goes to the log, never to the caller).
 */
const KIND_STATUS: Record<string, { status: number; slug: string }> = {
  'invalid-argument': { status: 400, slug: 'invalid-request' },
  'not-found': { status: 404, slug: 'not-found' },
  conflict: { status: 409, slug: 'conflict' },
  'permission-denied': { status: 403, slug: 'permission-denied' },
  unauthenticated: { status: 503, slug: 'upstream-unauthenticated' },
  'rate-limited': { status: 503, slug: 'rate-limited' },
  unavailable: { status: 503, slug: 'unavailable' },
};

/** A body-parser limit in bytes as the config wrote it (`8mb` → 8 MB). */
function sizeText(bytes: number): string {
  for (const [unit, size] of [['MB', 1024 * 1024], ['KB', 1024]] as const) if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  return `${bytes} bytes`;
}

/** Express body-parser errors (`type` set by body-parser) that are the caller's fault. */
function fromBodyParser(err: { type?: string; status?: number; limit?: unknown }): Problem | undefined {
  if (err.type === 'entity.parse.failed') return new Problem(400, 'malformed-json', 'the request body is not valid JSON');
  // body-parser sets `limit` (bytes) on the error: the admin API reads 1 MB, the Okta event hook 8 MB.
  if (err.type === 'entity.too.large') return new Problem(413, 'body-too-large', `the request body is larger than ${typeof err.limit === 'number' ? sizeText(err.limit) : 'the limit'}`);
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
    return new Problem(415, 'unsupported-encoding', 'the request body encoding is not supported');
  }
  // express: a route parameter whose %-escapes do not decode
  if (err instanceof URIError) return new Problem(400, 'invalid-request', 'the request path holds a malformed %-escape');
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    return new Problem(err.status, 'invalid-request', 'the request body could not be read');
  }
  return undefined;
}

export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  // Its kind is `conflict` (how a task reports it), but nothing about the request conflicts:
  // other writes to the same records kept winning, and the same request can simply go again.
  if (isStoreContention(err)) return new Problem(503, 'unavailable', err.answer, undefined, { 'Retry-After': String(err.retryAfterSeconds) });
  if (err && typeof err === 'object') {
    const fromBody = fromBodyParser(err as { type?: string; status?: number; limit?: unknown });
    if (fromBody) return fromBody;
    const kind = (err as { kind?: unknown }).kind;
    if (typeof kind === 'string' && KIND_STATUS[kind]) {
      const { status, slug } = KIND_STATUS[kind];
      // The agent's refusals (agent/agent-error.ts) say `agent: …` for the log; the caller gets the rest.
      const detail = String((err as Error).message).replace(/^agent: /, '');
      // A store that refuses writes says when to retry (StoreUnavailable, agent/store).
      const retry = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      return new Problem(status, slug, detail, (err as { field?: string }).field, typeof retry === 'number' ? { 'Retry-After': String(retry) } : {});
    }
  }
  return new Problem(500, 'internal', 'the request failed inside hubwarden; the server log has the cause');
}

/** The last handler of a router: everything thrown becomes problem details; 5xx causes are logged. */
export function problemHandler(log: Pick<Logger, 'error'> = childLogger('admin-api')): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem = toProblem(err);
    if (problem.status >= 500) log.error(`${req.method} ${req.originalUrl}: ${(err as Error)?.message ?? String(err)}`, { status: problem.status });
    if (res.headersSent) return;
    sendProblem(res, problem, req.originalUrl);
  };
}
