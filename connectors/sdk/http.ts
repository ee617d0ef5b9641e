import { ConnectorError } from './connector-error.ts';
import type { ConnectorContext } from './connector.ts';
import { redactSecrets, redactUrl } from './redact.ts';
import { Turns } from './turns.ts';

/**
 * The HTTP layer every connector shares (: effects at the edges). Injectable
 * fetch and base URL (tests and the sandbox point it at emulators), a per-request timeout, JSON
 * and form bodies, an `onCall` hook per request, and redaction of tokens in every log line and
 * every error it builds. It does not interpret provider errors: it returns the response and the
 * provider's own table (e.g. meta-business/graph-errors.ts) maps it to a ConnectorError kind.
 * Transport failures (timeout, refused, dropped socket) become `unavailable` here.
 */

export type HttpMethod = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
export type QueryValue = string | number | boolean | undefined;

export interface HttpRequest {
  method: HttpMethod;
  /** A path under the base URL, or an absolute URL on the base URL's origin. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, QueryValue>;
  /** Sent as application/json. */
  json?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** What this call is for, in messages: `meta-business: list business users`. */
  what: string;
  /** How many provider operations this request carries (a Graph batch carries up to 50). */
  operations?: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else undefined. */
  body: unknown;
  text: string;
  ms: number;
}

export interface HttpClientOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Secret values to strip from every log line and message (tokens). */
  secrets?: () => readonly string[];
  log?: ConnectorContext['log'];
  onCall?: ConnectorContext['onCall'];
  /** Whether an answer is the provider's rate limit, reported to `onCall` (`throttled`). */
  throttled?: (res: { status: number; body: unknown }) => boolean;
  /**
   * Requests in flight at once (default: no limit); the rest wait their turn, in order, before
   * their timeout starts. Bounds the sockets a connector opens to its app whatever the callers'
   * concurrency (the agent runs more tasks per hub than requests: many share a batch request).
   */
  maxInFlight?: number;
}

export class HttpClient {
  readonly baseUrl: URL;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #secrets: () => readonly string[];
  readonly #log?: ConnectorContext['log'];
  readonly #onCall?: ConnectorContext['onCall'];
  readonly #throttled?: HttpClientOptions['throttled'];
  readonly #turns?: Turns;

  constructor(options: HttpClientOptions) {
    if (options.maxInFlight !== undefined) this.#turns = new Turns(options.maxInFlight);
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#secrets = options.secrets ?? (() => []);
    this.#log = options.log;
    this.#onCall = options.onCall;
    this.#throttled = options.throttled;
  }

  redact(text: string): string {
    return redactSecrets(text, this.#secrets());
  }

  /** The absolute URL of a request; refuses other origins so a token never leaves for elsewhere. */
  urlOf(path: string, query?: Record<string, QueryValue>): URL {
    const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(path.replace(/^\//, ''), this.baseUrl);
    if (url.origin !== this.baseUrl.origin) {
      throw new ConnectorError('invalid-argument', `refusing to call ${url.origin}: not the configured base URL ${this.baseUrl.origin}`);
    }
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    if (!this.#turns) return this.#send(req);
    await this.#turns.take();
    try {
      return await this.#send(req);
    } finally {
      this.#turns.give();
    }
  }

  async #send(req: HttpRequest): Promise<HttpResponse> {
    const url = this.urlOf(req.path, req.query);
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.form) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(req.form)) if (v !== undefined) form.set(k, String(v));
      body = form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = req.timeoutMs ?? this.#timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const started = performance.now();
    const logPath = url.pathname;
    try {
      // Redirects are never followed: fetch keeps custom headers (a token in `Access-Token`) and
      // re-sends a 307/308 body (a token in a form) to wherever `Location` points, another origin
      // included (the Fetch Standard strips only `Authorization` across origins,
      // https://fetch.spec.whatwg.org/#http-redirect-fetch). The 3xx goes to the provider's table.
      const res = await this.#fetch(url, { method: req.method, headers, body, signal: controller.signal, redirect: 'manual' });
      const text = await res.text();
      const ms = Math.round(performance.now() - started);
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      this.#onCall?.({
        method: req.method, path: logPath, status: res.status, ms, ...(req.operations ? { operations: req.operations } : {}),
        ...(this.#throttled ? { throttled: this.#throttled({ status: res.status, body: parsed }) } : {}),
      });
      this.#log?.debug(this.redact(`${req.what}: ${req.method} ${redactUrl(url)} → ${res.status} in ${ms} ms`));
      return { status: res.status, headers: res.headers, body: parsed, text, ms };
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      this.#onCall?.({ method: req.method, path: logPath, status: 0, ms, ...(req.operations ? { operations: req.operations } : {}) });
      const cause = controller.signal.aborted ? `timed out after ${timeoutMs} ms` : transportCause(err);
      const message = this.redact(`${req.what}: unavailable (${cause})`);
      this.#log?.warn(message, { method: req.method, path: logPath });
      throw new ConnectorError('unavailable', message, { providerCode: controller.signal.aborted ? 'timeout' : 'network' });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `connection reset (ECONNRESET)` from undici's nested causes, without any URL or token. */
function transportCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  const msg = cause?.message ?? (err as Error)?.message ?? String(err);
  return code ? `${msg} (${code})` : msg;
}
