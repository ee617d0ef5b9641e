/**
 * The HTTP face of the emulator: an Express app mountable under any prefix. Requests go to
 * `/open_api/v1.3/<endpoint>/` with the token in the `Access-Token` header and POST bodies as JSON
 * (TikTok API for Business "Request URL format" and Authentication pages); every answer that
 * reaches the API is HTTP 200 with the envelope and an `X-Tt-Logid` header. Transport faults
 * (latency, held requests, dropped sockets, HTTP 503) apply before the API; a lost reply
 * (`lostReply`) after it, to a write carried out. Control endpoints
 * live under `/__emulator/`.
 */
import type { IncomingMessage } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';
import { readBody as readRawBody } from '../../sdk/read-body.ts';
import { route, type ApiAnswer } from './router.ts';
import { acceptInvite, declineInvite, expireInvite, InviteControlError } from './invites.ts';
import type { EmulatorRuntime } from './context.ts';
import type { FaultConfig } from './faults.ts';
import type { AppRateLimits } from './app-limits.ts';
import type { EmulatorState } from './model.ts';

/** Who may use `/__emulator/*`; absent: anyone (tests, standalone on loopback). */
export type EmulatorControlAuth = (req: IncomingMessage) => boolean;

export interface EmulatorControlApi {
  setFaults(f: FaultConfig): void;
  setRateLimits(l: AppRateLimits | undefined): void;
  state(): EmulatorState;
  reset(): void;
}

export const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: Request): Promise<Buffer> {
  return readRawBody(req, MAX_BODY_BYTES, () => new Error(`request body larger than ${MAX_BODY_BYTES} bytes`));
}

/** A POST body: a JSON object sent as application/json, nothing else (40002 otherwise). */
function jsonBody(req: Request, raw: Buffer): Record<string, unknown> | string {
  const parsed: unknown = (req as { body?: unknown }).body;
  const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return 'Content-Type: the body must be application/json';
  if (raw.length === 0 && parsed && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) return { ...(parsed as Record<string, unknown>) };
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return 'body: expected a JSON object';
}

/**
 * A POST's parameters: its JSON body only. A query parameter on a POST is unknown to the endpoint
 * (parameters travel in the body, "Request URL format" of the API Reference), so it is refused
 * like any unknown field, naming it, instead of being dropped unseen [INF #4].
 */
function postParams(req: Request, raw: Buffer, query: Record<string, string>): Record<string, unknown> | string {
  const inQuery = Object.keys(query)[0];
  if (inQuery !== undefined) return `${inQuery}: unknown parameter (a POST takes its parameters in the JSON body, not the query)`;
  return jsonBody(req, raw);
}

/**
 * A query parameter given more than once. TikTok's API Reference ("Request URL format",
 * https://business-api.tiktok.com/portal/docs/api-reference/v1.3) gives each GET parameter as one
 * query parameter (`filtering` one JSON-encoded object) and does not say which of two values
 * counts; taking the last one silently (`page_size=50&page_size=20` read as 20) would hide a
 * client's bug, so the call is refused naming it (40002) [INF #70].
 */
function repeatedKey(search: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  for (const key of search.keys()) {
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

/** A key that names an access token (`access_token`, `Access-Token`, `accessToken`). */
const TOKEN_KEY = /^access[-_]?token$/i;

/** `value` with every token in it replaced (the call log is readable over `/__emulator/calls`). */
function redactTokens(value: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return [...secrets].reduce((text, secret) => text.split(secret).join('[redacted]'), value);
  if (Array.isArray(value)) return value.map((v) => redactTokens(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, TOKEN_KEY.test(k) ? '[redacted]' : redactTokens(v, secrets)]));
  }
  return value;
}

function send(res: Response, answer: ApiAnswer): void {
  if (answer.kind === 'http') {
    res.status(answer.status).type('text/plain').send(answer.text);
    return;
  }
  res.status(200);
  res.setHeader('X-Tt-Logid', answer.envelope.request_id);
  res.setHeader('x-tt-trace-id', `00-${answer.envelope.request_id.toLowerCase().padEnd(32, '0').slice(0, 32)}-01`);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(answer.envelope));
}

