import type { NextFunction, Request, Response } from 'express';
import { jwtVerify, type JWTVerifyGetKey } from 'jose';

const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];
import type { LoadedConfig } from '../../config/load.ts';
import type { Keyring } from '../../agent/secrets/keyring.ts';
import { credentialLabel, labelKeyFor, secretMatcher } from '../credentials.ts';
import { ScimError } from './errors.ts';
import { bearerToken } from '../bearer.ts';
import { clientAddress, FailureLimiter, scimFailureKey } from '../auth-failures.ts';
import { KeySetUnavailableError, remoteKeySet, STALE_KEY_SET_MS, type KeySetTiming } from '../jwks-reads.ts';

/**
 * The reads of a hub's `scim.jwt.jwksUrl` (scim-server/jwks-reads.ts), at jose's defaults
 * (https://github.com/panva/jose/blob/main/docs/jwks/remote/functions/createRemoteJWKSet.md: 30 s
 * `cooldownDuration`, 5 s `timeoutDuration`, 10 minutes `cacheMaxAge`), written out here so that
 * the cool-down holds after a failed read too: a JWT whose `kid` is not in the copy held (RFC 7515
 * §4.1.4) makes the keys be read again at most once per 30 s, whether the last read succeeded or
 * failed, so bearer JWTs arriving while the endpoint is down (5xx, a timeout, a cut connection),
 * with no copy held or naming made-up kids, read it at most twice a minute however many there are.
 * A JWT signed with a key in a copy less than 10 minutes old is checked without any read; while the
 * read of an older copy fails, that copy is used for up to 24 h after it was read (STALE_KEY_SET_MS,
 * stale-if-error). A JWT the keys cannot judge is answered 503, not 401 (authenticate).
 */
export const SCIM_JWKS_TIMING: KeySetTiming = { cooldownMs: 30_000, timeoutMs: 5_000, maxAgeMs: 600_000, staleMs: STALE_KEY_SET_MS };

/**
 * Per-hub SCIM authentication. Bearer tokens come from `hubs[].scim.tokens`; only
 * their SHA-256 digests are kept in memory and a presented token is compared digest-to-digest with
 * `timingSafeEqual`. A hub may also accept an OAuth JWT bearer (`hubs[].scim.jwt`) checked with
 * jose against the issuer, audience and JWKS URL. Credentials are per hub: hub A's token never
 * opens hub B. The credential is checked first: a valid one always opens its hub. Only a wrong one
 * counts against the failure budget of (hub, client address) in the shared limiter
 * (scim-server/auth-failures.ts); past it, the wrong one is answered 429 with Retry-After. A JWT
 * that cannot be judged because the hub's JWKS cannot be read (an outage at the IdP) is not a
 * wrong credential: it is answered 503 with Retry-After and counts nothing, so an IdP's outage
 * neither locks its own provisioning client out nor spends the budget of others behind its address.
 */
interface HubCredentials {
  /** The hub's tokens, matched in constant time; answers the matched token's audit label (scimTokenLabel). */
  tokens: (presented: string) => string | undefined;
  jwt?: { issuer: string; audience: string; keys: JWTVerifyGetKey };
}

/** HKDF `info` of the key that makes the SCIM tokens' audit labels (keyring.ts `derive`). */
export const SCIM_LABEL_PURPOSE = 'hubwarden scim-token audit label v1';

/** The audit label of a SCIM token (credentials.ts `credentialLabel`; hub managers and audit exports see it). */
export function scimTokenLabel(labelKey: Keyring, token: string): string {
  return credentialLabel(labelKey, 'scim-token', token);
}

export class ScimAuthenticator {
  private readonly hubs = new Map<string, HubCredentials>();
  private readonly unknownHubs: UnknownHubFailures;

  /** `keyring`: the `secrets.keyFile` keyring when the caller has it loaded (default: read, or created, from the key file). */
  constructor(config: LoadedConfig, readonly failures = new FailureLimiter(), keyring?: Keyring) {
    this.unknownHubs = new UnknownHubFailures(failures);
    const anyToken = config.file.hubs.some((hub) => hub.scim.tokens.length > 0);
    const labelKey = anyToken ? labelKeyFor(SCIM_LABEL_PURPOSE, config.pathOf(config.file.secrets.keyFile), keyring) : undefined;
    for (const hub of config.file.hubs) {
      const tokens = hub.scim.tokens.map((ref) => config.secret(ref).reveal());
      const creds: HubCredentials = { tokens: secretMatcher(tokens.map((token) => [scimTokenLabel(labelKey!, token), token] as [string, string])) };
      if (hub.scim.jwt) {
        creds.jwt = { issuer: hub.scim.jwt.issuer, audience: hub.scim.jwt.audience, keys: remoteKeySet(new URL(hub.scim.jwt.jwksUrl), SCIM_JWKS_TIMING) };
      }
      this.hubs.set(hub.id, creds);
    }
  }

