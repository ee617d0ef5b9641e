import { createRemoteJWKSet, customFetch, type FetchImplementation } from 'jose';

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
 */
export interface KeySetTiming {
  /** jose's `cooldownDuration`: no read within this long of the last one, and here whatever its outcome. */
  cooldownMs: number;
  /** jose's `timeoutDuration`: a read not answered within this long fails. */
  timeoutMs: number;
  /** jose's `cacheMaxAge`: a copy older than this is read again before use. */
  maxAgeMs: number;
}

/** jose's remote key set at `url` with `timing`, its reads through coolingDownReads. */
export function remoteKeySet(url: URL, timing: KeySetTiming, read: FetchImplementation = fetch): ReturnType<typeof createRemoteJWKSet> {
  return createRemoteJWKSet(url, {
    timeoutDuration: timing.timeoutMs,
    cooldownDuration: timing.cooldownMs,
    cacheMaxAge: timing.maxAgeMs,
    [customFetch]: coolingDownReads(timing.cooldownMs, read),
  });
}

/**
 * The reads of one key set, handed to jose as its fetch (`customFetch`,
 * https://github.com/panva/jose/blob/main/docs/jwks/remote/variables/customFetch.md): none within
 * `cooldownMs` of the end of the last one, whatever its outcome. A token that would need a read
 * within the cool-down of a failed one is refused at once, naming the failure (the caller answers
 * it as keys not available, not as a bad token where it tells the two apart); a token signed with a
 * key in the copy held is still checked against it, as jose uses that copy without a read while it
 * is younger than `maxAgeMs`. After a read that succeeded, jose's own cool-down (counted from a
 * moment later) is the one that holds, so a key published moments ago is still found at the first
 * token past it. One instance per key set: the state is that set's.
 */
export function coolingDownReads(cooldownMs: number, read: FetchImplementation = fetch): FetchImplementation {
  let lastRead = Number.NEGATIVE_INFINITY;
  let lastProblem: unknown;
  return async (url, options) => {
    const wait = lastRead + cooldownMs - Date.now();
    if (wait > 0) {
      throw new Error(`the JWKS is not read again within ${cooldownMs / 1000} s of its last read, which failed (try again in ${Math.ceil(wait / 1000)} s)`, { cause: lastProblem });
    }
    lastRead = Date.now();
    try {
      const response = await read(url, options);
      lastProblem = response.status === 200 ? undefined : new Error(`HTTP ${response.status} from the JWKS endpoint`);
      return response;
    } catch (err) {
      lastProblem = err;
      throw err;
    } finally {
      lastRead = Date.now();
    }
  };
}