export function createTikTokApp(rt: EmulatorRuntime, baseLatencyMs: number, control: EmulatorControlApi, controlAuth?: EmulatorControlAuth): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  if (controlAuth) {
    app.use('/__emulator', (req, res, next) => {
      if (controlAuth(req)) return next();
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="hubwarden"');
      res.json({ error: 'tiktok emulator: the /__emulator control endpoints need an admin token ("Authorization: Bearer <token>")' });
    });
  }
  app.post('/__emulator/invites/:bcId/:email/:action', async (req, res) => {
    const raw = await readBody(req);
    const { bcId, email, action } = req.params as Record<string, string>;
    try {
      if (action === 'accept') {
        const person = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as { name?: string }) : undefined;
        return void res.json(acceptInvite(rt, bcId, email, person));
      }
      if (action === 'decline') declineInvite(rt, bcId, email);
      else if (action === 'expire') expireInvite(rt, bcId, email);
      else return void res.status(404).json({ error: `tiktok emulator: unknown invitation action ${action}` });
      res.json({ ok: true });
    } catch (err) {
      res.status(err instanceof InviteControlError ? err.status : 400).json({ error: (err as Error).message });
    }
  });
  app.put('/__emulator/faults', async (req, res) => {
    try {
      const raw = await readBody(req);
      control.setFaults(raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as FaultConfig) : {});
      res.json({ ok: true, faults: rt.faults.current });
    } catch (err) {
      res.status(400).json({ error: `tiktok emulator: faults must be a JSON object: ${(err as Error).message}` });
    }
  });
  app.put('/__emulator/rate-limits', async (req, res) => {
    try {
      const raw = await readBody(req);
      control.setRateLimits(raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as AppRateLimits) : undefined);
      res.json({ ok: true });
    } catch (err) {
      res.status(400).json({ error: `tiktok emulator: rate limits must be {qps, qpm, qpd}: ${(err as Error).message}` });
    }
  });
  app.post('/__emulator/reset', (_req, res) => {
    control.reset(); // the Business Centers as the fixture has them; faults, limits and the call log are kept
    res.json({ ok: true });
  });
  app.get('/__emulator/calls', (_req, res) => void res.json(rt.calls));
  // Over HTTP token values are redacted: the sandbox is mounted inside the product.
  app.get('/__emulator/state', (_req, res) => {
    const state = control.state();
    res.json({ ...state, tokens: state.tokens.map((t) => ({ ...t, value: '[redacted]' })) });
  });

  app.use(async (req, res) => {
    const url = new URL(req.url, 'http://emulator.invalid');
    const query = Object.fromEntries(url.searchParams);
    const endpoint = url.pathname.replace(/^\/open_api\/[^/]+\//, '').replace(/\/$/, '');
    const record = (status: number, code?: number, body?: unknown): void => {
      // The token travels in a header and is never recorded; one a client put in the query or the
      // body (under any access-token spelling, or as any known token's value) is redacted.
      const secrets = new Set([...rt.world.tokens.keys(), req.get('access-token') ?? ''].filter(Boolean));
      rt.calls.push({ method: req.method, endpoint, query: redactTokens(query, secrets) as Record<string, string>, body: redactTokens(body ?? {}, secrets), status, ...(code !== undefined ? { code } : {}), at: rt.now() });
    };
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      record(413);
      res.setHeader('connection', 'close');
      return void res.status(413).type('text/plain').send(`413 ${(err as Error).message}`);
    }
    const transport = rt.faults.transport(endpoint);
    if (transport === 'timeout' || transport === 'drop') {
      record(0);
      // A held request is answered never (the client's own timeout ends it); a drop resets the socket.
      if (transport === 'drop') req.socket.destroy();
      return;
    }
    if (transport === 'http-503') {
      record(503);
      return void res.status(503).type('text/plain').send('503 Service Unavailable');
    }
    const latency = baseLatencyMs + rt.faults.latencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    let params: Record<string, unknown> | string = query;
    const twice = repeatedKey(url.searchParams);
    if (req.method === 'POST') params = postParams(req, raw, query);
    else if (twice !== undefined) params = `${twice}: given more than once (each parameter is one query parameter)`;
    const token = req.get('access-token') || undefined;
    const answer = route(rt, { method: req.method, path: url.pathname, token, params });
    record(answer.kind === 'http' ? answer.status : 200, answer.kind === 'envelope' ? answer.envelope.code : undefined, typeof params === 'string' ? {} : req.method === 'POST' ? params : {});
    // `lostReply`: carried out, then the answer lost (the socket reset before a byte of it).
    if (rt.faults.loseReply(req.method, endpoint)) return void req.socket.destroy();
    if (!res.destroyed) send(res, answer);
  });
  return app;
}
