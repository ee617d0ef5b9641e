import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorContext } from '../sdk/connector.ts';
import type { HttpClient, QueryValue } from '../sdk/http.ts';
import { formatWait, type RateLimitBook } from '../sdk/rate-limit-book.ts';
import { bucObjectOf, graphErrorOf, toConnectorError, type GraphErrorContext } from './graph-errors.ts';
import { limitOf, PageSizeCap, withLimit } from './graph-limit.ts';
import { APP_USAGE, appUsageDelayMs, BucReadings, parseUsage } from './graph-usage.ts';
import { fromCursor, staleListing, toCursor, withAsked, withoutCredentials } from './graph-cursor.ts';
import { hasErrorKey, isTransient, notRefused, writeAnswered } from './graph-answer.ts';

/**
 * A thin Graph API client for one token: versioned paths (https://developers.facebook.com/docs/graph-api/guides/versioning), the token as the
 * `access_token` parameter like both official SDKs (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started), with `appsecret_proof` beside it when the hub has an app secret, POST bodies form-encoded with lists
 * JSON-encoded like the Python SDK (https://developers.facebook.com/docs/graph-api/overview), cursor paging that follows the absolute `paging.next`
 * (https://developers.facebook.com/docs/graph-api/results) and batch requests of at most 50 operations (https://developers.facebook.com/docs/graph-api/batch-requests). Every failure goes through the one
 * error table (graph-errors.ts). It never retries: the agent's retry policy owns that.
 */

export type GraphParams = Record<string, QueryValue | readonly string[]>;

export interface GraphPage<T = Record<string, unknown>> {
  data: T[];
  /** Opaque cursor for the next page (the token-free `paging.next` URL), absent on the last page. */
  next?: string;
}

export interface BatchOperation {
  method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the version root, e.g. `act_1/assigned_users?business=2&limit=100`. */
  relativeUrl: string;
  body?: GraphParams;
}

export interface BatchResult {
  status: number;
  body: unknown;
  /** The op's own headers: its usage headers carry the wait when it is throttled (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). */
  headers?: Record<string, string>;
  /** The op's `relative_url`: the object a throttle without usage headers was on (graph-errors.ts bucScope). */
  path?: string;
  /** The op's `body` as sent, when it is no JSON (graph-answer.ts writeAnswered tells it from an empty one). */
  text?: string;
}

/** Graph's batch limit (https://developers.facebook.com/docs/graph-api/batch-requests). */
export const BATCH_LIMIT = 50;

/**
 * Batch requests one call keeps in flight. Each op counts toward rate limits (https://developers.facebook.com/docs/graph-api/batch-requests), so a caller
 * handing over thousands of assets must not fire them all at once; the agent adds its own
 * parallelism across calls.
 */
export const BATCHES_IN_FLIGHT = 4;

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}


export interface GraphClientOptions {
  http: HttpClient;
  /** Waits (tests inject a recorder); default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Epoch ms for the age of usage readings; default Date.now. */
  clock?: () => number;
  version: string;
  token: string;
  /** `appsecret_proof` for `token` (app-secret.ts), sent beside it on every request when the hub has an app secret. */
  appSecretProof?: string;
  /** The hub's id, named when Graph refuses the proof. */
  hubId?: string;
  businessId: string;
  book: RateLimitBook;
  log?: ConnectorContext['log'];
}

function encodeParams(params: GraphParams): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = {};
  for (const [k, v] of Object.entries(params)) out[k] = Array.isArray(v) ? JSON.stringify(v) : (v as QueryValue);
  return out;
}

export class GraphClient {
  readonly http: HttpClient;
  readonly version: string;
  readonly businessId: string;
  /** `access_token`, and `appsecret_proof` with it when configured: on every request (https://developers.facebook.com/docs/graph-api/securing-requests). */
  readonly #auth: Record<string, string>;
  readonly #appSecret: NonNullable<GraphErrorContext['appSecret']>;
  readonly #book: RateLimitBook;
  readonly #log?: ConnectorContext['log'];
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #clock: () => number;
  /** The latest X-App-Usage reading (highest of its percentages) and when it came. */
  #appUsage = { percent: 0, at: 0 };
  /** The latest X-Business-Use-Case-Usage reading per BUC object, for pacing calls on it. */
  readonly #bucUsage: BucReadings;
  /** The largest `limit` this Graph takes, learned from its refusals (graph-limit.ts). */
  readonly #pageSize: PageSizeCap;

