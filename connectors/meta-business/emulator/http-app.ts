/**
 * The HTTP face of the emulator: an Express app mountable under any prefix. It reads bodies in
 * every encoding Graph clients use, applies transport faults (latency, held requests, dropped
 * sockets, answers lost after a write was made), strips the `vNN.0` prefix, and serves the `/__emulator/*` control endpoints.
 */
import type { IncomingMessage } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';
import { readBody as readRawBody } from '../../sdk/read-body.ts';
import { dispatch, errorReply, type BatchRunner } from './graph-router.ts';
import { runBatch } from './batch.ts';
import { parseBody, parseQuery } from './request-params.ts';
import { GraphError } from './graph-error.ts';
import { usageHeaders } from './usage-headers.ts';
import type { EmulatorRuntime, GraphCall, GraphMethod, GraphReply } from './graph-context.ts';
import type { FaultConfig } from './faults.ts';

export interface EmulatorControlApi {
  acceptInvite(requestId: string, person?: { name?: string; email?: string }): { memberId: string };
  declineInvite(requestId: string): void;
  expireInvite(requestId: string): void;
  setFaults(f: FaultConfig): void;
  state(): unknown;
  reset(): void;
}

const VERSION = /^\/(v\d+\.\d+)(?=\/|$)/;

export const runGraphBatch: BatchRunner = (runtime, call) =>
  runBatch(call, (op) => dispatch(runtime, op, runGraphBatch), (path) => runtime.faults.batchCut(path));

/** Bodies past this size are cut off and refused: no Graph call needs more (a 50-op batch is small). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

function readBody(req: Request): Promise<Buffer> {
  return readRawBody(req, MAX_BODY_BYTES, () => new GraphError({ code: 100, message: `(#100) Request body larger than ${MAX_BODY_BYTES} bytes` }));
}

/** The body params, also when a parent app's express.json()/urlencoded() already parsed them into req.body. */
function bodyParamsOf(req: Request, raw: Buffer): Record<string, unknown> {
  const parsed: unknown = (req as { body?: unknown }).body;
  if (raw.length === 0 && parsed && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) return { ...(parsed as Record<string, unknown>) };
  return parseBody(req.get('content-type'), raw);
}

/**
 * The reply's own headers (usage, WWW-Authenticate) and the content type: no others. Graph sends
 * more (a version and a trace id header, among others), but the Meta documentation this emulator
 * follows names only these (usage headers: https://developers.facebook.com/docs/graph-api/overview/rate-limiting);
 * on others the vendor docs are silent, [INF] strict choice: none is sent, so no client can come to
 * rely on one an independent emulator lacks.
 */
function send(res: Response, reply: GraphReply): void {
  res.status(reply.status);
  for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
  res.setHeader('content-type', 'application/json; charset=UTF-8');
  res.end(JSON.stringify(reply.body));
}

function bearer(req: Request): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return m?.[1];
}

/** Who may use the `/__emulator/*` control endpoints; absent: anyone (tests, standalone on loopback). */
export type EmulatorControlAuth = (req: IncomingMessage) => boolean;

