import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];
import type { LoadedConfig } from '../../config/load.ts';
import { ScimError } from './errors.ts';
import { bearerToken } from '../bearer.ts';

/**
 * Per-hub SCIM authentication (issue 2 item 5). Bearer tokens come from `hubs[].scim.tokens`; only
 * their SHA-256 digests are kept in memory and a presented token is compared digest-to-digest with
 * `timingSafeEqual`. A hub may also accept an OAuth JWT bearer (`hubs[].scim.jwt`) checked with
 * jose against the issuer, audience and JWKS URL. Credentials are per hub: hub A's token never
 * opens hub B. Repeated failures from one address are answered 429 with Retry-After.
 */
interface HubCredentials {
  digests: Buffer[];
  jwt?: { issuer: string; audience: string; keys: JWTVerifyGetKey };
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export interface FailureLimit {
  /** Failures allowed per address within `windowMs` before requests are refused. */
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_FAILURE_LIMIT: FailureLimit = { maxFailures: 5, windowMs: 60_000 };

/** Recent authentication failures per client address (bounded; oldest addresses forgotten first). */
export class FailureTracker {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly limit: FailureLimit = DEFAULT_FAILURE_LIMIT, private readonly now = () => Date.now()) {}

  private recent(address: string): number[] {
    const cutoff = this.now() - this.limit.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(address, list);
    else this.failures.delete(address);
    return list;
  }

  /** Seconds to wait, or 0 when the address may try again. */
  retryAfter(address: string): number {
    const list = this.recent(address);
    if (list.length < this.limit.maxFailures) return 0;
    return Math.max(1, Math.ceil((list[list.length - this.limit.maxFailures] + this.limit.windowMs - this.now()) / 1000));
  }

  fail(address: string): void {
    const list = this.recent(address);
    list.push(this.now());
    this.failures.delete(address);
    this.failures.set(address, list);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }
}

export class ScimAuthenticator {
  private readonly hubs = new Map<string, HubCredentials>();

  constructor(config: LoadedConfig, readonly failures = new FailureTracker()) {
    for (const hub of config.file.hubs) {
      const creds: HubCredentials = { digests: hub.scim.tokens.map((ref) => digest(config.secret(ref).reveal())) };
      if (hub.scim.jwt) {
        creds.jwt = { issuer: hub.scim.jwt.issuer, audience: hub.scim.jwt.audience, keys: createRemoteJWKSet(new URL(hub.scim.jwt.jwksUrl)) };
      }
      this.hubs.set(hub.id, creds);
    }
  }

  /** Resolves when `authorization` opens `hubId`; throws a SCIM 401 or 429 otherwise. */
  async authenticate(hubId: string, authorization: string | undefined, address: string): Promise<void> {
    const wait = this.failures.retryAfter(address);
    if (wait > 0) {
      throw new ScimError(429, undefined, `too many failed authentication attempts from this address; retry in ${wait} s`, { 'Retry-After': String(wait) });
    }
    const creds = this.hubs.get(hubId);
    const token = bearerToken(authorization);
    if (creds && token && (await this.accepts(creds, token))) return;
    this.failures.fail(address);
    const why = !authorization ? 'no Authorization header' : !token ? 'the Authorization header is not a Bearer token' : 'the bearer token is not valid for this hub';
    throw new ScimError(401, undefined, `hub ${hubId}: ${why}`, { 'WWW-Authenticate': `Bearer realm="hubwarden scim ${hubId}"` });
  }

  private async accepts(creds: HubCredentials, token: string): Promise<boolean> {
    const presented = digest(token);
    let ok = false;
    // Compare against every configured token (no early exit) so timing does not reveal which matched.
    for (const d of creds.digests) if (timingSafeEqual(d, presented)) ok = true;
    if (ok) return true;
    if (creds.jwt && token.split('.').length === 3) {
      try {
        // Asymmetric algorithms only (a JWKS holds public keys; `none`/HS* must never pass), and a token
        // without `exp` would be valid forever (RFC 7519 §4.1.4; RFC 8725 §3.1 on algorithm pinning).
        await jwtVerify(token, creds.jwt.keys, { issuer: creds.jwt.issuer, audience: creds.jwt.audience, algorithms: JWT_ALGORITHMS, requiredClaims: ['exp'], clockTolerance: 60 });
        return true;
      } catch {
        return false;
      }
    }
    return false;
  }

  middleware() {
    return (req: Request, _res: Response, next: NextFunction) => {
      const hubId = String(req.params.hubId);
      this.authenticate(hubId, req.get('authorization'), req.ip ?? req.socket.remoteAddress ?? 'unknown').then(() => next(), next);
    };
  }
}