  /**
   * Resolves, with who the credential names (`clientOf`), when `authorization` opens `hubId`;
   * throws a SCIM 401, or 429 past the failure budget, or 503 when the hub's JWT keys cannot be read.
   */
  async authenticate(hubId: string, authorization: string | undefined, address: string): Promise<string> {
    const creds = this.hubs.get(hubId);
    const token = bearerToken(authorization);
    let client: string | undefined;
    try {
      client = creds && token ? await this.accepts(creds, token) : undefined;
    } catch (err) {
      if (!(err instanceof KeySetUnavailableError)) throw err;
      // Not judged, so not counted (RFC 7644 §3.12 error body; RFC 9110 §15.6.4 503, §10.2.3 Retry-After).
      throw new ScimError(503, undefined, `hub ${hubId}: the keys that sign this hub's JWTs (scim.jwt.jwksUrl) cannot be read now, so the token was not checked; retry later`, { 'Retry-After': String(err.retryAfterS) });
    }
    if (client) return client;
    // A hub not in the config (any id a caller makes up) is counted in this process only: in the
    // store, each new id would be one more write and a fresh budget, so one address could write
    // without limit. The answers are the same as a configured hub's (401, then 429).
    const key = scimFailureKey(hubId, address);
    const wait = creds ? await this.failures.fail('scim', key) : this.unknownHubs.fail(key);
    // The id as it is named back (a made-up one may hold a quote or a line break: RFC 9110 §11.6.1 realm is a quoted-string).
    const shown = creds ? hubId : printable(hubId).replace(/["\\]/g, '?');
    if (wait > 0) {
      throw new ScimError(429, undefined, `hub ${shown}: too many failed authentication attempts from this address; retry in ${wait} s`, { 'Retry-After': String(wait) });
    }
    // Worded so the detail's redaction (errors.ts: "Bearer <word>" is taken for a credential) leaves it readable.
    const why = !authorization ? 'no Authorization header' : !token ? 'the Authorization header\'s scheme is not Bearer (send Authorization: Bearer <token>, RFC 6750 §2.1)' : 'the bearer token is not valid for this hub';
    throw new ScimError(401, undefined, `hub ${shown}: ${why}`, { 'WWW-Authenticate': `Bearer realm="hubwarden scim ${shown}"` });
  }

  /**
   * Who the presented token names, or undefined when it opens nothing: `scim-token:<6 hex>`
   * (scimTokenLabel: tells tokens apart in the audit log, useless for guessing one), or
   * `scim-jwt:<sub>` for a signed token (RFC 7519 §4.1.2; `azp` or `client_id` when it has no subject).
   */
  private async accepts(creds: HubCredentials, token: string): Promise<string | undefined> {
    const label = creds.tokens(token);
    if (label) return label;
    if (creds.jwt && token.split('.').length === 3) {
      try {
        // Asymmetric algorithms only (a JWKS holds public keys; `none`/HS* must never pass), and a token
        // without `exp` would be valid forever (RFC 7519 §4.1.4; RFC 8725 §3.1 on algorithm pinning).
        const { payload } = await jwtVerify(token, creds.jwt.keys, { issuer: creds.jwt.issuer, audience: creds.jwt.audience, algorithms: JWT_ALGORITHMS, requiredClaims: ['exp'], clockTolerance: 60 });
        const who = [payload.sub, payload.azp, payload.client_id].find((c): c is string => typeof c === 'string' && c !== '');
        return `scim-jwt:${who ? printable(who) : '(no subject)'}`;
      } catch (err) {
        if (err instanceof KeySetUnavailableError) throw err;
        return undefined;
      }
    }
    return undefined;
  }

  /** Authenticates the request; `res.locals.scimClient` is who its credential names (the audit's actor). */
  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const hubId = String(req.params.hubId);
      this.authenticate(hubId, req.get('authorization'), clientAddress(req)).then((client) => {
        res.locals.scimClient = client;
        next();
      }, next);
    };
  }
}

/** (hub id, address) keys of hubs not in the config whose failures this process keeps at most. */
const MAX_UNKNOWN_HUB_KEYS = 10_000;

/**
 * Wrong credentials for hubs not in the config, per (hub id, client address), with the SCIM
 * budget and clock of `limiter`, in this process's memory and at most MAX_UNKNOWN_HUB_KEYS keys
 * (the oldest forgotten first): no hub is behind them, so a forgotten count gives nothing away.
 */
class UnknownHubFailures {
  private readonly at = new Map<string, number[]>();

  constructor(private readonly limiter: FailureLimiter) {}

  /** As FailureLimiter.fail: the seconds to wait, or 0 while within the budget. */
  fail(key: string): number {
    const { maxFailures, windowMs } = this.limiter.budget('scim');
    const now = this.limiter.now();
    const kept = (this.at.get(key) ?? []).filter((t) => t > now - windowMs);
    this.at.delete(key);
    if (kept.length >= maxFailures) {
      this.at.set(key, kept);
      return Math.max(1, Math.ceil((kept[kept.length - maxFailures]! + windowMs - now) / 1000));
    }
    this.at.set(key, [...kept, now]);
    if (this.at.size > MAX_UNKNOWN_HUB_KEYS) this.at.delete(this.at.keys().next().value!);
    return 0;
  }
}

/** Caller-given text (a claim, a hub id) as one short line of printable ASCII, for the audit log, the dashboard and the log. */
export const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
