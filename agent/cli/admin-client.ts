import { redactText } from '../log/logger.ts';
import { CliError } from './cli-error.ts';
import { isObject, kindOf } from './answer.ts';
import { readBody, retryAfterSeconds, shortDetail } from './answer-body.ts';

/**
 * The CLI's way into a running hubwarden: the admin REST API (`/api/v1`) with a bearer token.
 * Problem details (RFC 9457) become one-line errors: `hub "nope" does not exist (HTTP 404)`.
 */
export interface AdminClient {
  get<T>(path: string): Promise<T>;
  /** The body as text, asking for `accept` (the list routes answer `text/csv` as well as JSON). */
  getText(path: string, accept: string): Promise<string>;
  post<T>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Text the server wrote (a problem's detail, a task's error) with the admin token taken out. */
  scrub(text: string): string;
}

/** How long one request may take, its answer's body included. */
const TIMEOUT_MS = 30_000;

/**
 * A GET answered 503 with a Retry-After of at most this many seconds is sent again, up to
 * GET_TRIES times in all: a GET is safe (RFC 9110 §9.2.1), and the API's 503 means "send the same
 * request again after Retry-After seconds" (its store refusing writes for now, a restart behind a
 * proxy). Without it one such answer while `offboard` or `check` polled its task ended the wait
 * with exit 1 while the change went on. A POST is not sent again: the API's 503 to one may say it
 * was applied (read first), so the line says when to retry and the admin decides. A 429 is not
 * either: the API answers it only to wrong admin tokens, and one more counts against the address.
 */
const RETRY_AFTER_MAX_S = 10;
const GET_TRIES = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Names the CLI to the server (RFC 9110 §10.1.5), which notes "via hubwarden CLI" in the audit entries
 * of the changes it asks for (scim-server/admin/admin-context.ts adminTrigger).
 */
export const CLI_USER_AGENT = 'hubwarden-cli';

/** Visible ASCII only: a space, line break or other byte makes fetch throw a message that quotes the header. */
const BEARER_TOKEN = /^[\x21-\x7e]+$/;

/**
 * The server URL, checked before any request. A user name or password in it (RFC 3986 §3.2.1
 * userinfo) would be echoed by every error that names the server, and fetch refuses such a URL
 * anyway (https://fetch.spec.whatwg.org/#dom-request: "includes credentials" is a TypeError): the
 * admin token authenticates. The message never repeats the userinfo, even of a URL that fails to parse.
 */
