import { createRemoteJWKSet, customFetch, errors, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import { childLogger, type Logger } from '../agent/log/logger.ts';

/**
 * A remote JWKS (RFC 7517 §5) read through jose's remote key set
 * (https://github.com/panva/jose/blob/main/docs/jwks/remote/functions/createRemoteJWKSet.md), for
 * every surface that checks a JWT's signature against keys it fetches: the dashboard's ID tokens
 * (web/oidc-signing-keys.ts), the Entra Lifecycle Workflows callouts' bearer tokens
 * (hooks/entra-token.ts) and the SCIM bearer JWTs (scim/auth.ts). Each key set has its own timing
 * and its own cool-down state.
 *
 * jose reads the key set again when a token names a `kid` not in the copy held, unless its last
 * read is less than `cooldownDuration` old; but it counts that "after the last successful one"
 * only. While the endpoint fails (an error status, a timeout, a refused or reset connection, a
 * body that is not a JWKS), every token naming an unknown `kid`, and every token while no copy is
 * held at all, made another read: a burst of requests was a burst of reads at an endpoint already
 * in trouble, each request waiting up to the read's time limit. coolingDownReads closes that gap.
 *
 * jose also reads the set again before any use once its copy is `cacheMaxAge` old, and a failed
 * read there failed every token, even one signed with a key it had held for months: an outage of
 * the IdP's key endpoint longer than `cacheMaxAge` locked out the IdP's own SCIM client, the Entra
 * relay and every dashboard sign-in. A failed read now answers jose with the last copy read
 * successfully while that copy is younger than `staleMs` (stale-if-error, as RFC 5861 §4 describes
 * it for HTTP caches); a successful read replaces it, so a key the IdP removed stops being
 * accepted at the first read that works.
 */
export interface KeySetTiming {
  /** jose's `cooldownDuration`: no read within this long of the last one, and here whatever its outcome. */
  cooldownMs: number;
  /** jose's `timeoutDuration`: a read not answered within this long fails. */
  timeoutMs: number;
  /** jose's `cacheMaxAge`: a copy older than this is read again before use. */
  maxAgeMs: number;
  /**
   * How long after the last successful read its copy is still used while reads fail
   * (stale-if-error); past it, tokens are refused as keys not available.
   */
  staleMs: number;
}

/**
 * The stale-if-error bound of every key set: 24 hours. Long enough to ride out an IdP's outage of
 * its key endpoint (hours, not days) without refusing tokens signed with a key already held; short
 * enough that a key the IdP withdrew while hubwarden could not read the set (a compromised key
 * rotated out) is trusted for at most a day after the last read that worked. IdPs publish a new
 * signing key well ahead of signing with it and keep the old one published after it stops signing
 * (https://learn.microsoft.com/entra/identity-platform/signing-key-rollover), so a held copy a day
 * old still names the keys in use outside an emergency rotation.
 */
export const STALE_KEY_SET_MS = 24 * 3600_000;

/**
 * The keys a token needs could not be read (the endpoint failed, is within the cool-down of a
 * failed read, or the last good copy is past its stale-if-error bound): the token was not judged.
 * Each surface answers it as "try again" (SCIM 503, the Entra callout 503, the dashboard's
 * keys-unavailable page), and none counts it as a wrong credential (scim-server/auth-failures.ts).
 */
export class KeySetUnavailableError extends Error {
  /** Seconds after which a retry may read the key set again (its cool-down). */
  readonly retryAfterS: number;

  constructor(message: string, retryAfterS: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeySetUnavailableError';
    this.retryAfterS = retryAfterS;
  }
}

/** jose's errors for a key set it could not fetch or parse; any non-JOSE error is the fetch failing. */
const KEY_SET_FAILURES = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);
const keySetFailed = (err: unknown) => {
  const code = (err as { code?: unknown }).code;
  return typeof code !== 'string' || !code.startsWith('ERR_J') || KEY_SET_FAILURES.has(code);
};

/** The log of the key sets' reads (one warning when a set starts being used past a failed read). */
export const jwksLog: Logger = childLogger('jwks');

/**
 * jose's remote key set at `url` with `timing`, its reads through coolingDownReads. A token the
 * key set cannot judge (its keys not available) rejects with KeySetUnavailableError; a token naming
 * a `kid` not in the copy held while the last read failed does too (it may be a key published
 * since, which the outage hides); any other rejection is jose's, about the token.
 */
export function remoteKeySet(url: URL, timing: KeySetTiming, read: FetchImplementation = fetch, log: Logger = jwksLog): JWTVerifyGetKey {
  const reads = coolingDownReads(timing, read, log);
  const jwks = createRemoteJWKSet(url, {
    timeoutDuration: timing.timeoutMs,
    cooldownDuration: timing.cooldownMs,
    cacheMaxAge: timing.maxAgeMs,
    [customFetch]: reads,
  });
  const retryAfterS = Math.max(1, Math.ceil(timing.cooldownMs / 1000));
  const unavailable = (err: unknown) => new KeySetUnavailableError(`the key set at ${url.host} cannot be read: ${(err as Error).message}`, retryAfterS, { cause: err });
  return async (header, token) => {
    // jose takes a copy answered from stale-if-error as fresh for `cacheMaxAge`: past the bound,
    // read again (at most once per cool-down) rather than keep using it until then.
    if (reads.pastBound()) await jwks.reload().catch((err) => { throw unavailable(err); });
    try {
      return await jwks(header, token);
    } catch (err) {
      if (keySetFailed(err) || (err instanceof errors.JWKSNoMatchingKey && reads.failing())) throw unavailable(err);
      throw err;
    }
  };
}

