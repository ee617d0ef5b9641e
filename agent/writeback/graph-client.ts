import { Client, HTTPMessageHandler, RetryHandler, RetryHandlerOptions, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { confirmLease } from './lease-fence.ts';
import { authorityRoot, graphServiceRoot } from './entra-urls.ts';

/**
 * A Microsoft Graph client (the real @microsoft/microsoft-graph-client SDK) whose middleware chain
 * is ours: client-credentials auth → the SDK's RetryHandler (429/503/504, honours Retry-After) →
 * the SDK's HTTPMessageHandler.
 *
 * Why not the SDK's default chain: its AuthenticationHandler (3.0.7) attaches the Authorization
 * header only to https URLs whose host is a known Graph host or listed in `customHosts`, and
 * silently drops it otherwise (https://learn.microsoft.com/graph/extensibility-overview). National clouds, a proxy, or the test
 * emulator on http://127.0.0.1 would get 401s. Our middleware always authenticates against the
 * configured `authorityUrl`, so the same code runs against Graph and against the emulator, and no
 * @azure/identity dependency is needed for one grant type.
 */
export interface GraphClientSettings {
  tenantId: string;
  clientId: string;
  /** Read at token time only; never logged or put in an error. */
  clientSecret: () => string;
  graphBaseUrl: string;
  authorityUrl: string;
  /** Retry policy for 429/503/504 (RetryHandler): seconds between tries when no Retry-After, and tries. */
  retry?: { delaySeconds?: number; maxRetries?: number };
  /** Paces every HTTP attempt (retries included) and pauses on 429 Retry-After. */
  pacing?: { take(): Promise<void>; pauseFor(ms: number): void };
  fetch?: typeof fetch;
  /** How long one HTTP attempt (a Graph call or the token request) may take (default 60 s). */
  attemptTimeoutMs?: number;
}

/**
 * fetch has no timeout of its own: a Graph or token endpoint that accepts the connection and never
 * answers (a black-holed proxy) held a write-back run for good, its lease renewed all the while,
 * so the hub's standings were never written again. Each attempt now gives up after this long; a
 * timeout is a failure like a 5xx (the person is tried again at the next run).
 */
export const GRAPH_ATTEMPT_TIMEOUT_MS = 60_000;

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/**
 * The Graph endpoints of Microsoft's national clouds (https://learn.microsoft.com/graph/deployments):
 * a token for one of them is asked for with that endpoint as the resource (`<endpoint>/.default`).
 * A token for the global service's audience is refused there (401), so a US Government or China
 * tenant's write-back never got through (Lifecycle Workflows are taken from the global cloud only: config/national-cloud.ts).
 */
const NATIONAL_GRAPH_HOSTS = new Set(['graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn']);

/**
 * The client-credentials scope for `graphBaseUrl`: its own `/.default` for a national cloud's Graph;
 * the global one for anything else, a proxy or an emulator standing in for the global service included.
 */
export function graphScopeFor(graphBaseUrl: string): string {
  let host: string;
  try {
    host = new URL(graphBaseUrl).hostname.toLowerCase();
  } catch {
    return GRAPH_SCOPE;
  }
  return NATIONAL_GRAPH_HOSTS.has(host) ? `https://${host}/.default` : GRAPH_SCOPE;
}
/** The name of the error thrown when the token endpoint refuses the app's credentials (4xx other than 429). */
export const TOKEN_REFUSED = 'TokenRefused';
/** The name of the error thrown when the token endpoint did not answer (a 5xx, a 429, a network failure or timeout): the credentials were not judged. */
export const TOKEN_UNAVAILABLE = 'TokenUnavailable';

/** Renew a token this long before it expires, so a call never leaves with a token about to lapse. */
const EXPIRY_MARGIN_MS = 120_000;

export class ClientCredentialsMiddleware implements Middleware {
  #next: Middleware | undefined;
  #token: { value: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;
  /** The token endpoint the authority's OpenID configuration names, once the usual one was not found (`#request`). */
  #discovered: string | undefined;
  /** Tokens requested so far (tests assert caching). */
  tokenRequests = 0;

  constructor(private readonly settings: GraphClientSettings) {}

  setNext(next: Middleware): void {
    this.#next = next;
  }

  async execute(context: Context): Promise<void> {
    setHeader(context, 'Authorization', `Bearer ${await this.token()}`);
    await this.#next!.execute(context);
    // A token revoked or rotated server-side: drop it, fetch a new one, try once more.
    if (context.response?.status === 401) {
      this.#token = undefined;
      setHeader(context, 'Authorization', `Bearer ${await this.token()}`);
      await this.#next!.execute(context);
    }
  }

  /** Forgets the cached token: the next call requests one (with the app's permissions as they are then). */
  forget(): void {
    this.#token = undefined;
  }

  async token(now = Date.now()): Promise<string> {
    if (this.#token && this.#token.expiresAt - EXPIRY_MARGIN_MS > now) return this.#token.value;
    this.#pending ??= this.#request().finally(() => { this.#pending = undefined; });
    return this.#pending;
  }

  async #request(): Promise<string> {
    const { authorityUrl, tenantId, clientId } = this.settings;
    const root = authorityRoot(authorityUrl, tenantId);
    const usual = `${root}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
    this.tokenRequests++;
    const failed = (why: string, name: string) => {
      const err = new Error(`entra: client-credentials token for app ${clientId} in tenant ${tenantId}: ${why}`);
      err.name = name;
      return err;
    };
    const post = async (url: string): Promise<Response> => {
      try {
        return await (this.settings.fetch ?? fetch)(url, {
          signal: AbortSignal.timeout(this.settings.attemptTimeoutMs ?? GRAPH_ATTEMPT_TIMEOUT_MS),
          method: 'POST',
          // The form carries the client secret. fetch follows a 307/308 with the same method and
          // body, to any origin (https://fetch.spec.whatwg.org/#http-redirect-fetch: only a 301/302/303
          // POST loses its body), so a redirect from the token endpoint (a proxy, a hijacked path)
          // sent the secret wherever it pointed. Entra's token endpoint answers, never redirects
          // (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#get-a-token):
          // a redirect is not followed and fails the request.
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: clientId, client_secret: this.settings.clientSecret(), scope: graphScopeFor(this.settings.graphBaseUrl), grant_type: 'client_credentials' }),
        });
      } catch (cause) {
        // No answer (refused connection, DNS, the attempt timeout): the endpoint is unavailable, and
        // the message names the token request rather than leaving a bare "fetch failed".
        const e = cause as { message?: unknown; cause?: { code?: unknown } };
        const code = typeof e?.cause?.code === 'string' ? ` (${e.cause.code})` : '';
        throw failed(`${typeof e?.message === 'string' ? e.message : String(cause)}${code}`, TOKEN_UNAVAILABLE);
      }
    };
    type TokenAnswer = { access_token?: string; expires_in?: number; error?: unknown; error_description?: unknown };
    const read = async (r: Response) => (await r.json().catch(() => ({}))) as TokenAnswer;
    let res = await post(this.#discovered ?? usual);
    let body = await read(res);
    // [INF] Not served where Entra serves it: the authority's OpenID configuration names its token
    // endpoint, as the credential of Microsoft's Graph SDK docs (ClientSecretCredential, through
    // MSAL) reads it (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri).
    // Not served: a 404, or a 4xx (not 429) that is no token endpoint's answer, having no RFC 6749
    // §5.2 `error` string: a Graph-like host answers a path it does not serve 400 with Graph's
    // `{ error: { code, message } }`, and only a 404 used to be read so; the token endpoint its
    // OpenID configuration named was never asked, and the run stopped as if the secret were refused.
    const notServed = res.status === 404 || (res.status >= 400 && res.status < 500 && res.status !== 429 && typeof body.error !== 'string');
    if (notServed && this.#discovered === undefined) {
      const named = await this.#tokenEndpointOf(root, tenantId);
      if (named !== undefined && named !== usual) {
        this.#discovered = named;
        res = await post(named);
        body = await read(res);
      }
    }
    if (!res.ok || typeof body.access_token !== 'string') {
      // error_description is Entra's AADSTS text; it never echoes the secret. Only an RFC 6749 §5.2
      // `error` string is one: a body of another shape (Graph's `{ error: { code, message } }` from
      // something that is no token endpoint) read as one was reported as "[object Object]".
      const redirected = res.status >= 300 && res.status < 400 ? ' (a redirect, not followed: the client secret is sent to the configured authority only)' : '';
      const why = typeof body.error === 'string' ? `${body.error}: ${String(body.error_description ?? '').split('\r\n')[0]}` : `HTTP ${res.status}${redirected}`;
      // A 4xx other than 429 is the token endpoint's refusal (a wrong or expired secret, an app not
      // in the tenant: https://www.rfc-editor.org/rfc/rfc6749#section-5.2), which asking again does
      // not change; anything else failed on the way. Named so a caller can tell (the Graph SDK keeps
      // the name as its error's `code`).
      throw failed(why, res.status >= 400 && res.status < 500 && res.status !== 429 ? TOKEN_REFUSED : TOKEN_UNAVAILABLE);
    }
    this.#token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3599) * 1000 };
    return body.access_token;
  }

  /**
   * `token_endpoint` of `{authority}/{tenant}/v2.0/.well-known/openid-configuration`, only on the
   * authority's own origin (the client secret goes there); undefined when it cannot be read.
   */
  async #tokenEndpointOf(root: string, tenantId: string): Promise<string | undefined> {
    try {
      const res = await (this.settings.fetch ?? fetch)(`${root}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(this.settings.attemptTimeoutMs ?? GRAPH_ATTEMPT_TIMEOUT_MS),
      });
      if (!res.ok) return undefined;
      const named = ((await res.json()) as { token_endpoint?: unknown })?.token_endpoint;
      if (typeof named !== 'string') return undefined;
      const url = new URL(named, `${root}/`);
      return url.origin === new URL(root).origin ? url.href : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Between the RetryHandler and the HTTP handler: each attempt waits its turn; a 429, or a 503 or 504
 * that says when to come back, pauses the bucket.
 */
export class PacingMiddleware implements Middleware {
  #next: Middleware | undefined;
  constructor(private readonly pacing: NonNullable<GraphClientSettings['pacing']>) {}
  setNext(next: Middleware): void {
    this.#next = next;
  }
  async execute(context: Context): Promise<void> {
    await this.pacing.take();
    // After the wait, just before the request leaves: a run that lost its lease meanwhile stops (lease-fence.ts).
    await confirmLease();
    await this.#next!.execute(context);
    const status = context.response?.status;
    if (status !== 429 && status !== 503 && status !== 504) return;
    // Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3): a date ahead pauses the
    // bucket until then, as the SDK's RetryHandler waits.
    const raw = context.response!.headers.get('retry-after')?.trim();
    const seconds = !raw ? Number.NaN : /^\d+$/.test(raw) ? Number(raw) : untilDate(raw);
    const usable = Number.isFinite(seconds) && seconds >= 0;
    // A 503 (and a 504) is retried by the RetryHandler as a 429 is, waiting its Retry-After
    // (RetryHandler.RETRY_STATUS_CODES); Graph sends one when the service is overloaded, "you may
    // repeat the request after a delay, the length of which may be specified in a Retry-After
    // header" (https://learn.microsoft.com/graph/errors). Only the call that got it waited, while
    // the run's other workers kept sending into the overload. Without a Retry-After such an answer
    // says nothing of when: the RetryHandler's own back-off is that call's alone.
    if (status !== 429 && !usable) return;
    // A 429 without a usable one (absent, empty, a date passed) still pauses 1 s: Number(null) is
    // 0, which would let every other call go straight back in. Never longer than the RetryHandler
    // itself waits (180 s): a Retry-After far off (or meant in ms) held every later call of the
    // run, and the runs after it, for that long.
    this.pacing.pauseFor(Math.min(usable ? seconds : 1, MAX_RETRY_AFTER_SECONDS) * 1000);
  }
}

/** Seconds until an HTTP-date still ahead; NaN for one passed or not a date. */
function untilDate(raw: string): number {
  const seconds = (Date.parse(raw) - Date.now()) / 1000;
  return seconds > 0 ? Math.ceil(seconds) : Number.NaN;
}

/** The longest wait the SDK's RetryHandler honours (RetryHandlerOptions' maximum delay, 180 s). */
export const MAX_RETRY_AFTER_SECONDS = new RetryHandlerOptions().getMaxDelay();

function setHeader(context: Context, key: string, value: string): void {
  if (typeof Request !== 'undefined' && context.request instanceof Request) {
    context.request.headers.set(key, value);
    return;
  }
  context.options ??= {};
  const headers = context.options.headers;
  if (headers instanceof Headers) headers.set(key, value);
  else if (Array.isArray(headers)) context.options.headers = [...headers.filter(([k]) => k.toLowerCase() !== key.toLowerCase()), [key, value]];
  else context.options.headers = { ...(headers as Record<string, string> | undefined), [key]: value };
}

/** Last before the HTTP handler: each attempt (each retry too) gets its own deadline. */
export class AttemptTimeoutMiddleware implements Middleware {
  #next: Middleware | undefined;
  constructor(private readonly ms: number) {}
  setNext(next: Middleware): void {
    this.#next = next;
  }
  async execute(context: Context): Promise<void> {
    context.options = { ...context.options, signal: AbortSignal.timeout(this.ms) };
    await this.#next!.execute(context);
  }
}

export function createGraphClient(settings: GraphClientSettings): { client: Client; auth: ClientCredentialsMiddleware } {
  const auth = new ClientCredentialsMiddleware(settings);
  const retry = new RetryHandler(new RetryHandlerOptions(settings.retry?.delaySeconds ?? 3, settings.retry?.maxRetries ?? 3));
  const deadline = new AttemptTimeoutMiddleware(settings.attemptTimeoutMs ?? GRAPH_ATTEMPT_TIMEOUT_MS);
  const client = Client.initWithMiddleware({
    middleware: settings.pacing ? [auth, retry, new PacingMiddleware(settings.pacing), deadline, new HTTPMessageHandler()] : [auth, retry, deadline, new HTTPMessageHandler()],
    baseUrl: `${graphServiceRoot(settings.graphBaseUrl)}/`,
    defaultVersion: 'v1.0',
  });
  return { client, auth };
}