  constructor(options: GraphClientOptions) {
    this.#log = options.log;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#clock = options.clock ?? Date.now;
    this.#bucUsage = new BucReadings(this.#clock);
    this.http = options.http;
    this.version = options.version;
    this.businessId = options.businessId;
    this.#auth = { access_token: options.token, ...(options.appSecretProof ? { appsecret_proof: options.appSecretProof } : {}) };
    this.#appSecret = { ...(options.hubId ? { hubId: options.hubId } : {}), sent: options.appSecretProof !== undefined };
    this.#book = options.book;
    this.#pageSize = new PageSizeCap((message) => this.#log?.warn(message, { businessId: this.businessId }));
  }

  /**
   * Records usage headers. A BUC object with a non-zero `estimated_time_to_regain_access` (minutes;
   * 0 when not throttled, https://developers.facebook.com/docs/graph-api/overview/rate-limiting) is
   * out of quota: it is blocked for that long even when this answer succeeded, since "continued
   * calls extend the block". The header may name up to 32 objects, not only the one called.
   */
  #noteUsage(headers: Headers | Record<string, string | undefined>): void {
    const usage = parseUsage(headers);
    for (const [scope, pct] of Object.entries(usage.percent)) {
      this.#book.noteUsage(scope, pct);
      if (scope !== 'app') this.#bucUsage.note(scope, pct);
    }
    if (usage.percent.app !== undefined) this.#appUsage = { percent: usage.percent.app, at: this.#clock() };
    for (const [object, ms] of Object.entries(usage.regainByObject)) this.#book.block(object, ms);
  }

  /**
   * Records usage headers; throws the mapped ConnectorError on an error envelope or HTTP ≥ 300. A
   * 3xx is no answer: the HTTP client follows no redirect (sdk/http.ts), so a write answered by
   * one was not made, and read as a success (no body, no `success: false`) it was reported done.
   */
  #settle(res: { status: number; body: unknown; headers: Headers; text?: string }, ctx: GraphErrorContext, path: string, write = false): unknown {
    this.#noteUsage(res.headers);
    if (res.status >= 300 || hasErrorKey(res.body)) throw this.#logged(this.#mapped(toConnectorError({ ...res, path }, { ...ctx, appSecret: this.#appSecret }, (s) => this.http.redact(s))), res.status, ctx);
    return write ? writeAnswered(res.body, res.text, ctx) : notRefused(res.body, ctx);
  }

  /** A throttled answer (a call, or an op inside a batch) blocks its scope. */
  #mapped(error: ConnectorError): ConnectorError {
    if (error.kind === 'rate-limited' && error.limitScope && error.retryAfterMs) this.#book.block(error.limitScope, error.retryAfterMs);
    return error;
  }

  /** Level follows the cause: upstream 5xx error, 4xx warn; a refusal the caller takes as an answer, debug. */
  #logged(error: ConnectorError, status: number, ctx?: GraphErrorContext): ConnectorError {
    const meta = { kind: error.kind, providerCode: error.providerCode, status, businessId: this.businessId };
    if (status >= 500) this.#log?.error(error.message, meta);
    else if (ctx?.answers?.includes(error.kind)) this.#log?.debug(error.message, meta);
    else this.#log?.warn(error.message, meta);
    return error;
  }

  /**
   * A blocked scope is honoured without calling: the invite limit per business
   * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users: resume 24 h later), and the blocks
   * below, because "continued calls extend the block" (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). Nothing is sent: not applied.
   */
  assertNotBlocked(scope: string, what: string): void {
    const left = this.#book.remainingMs(scope);
    if (left > 0) {
      throw new ConnectorError('rate-limited', `${what}: rate-limited (retry in ${formatWait(left)}): ${scope} is blocked`, {
        retryAfterMs: left, limitScope: scope, providerCode: 'local', notApplied: true,
      });
    }
  }

  /**
   * The blocks a call on `path` (relative to the version root) runs into: its business
   * (`business:<id>`: 368, 10/2859030, a BUC throttle on a business edge without a named object) and the BUC object
   * it is on (80000–80014: the ad account, keyed as Meta keys it). The agent's tasks wait only on
   * `app` and `invite:` scopes, so these are refused here. Token inspection (debug_token) is no
   * call on the business.
   */
  #assertCallable(path: string, ctx: GraphErrorContext): void {
    const object = bucObjectOf(path.replace(/^\/+/, ''));
    if (object === 'debug_token') return;
    this.assertNotBlocked(`business:${ctx.businessId}`, ctx.what);
    if (object) this.assertNotBlocked(object, ctx.what);
  }

  /** Slows down (or stops) as the app's usage nears Meta's platform limit (APP_USAGE), and slows down as a BUC object called on (`paths`) nears its quota (BucReadings). */
  async #paceForAppUsage(what: string, paths: readonly string[]): Promise<void> {
    const { percent, at } = this.#appUsage;
    const age = this.#clock() - at;
    const fresh = age <= APP_USAGE.PAUSE_MS;
    if (fresh && percent >= APP_USAGE.PAUSE_AT) {
      const left = APP_USAGE.PAUSE_MS - age;
      // Shown in rateLimits like any block; refused here without calling (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
      // Nothing was sent, so nothing changed in the app: notApplied, like assertNotBlocked's
      // refusals, so the task's next attempt still counts as a clean first one (attemptsRefused).
      this.#book.block('app', left);
      throw new ConnectorError('rate-limited', `${what}: rate-limited (retry in ${formatWait(left)}): app usage at ${percent}% of Meta's platform limit (X-App-Usage)`, {
        retryAfterMs: left, limitScope: 'app', providerCode: 'local', notApplied: true,
      });
    }
    const wait = Math.max(fresh ? appUsageDelayMs(percent) : 0, this.#bucUsage.delayMs(paths.map((p) => bucObjectOf(p.replace(/^\/+/, '')))));
    if (wait > 0) await this.#sleep(wait);
  }

  async call(method: 'GET' | 'POST' | 'DELETE', path: string, params: GraphParams, ctx: GraphErrorContext): Promise<unknown> {
    let sent = method === 'GET' && params.limit !== undefined ? { ...params, limit: this.#pageSize.capped(Number(params.limit)) } : params;
    /** A smaller limit tried after a bare (#100): kept once a read with it is answered (PageSizeCap). */
    let tried: number | undefined;
    for (;;) {
      if (ctx.isInvite) this.assertNotBlocked(`invite:${this.businessId}`, ctx.what);
      this.#assertCallable(path, ctx);
      await this.#paceForAppUsage(ctx.what, [path]);
      const encoded = encodeParams(sent);
      const res = await this.http.request(
        method === 'POST'
          ? { method, path: `${this.version}/${path}`, form: { ...encoded, ...this.#auth }, what: ctx.what }
          : { method, path: `${this.version}/${path}`, query: { ...encoded, ...this.#auth }, what: ctx.what },
      );
      const smaller = method === 'GET' && sent.limit !== undefined ? this.#pageSize.refused(res.body, Number(sent.limit)) : undefined;
      if (smaller === undefined) {
        if (tried !== undefined && res.status < 300 && !graphErrorOf(res.body)) this.#pageSize.answered(tried);
        return this.#settle(res, ctx, path, method !== 'GET');
      }
      tried = smaller;
      this.#noteUsage(res.headers);
      sent = { ...sent, limit: smaller };
    }
  }

  /** One page of an edge; pass the cursor from the previous page to continue. */
  async page<T = Record<string, unknown>>(path: string, params: GraphParams, cursor: string | undefined, ctx: GraphErrorContext): Promise<GraphPage<T>> {
    let body: unknown;
    if (cursor) {
      // A `limit` put back is no larger than this Graph takes (PageSizeCap).
      const asked = params.limit === undefined ? params : { ...params, limit: this.#pageSize.capped(Number(params.limit)) };
      const url = withAsked(fromCursor(cursor, ctx.what), encodeParams(asked));
      const relative = this.relativeOf(url);
      this.#assertCallable(relative, ctx);
      await this.#paceForAppUsage(ctx.what, [relative]);
      const res = await this.http.request({ method: 'GET', path: url, query: this.#auth, what: ctx.what });
      try {
        body = this.#settle(res, ctx, relative);
      } catch (err) {
        throw staleListing(err, ctx.what);
      }
    } else {
      body = await this.call('GET', path, params, ctx);
    }
    return this.toPage<T>(body, ctx.what);
  }

  /**
   * An edge answers `{ data: [...], paging }` (https://developers.facebook.com/docs/graph-api/results).
   * A 200 without a `data` array is not an empty last page: read as one, it would pass for a
   * complete listing (members all gone, a last-admin check seeing nobody), so it fails the read.
   */
  toPage<T>(body: unknown, what: string): GraphPage<T> {
    const b = body as { data?: T[]; paging?: { next?: string } } | undefined;
    if (!Array.isArray(b?.data)) throw new ConnectorError('unavailable', `${what}: Graph answered a page without a data array`);
    const next = b.paging?.next;
    return { data: b.data, ...(next ? { next: toCursor(this.#onBase(next)) } : {}) };
  }

  /**
   * A `paging.next` URL on the configured base. Graph's points back at the host called
   * (https://developers.facebook.com/docs/graph-api/results), but a server may name itself
   * differently (`localhost` for `127.0.0.1`, a public name behind a proxy), or give a path
   * without a host (README [INF]): its path and query are then taken onto the configured base,
   * so the listing is read to its end and the token still goes nowhere else (cursors naming
   * another origin stay refused).
   */
  #onBase(nextUrl: string): string {
    if (/^https?:\/\//i.test(nextUrl) && new URL(nextUrl).origin === this.http.baseUrl.origin) return nextUrl;
    return new URL(`${this.version}/${this.relativeOf(nextUrl)}`, this.http.baseUrl).toString();
  }

  /**
   * A `paging.next` Graph gave for the batch operation `asked` (a `relative_url`), as the next
   * operation's `relative_url`, with every parameter `asked` had that `next` leaves out (withAsked).
   */
  nextOp(nextUrl: string, asked: string): string {
    const url = new URL(this.relativeOf(nextUrl), 'http://graph.invalid/');
    const given = new URL(asked, 'http://graph.invalid/');
    const params: Record<string, QueryValue> = Object.fromEntries(given.searchParams);
    if (params.limit !== undefined) params.limit = this.#pageSize.capped(Number(params.limit));
    const filled = new URL(withAsked(url.toString(), params));
    return `${filled.pathname.slice(1)}${filled.search}`;
  }

  /** A `paging.next` URL (absolute, maybe with a token) as a batch `relative_url` under this version. */
  relativeOf(nextUrl: string): string {
    // Graph's `next` is absolute; a relative one is taken against the configured base.
    const url = withoutCredentials(new URL(nextUrl, this.http.baseUrl));
    const root = `${this.http.baseUrl.pathname}${this.version}/`;
    const path = url.pathname.startsWith(root) ? url.pathname.slice(root.length) : url.pathname.replace(/^\/(v\d+\.\d+\/)?/, '');
    return `${path}${url.search}`;
  }

  /**
   * Runs operations in batches of ≤ 50 (https://developers.facebook.com/docs/graph-api/batch-requests), results in request order. A `null` entry
   * (the batch timed out part-way) is re-sent in the next round, like the Python SDK; so is a GET
   * that failed transiently (code 1/2, HTTP 5xx): one op in fifty failing must not fail a read
   * of fifty assets. Writes are never re-sent. After three rounds what is left is reported as it
   * stands. One operation's error does not fail the others: each result carries its own status
   * and body for the caller to map.
   */
  async batch(ops: BatchOperation[], ctx: GraphErrorContext): Promise<BatchResult[]> {
    const results: Array<BatchResult | null> = ops.map(() => null);
    let pending = ops.map((_, i) => i);
    /** Per operation, the smaller limit tried after a bare (#100) (PageSizeCap). */
    const tried = new Map<number, number>();
    for (let round = 0; round < 3 && pending.length > 0; round++) {
      const chunks: number[][] = [];
      for (let i = 0; i < pending.length; i += BATCH_LIMIT) chunks.push(pending.slice(i, i + BATCH_LIMIT));
      // A first page asks for no more than a Graph that refused a larger limit takes (PageSizeCap);
      // an op refused for its limit is re-sent with a smaller one, like a transient failure.
      const limits = new Map<number, number>();
      await inParallel(chunks, BATCHES_IN_FLIGHT, async (chunk) => {
        const sent = await this.sendBatch(chunk.map((i) => {
          const limit = ops[i].method === 'GET' ? limitOf(ops[i].relativeUrl) : undefined;
          if (limit === undefined) return ops[i];
          const capped = this.#pageSize.capped(limit, tried.get(i));
          limits.set(i, capped);
          return capped === limit ? ops[i] : { ...ops[i], relativeUrl: withLimit(ops[i].relativeUrl, capped) };
        }), ctx);
        chunk.forEach((opIndex, j) => { if (sent[j]) results[opIndex] = sent[j]; });
      });
      const refusedLimit = (i: number): boolean => {
        const smaller = limits.has(i) && results[i] !== null ? this.#pageSize.refused(results[i]!.body, limits.get(i)!) : undefined;
        if (smaller !== undefined) tried.set(i, smaller);
        return smaller !== undefined;
      };
      for (const [i, limit] of tried) if (limits.get(i) === limit && results[i] && results[i]!.status < 300 && !graphErrorOf(results[i]!.body)) this.#pageSize.answered(limit);
      pending = pending.filter((i) => results[i] === null || (round < 2 && ops[i].method === 'GET' && (isTransient(results[i]!, this.businessId) || refusedLimit(i))));
      for (const i of pending) results[i] = null;
    }
    if (results.some((r) => r === null)) throw new ConnectorError('unavailable', `${ctx.what}: ${results.filter((r) => r === null).length} batch operations did not complete`);
    return results as BatchResult[];
  }

  /**
   * One batch request of ≤ 50 operations, sent once: results in request order, `null` for an
   * operation the batch did not complete (https://developers.facebook.com/docs/graph-api/batch-requests). A failure of the request itself throws.
   */
  async sendBatch(ops: BatchOperation[], ctx: GraphErrorContext): Promise<Array<BatchResult | null>> {
    // One blocked operation refuses the request: its callers read or write that object as a whole.
    for (const op of ops) this.#assertCallable(op.relativeUrl, ctx);
    await this.#paceForAppUsage(ctx.what, ops.map((op) => op.relativeUrl));
    const batch = ops.map((op) => {
      const body = op.body ? new URLSearchParams(encodeParams(op.body) as Record<string, string>).toString() : undefined;
      return { method: op.method, relative_url: op.relativeUrl, ...(body ? { body } : {}) };
    });
    const res = await this.http.request({
      method: 'POST', path: `${this.version}/`, form: { batch: JSON.stringify(batch), ...this.#auth },
      what: ctx.what, operations: ops.length,
    });
    const body = this.#settle(res, ctx, '');
    if (!Array.isArray(body)) throw new ConnectorError('internal', `${ctx.what}: batch response is not a list`);
    return ops.map((_, j) => {
      const item = body[j] as { code?: unknown; body?: unknown; headers?: Array<{ name: string; value: string }> } | null | undefined;
      // Each element is `{"code": 200, "headers": […], "body": "<JSON string>"}`, `null` when the op
      // did not complete (https://developers.facebook.com/docs/graph-api/batch-requests). One that
      // is no object or has no numeric `code` says nothing of its op: outcome unknown, as `null`
      // (README [INF]); read as a 200 it passed a write for made.
      if (!item || typeof item !== 'object' || Array.isArray(item) || typeof item.code !== 'number') return null;
      let parsed: unknown;
      let text: string | undefined;
      try {
        parsed = typeof item.body === 'string' ? (item.body.trim() === '' ? undefined : JSON.parse(item.body)) : item.body;
      } catch {
        parsed = undefined;
        text = item.body as string;
      }
      const status = item.code;
      const opHeaders = Array.isArray(item.headers) ? Object.fromEntries(item.headers.map((h) => [h.name.toLowerCase(), h.value])) : undefined;
      // Each op's usage counts like a call's (a BUC object out of quota blocks on a success too);
      // the headers are kept only for failures: they are what says how long to wait.
      if (opHeaders) this.#noteUsage(opHeaders);
      const headers = status >= 400 ? opHeaders : undefined;
      return { status, body: parsed, ...(headers ? { headers } : {}), path: ops[j].relativeUrl, ...(text !== undefined ? { text } : {}) };
    });
  }

  /** A failed batch operation as a ConnectorError through the same table. */
  errorOf(result: BatchResult, ctx: GraphErrorContext): ConnectorError {
    return this.#mapped(toConnectorError({ status: result.status, body: result.body, headers: result.headers, path: result.path }, { ...ctx, appSecret: this.#appSecret }, (s) => this.http.redact(s)));
  }

  /** A write operation's answer, or its error thrown and logged exactly as a single write's would be (a 3xx is no answer, as in #settle). */
  settleOp(result: BatchResult, ctx: GraphErrorContext): unknown {
    if (result.status >= 300 || hasErrorKey(result.body)) throw this.#logged(this.errorOf(result, ctx), result.status);
    return writeAnswered(result.body, result.text, ctx);
  }
}