/** jose's fetch for one key set (coolingDownReads), and what its reads came to. */
export interface KeySetReads extends FetchImplementation {
  /** Whether the last read failed (no read since has worked). */
  failing(): boolean;
  /** Whether the last read failed and the last good copy is older than the stale-if-error bound. */
  pastBound(): boolean;
}

/** Whether `text` is a JWK Set (RFC 7517 §5: a JSON object whose `keys` is an array of objects), as jose's createLocalJWKSet requires. */
function isKeySet(text: string): boolean {
  try {
    const set = JSON.parse(text) as { keys?: unknown };
    return typeof set === 'object' && set !== null && Array.isArray(set.keys) && set.keys.every((k) => typeof k === 'object' && k !== null);
  } catch {
    return false;
  }
}

const jsonAnswer = (body: string) => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });

/**
 * The reads of one key set, handed to jose as its fetch (`customFetch`,
 * https://github.com/panva/jose/blob/main/docs/jwks/remote/variables/customFetch.md): none within
 * `cooldownMs` of the end of the last one, whatever its outcome. After a read that succeeded,
 * jose's own cool-down (counted from a moment later) is the one that holds, so a key published
 * moments ago is still found at the first token past it.
 *
 * A read that fails (an error status, a timeout, a cut connection, a body that is not a JWK Set),
 * and a read refused within the cool-down of a failed one, answers jose with the last body read
 * successfully while it is younger than `staleMs` (stale-if-error): a token signed with a key in it
 * is still accepted. The first such answer after a read that worked logs one warning (the endpoint
 * and the failure; never a token), the first refusal past the bound one error. With no good copy,
 * or one past the bound, the failure is thrown to jose (remoteKeySet: keys not available). One
 * instance per key set: the state is that set's.
 */
export function coolingDownReads(timing: Pick<KeySetTiming, 'cooldownMs' | 'staleMs'>, read: FetchImplementation = fetch, log: Logger = jwksLog): KeySetReads {
  const { cooldownMs, staleMs } = timing;
  let lastRead = Number.NEGATIVE_INFINITY;
  let lastProblem: unknown;
  /** The last body that was a JWK Set, and when it was read. */
  let good: { body: string; at: number } | undefined;
  let warned = false;
  let refusedLogged = false;
  const pastBound = () => lastProblem !== undefined && good !== undefined && Date.now() - good.at > staleMs;

  const stale = (url: string, problem: unknown): Response => {
    if (!good) throw problem;
    const readAt = new Date(good.at).toISOString();
    if (pastBound()) {
      if (!refusedLogged) log.error(`jwks: ${new URL(url).host}: cannot be read and the last good copy (read ${readAt}) is past its ${staleMs / 3600_000} h bound: tokens are refused until a read works`, { error: (problem as Error).message });
      refusedLogged = true;
      throw new Error(`the last good copy of the JWKS (read ${readAt}) is past its ${staleMs / 3600_000} h stale-if-error bound`, { cause: problem });
    }
    if (!warned) log.warn(`jwks: ${new URL(url).host}: cannot be read; using the copy read ${readAt} for up to ${staleMs / 3600_000} h after it`, { error: (problem as Error).message });
    warned = true;
    return jsonAnswer(good.body);
  };

  const fetchKeys: FetchImplementation = async (url, options) => {
    const wait = lastRead + cooldownMs - Date.now();
    if (wait > 0) {
      if (lastProblem === undefined && good) return jsonAnswer(good.body); // within the cool-down of a read that worked: its copy
      return stale(url, new Error(`the JWKS is not read again within ${cooldownMs / 1000} s of its last read, which failed (try again in ${Math.ceil(wait / 1000)} s)`, { cause: lastProblem }));
    }
    lastRead = Date.now();
    let body: string;
    try {
      const response = await read(url, options);
      if (response.status !== 200) throw new Error(`HTTP ${response.status} from the JWKS endpoint`);
      body = await response.text();
      if (!isKeySet(body)) throw new Error('the JWKS endpoint answered something other than a JWK Set (RFC 7517 §5)');
    } catch (err) {
      lastProblem = err;
      lastRead = Date.now();
      return stale(url, err);
    }
    lastRead = Date.now();
    lastProblem = undefined;
    good = { body, at: Date.now() };
    warned = false;
    refusedLogged = false;
    return jsonAnswer(body);
  };
  return Object.assign(fetchKeys, { failing: () => lastProblem !== undefined, pastBound });
}