export function createGraphApp(runtime: EmulatorRuntime, baseLatencyMs: number, control: EmulatorControlApi, controlAuth?: EmulatorControlAuth): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Mounted inside the product (`/sandbox/graph`), the control endpoints change what the sandbox
  // business looks like (accept invites, inject faults) and list every call: the product guards
  // them with its admin token (RFC 6750 §3 challenge on refusal).
  if (controlAuth) {
    app.use('/__emulator', (req, res, next) => {
      if (controlAuth(req)) return next();
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="hubwarden"');
      res.json({ error: { message: 'meta emulator: the /__emulator control endpoints need an admin token ("Authorization: Bearer <token>")' } });
    });
  }

  const inviteAction = async (req: Request, res: Response, id: string, action: string) => {
    const body = await readBody(req);
    try {
      const person = body.length > 0 ? (parseBody(req.get('content-type'), body) as { name?: string; email?: string }) : undefined;
      if (action === 'accept') return void res.json(control.acceptInvite(id, person));
      if (action === 'decline') control.declineInvite(id);
      else if (action === 'expire') control.expireInvite(id);
      else return void res.status(404).json({ error: { message: `meta emulator: unknown invite action ${action}` } });
      res.json({ success: true });
    } catch (err) {
      res.status(err instanceof GraphError && err.subcode === 33 ? 404 : 409).json({ error: { message: (err as Error).message } });
    }
  };
  app.post('/__emulator/invites/:id/:action', (req, res) => inviteAction(req, res, String(req.params.id), String(req.params.action)));
  // No Graph call accepts an invite, so tooling needs a hook; `accept_invite/{request-id}` is its name in
  // the emulator guidance hubwarden follows (connector README, [INF] table), beside invites/{id}/accept.
  app.post('/__emulator/accept_invite/:id', (req, res) => inviteAction(req, res, String(req.params.id), 'accept'));
  app.put('/__emulator/faults', async (req, res) => {
    const body = await readBody(req);
    try {
      control.setFaults(body.length > 0 ? (JSON.parse(body.toString('utf8')) as FaultConfig) : {});
      res.json({ success: true, faults: runtime.faults.current });
    } catch (err) {
      res.status(400).json({ error: { message: `meta emulator: faults must be a JSON object: ${(err as Error).message}` } });
    }
  });
  app.post('/__emulator/reset', (_req, res) => {
    control.reset(); // the business as the fixture has it; faults and the call log are kept
    res.json({ success: true });
  });
  app.get('/__emulator/calls', (_req, res) => void res.json(runtime.calls));
  // Over HTTP the token values are redacted: the sandbox is mounted inside the product.
  app.get('/__emulator/state', (_req, res) => {
    const state = control.state() as { tokens: Array<{ value: string }> };
    res.json({ ...state, tokens: state.tokens.map((t) => ({ ...t, value: '[redacted]' })) });
  });

  app.use(async (req, res) => {
    const url = new URL(req.url, 'http://emulator.invalid');
    let rawPath: string;
    try {
      rawPath = decodeURIComponent(url.pathname);
    } catch {
      rawPath = url.pathname; // malformed %-escapes: routed as-is, ends as 2500
    }
    const version = VERSION.exec(rawPath)?.[1] ?? '';
    const path = (version ? rawPath.slice(version.length + 1) : rawPath).replace(/\/+$/, '') || '/';
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      res.setHeader('connection', 'close');
      return send(res, errorReply(err, false, usageHeaders(runtime, undefined)));
    }
    const transport = runtime.faults.transport(path);
    if (transport === 'forbidden') {
      runtime.calls.push({ method: req.method, path, query: {}, body: {}, status: 403, at: runtime.now() });
      return void res.status(403).end();
    }
    if (transport) {
      runtime.calls.push({ method: req.method, path, query: {}, body: {}, status: 0, at: runtime.now() });
      // A held request is answered never; the client's own timeout ends it. A drop resets the socket.
      if (transport === 'drop') req.socket.destroy();
      return;
    }
    const latency = baseLatencyMs + runtime.faults.latencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    let reply: GraphReply;
    try {
      const query = parseQuery(url.search) as Record<string, string>;
      const bodyParams = bodyParamsOf(req, body);
      const params = { ...query, ...bodyParams };
      const method = (req.method === 'PUT' ? 'POST' : req.method) as GraphMethod;
      const tokenParam = params.access_token;
      const proofParam = params.appsecret_proof;
      const call: GraphCall = {
        method,
        path,
        version,
        params,
        query,
        body: bodyParams,
        token: typeof tokenParam === 'string' && tokenParam !== '' ? tokenParam : bearer(req),
        ...(typeof proofParam === 'string' ? { proof: proofParam } : {}),
        base: `${req.protocol}://${req.get('host')}${req.baseUrl}`,
        batch: false,
      };
      reply = dispatch(runtime, call, runGraphBatch);
    } catch (err) {
      // Only body decoding throws here; every Graph failure is already a reply.
      reply = errorReply(err, false, usageHeaders(runtime, undefined));
      runtime.calls.push({ method: req.method, path, query: {}, body: {}, status: reply.status, code: reply.code, at: runtime.now() });
    }
    // Legacy `suppress_http_code=1` (opt-in, `legacyOverrides`): errors come back with HTTP 200, the envelope unchanged (https://developers.facebook.com/docs/graph-api/overview).
    if (runtime.legacyOverrides && reply.status !== 200 && url.searchParams.get('suppress_http_code') === '1') reply = { ...reply, status: 200 };
    // The change is made (and logged in `calls`), the answer never arrives (FaultConfig.lostReply).
    if (runtime.faults.loseReply(req.method, path)) return void req.socket.destroy();
    if (!res.destroyed) send(res, reply);
  });
  return app;
}