function serverUrl(baseUrl: string): string {
  const refused = new CliError('the server URL (--url, HUBWARDEN_URL or server.publicUrl) has a user name or password in it: leave them out, the admin token authenticates', 2);
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(baseUrl);
  if (userinfo) throw refused;
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch { /* named below */ }
  // The URL as parsed, too: the WHATWG parser reads `http:/admin:pw@host`, `http:admin:pw@host`,
  // `http:\\admin:pw@host` and one with a leading space as userinfo (https://url.spec.whatwg.org/#special-authority-slashes-state),
  // which the pattern above misses; fetch then refused it quoting the whole URL, password and all.
  if (url && (url.username || url.password)) throw refused;
  // Not a URL at all (`http//admin:pw@host`): quoted only when nothing in it can be a password.
  const shown = baseUrl.includes('@') ? '' : ` "${baseUrl}"`;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new CliError(`the server URL${shown} is not an http(s) URL (--url, HUBWARDEN_URL or server.publicUrl)`, 2);
  // The API paths are appended to the URL as written: after a query or fragment they were part of
  // it (`http://h:8080/?x=1/api/v1/hubs`), every call went to the server's root, and its redirect
  // to the dashboard was reported instead. Named without the query, which may hold a key.
  if (/[?#]/.test(baseUrl)) throw new CliError(`the server URL ${url.origin}${url.pathname} has a query or fragment ("?…" or "#…") after it: give the server's URL alone (--url, HUBWARDEN_URL or server.publicUrl)`, 2);
  return baseUrl;
}

/** `urlFrom` names where baseUrl came from (`--url`, `HUBWARDEN_URL`, `server.publicUrl in <file>`). */
export function adminClient(baseUrl: string, token: string, fetchImpl: typeof fetch = fetch, apiPath = '/api/v1', urlFrom?: string): AdminClient {
  const root = `${serverUrl(baseUrl).replace(/\/+$/, '')}${apiPath}`;
  // Checked here so the error names the problem without echoing the secret to the terminal. A
  // bad value refused before any request, as a URL with a password in it is: exit 2 (it was 1,
  // which `hubwarden --help` gives to a request that failed).
  if (!BEARER_TOKEN.test(token)) throw new CliError('the admin token has spaces, line breaks or other characters a bearer token cannot carry (check --token, HUBWARDEN_ADMIN_TOKEN or the token file)', 2);
  const scrub = (text: string) => text.split(token).join('[admin token]');
  async function call<T>(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<{ status: number; body: T }> {
    // A server that took the request and did not answer in time is up: "cannot reach" would send
    // the admin looking for a stopped server while the change (an offboarding, say) may be under way.
    const timedOut = (err: unknown) => (err as { name?: string })?.name === 'TimeoutError'
      ? new CliError(`hubwarden at ${baseUrl} did not answer ${method} ${path} within ${TIMEOUT_MS / 1000} s; it may still be working on it (see hubwarden tasks)`)
      : undefined;
    const send = async (): Promise<Response> => {
      try {
        return await fetchImpl(`${root}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, accept, 'user-agent': CLI_USER_AGENT, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(TIMEOUT_MS),
          // Not followed: fetch drops the Authorization header on a redirect to another origin (an
          // http URL sent on to https, another port) and turns a redirected POST into a GET
          // (https://fetch.spec.whatwg.org/#http-redirect-fetch), so a right token was reported as
          // "invalid admin token" and the admin sent to rotate it.
          redirect: 'manual',
        });
      } catch (err) {
        const late = timedOut(err);
        if (late) throw late;
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = redactText(cause?.code ?? cause?.message ?? (err as Error).message);
        // The next step both ways: a server not started, or one started elsewhere (PORT=18089 with
        // the shipped config still says 8080 in server.publicUrl).
        throw new CliError(`cannot reach hubwarden at ${baseUrl}: ${why}${urlFrom ? ` (that URL is from ${urlFrom})` : ''}; is it running (npm start, or hubwarden serve)? If it listens elsewhere (PORT set), pass --url http://127.0.0.1:<port> or set HUBWARDEN_URL`);
      }
    };
    let res = await send();
    for (let tries = 1; res.status === 503 && method === 'GET' && tries < GET_TRIES; tries++) {
      const wait = retryAfterSeconds(res);
      if (wait === undefined || wait > RETRY_AFTER_MAX_S) break;
      await res.body?.cancel().catch(() => {});
      await sleep(wait * 1000);
      res = await send();
    }
    if (res.status >= 300 && res.status < 400) throw redirected(method, path, res);
    let text: string;
    try {
      text = await readBody(res, `${method} ${root}${path}`);
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw timedOut(err) ?? new CliError(`${method} ${root}${path}: HTTP ${res.status}, the answer was cut off: ${redactText((err as Error).message)}`);
    }
    if (res.ok && accept !== 'application/json') {
      // The media type asked for, or nothing: a login page, a JSON list or an empty 204 from a
      // proxy is not an export, and written to the export file it would pass for one (exit 0).
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== accept) throw new CliError(`${method} ${root}${path}: HTTP ${res.status}, the answer is ${type ? `of type ${type}` : 'without a content type'}, not ${accept} (is ${baseUrl} a hubwarden server?)`);
      return { status: res.status, body: text as T };
    }
    let parsed: unknown;
    let json = true;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      json = false;
    }
    if (!res.ok) {
      // Problem details (RFC 9457 §3.1.4): `detail` is a string; anything else is not shown.
      // The token is never repeated, even by an answer that quotes the request's Authorization
      // header back (a proxy's or a debugging server's error page): the line may end in a CI log.
      // A 429 or 503 says when to try again (RFC 9110 §10.2.3, RFC 6585 §4), the server's detail
      // or not; one that is not JSON (a proxy's 503 page while the server restarts) is named by
      // its status, not as "not a hubwarden server".
      const said = isObject(parsed) && typeof parsed.detail === 'string' && parsed.detail ? parsed.detail : res.statusText || 'the request failed';
      const detail = shortDetail(scrub(said));
      const retry = res.status === 429 || res.status === 503 ? retryAfterSeconds(res) : undefined;
      const when = retry !== undefined && !/retry in \d+ s/.test(detail) ? `; retry in ${retry} s` : '';
      const hint = res.status === 401 ? ' (pass --token or set HUBWARDEN_ADMIN_TOKEN)' : '';
      throw new CliError(`${detail} (HTTP ${res.status}${when})${hint}`);
    }
    if (!json) throw new CliError(`${method} ${root}${path}: HTTP ${res.status}, not a JSON answer (is ${baseUrl} a hubwarden server?)`);
    // Every JSON answer of the admin API is an object: a `null`, a list or an empty body is a
    // server (or a proxy in front of it) that is not hubwarden's.
    if (!isObject(parsed)) throw new CliError(`${method} ${root}${path}: HTTP ${res.status}, the answer is ${kindOf(parsed)}, not a JSON object (is ${baseUrl} a hubwarden server?)`);
    return { status: res.status, body: parsed as T };
  }
  /**
   * A redirect, named with where it points (origin and path only: a query may carry a login
   * state) and, when it is this same request elsewhere, the --url that reaches it directly.
   */
  function redirected(method: string, path: string, res: Response): CliError {
    const said = `hubwarden at ${baseUrl} answered ${method} ${path} with HTTP ${res.status}, a redirect`;
    let to: URL | undefined;
    try {
      to = new URL(res.headers.get('location') ?? '', `${root}${path}`);
    } catch { /* no usable Location */ }
    if (!to || !res.headers.get('location')) return new CliError(`${said} without a location (is ${baseUrl} a hubwarden server?)`);
    const asked = `${apiPath}${path.split('?')[0]}`;
    const base = to.pathname.endsWith(asked) ? `${to.origin}${to.pathname.slice(0, -asked.length)}` : undefined;
    return new CliError(`${said} to ${to.origin}${to.pathname}; the admin token is not sent on: ${base ? `pass --url ${base}` : 'set --url'} (or HUBWARDEN_URL, server.publicUrl) to where hubwarden answers`);
  }
  return {
    get: async <T>(path: string) => (await call<T>('GET', path)).body,
    getText: async (path: string, accept: string) => (await call<string>('GET', path, undefined, accept)).body,
    post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
    scrub,
  };
}

/** Path segments are user input: encode each. */
export const seg = (value: string) => encodeURIComponent(value);
