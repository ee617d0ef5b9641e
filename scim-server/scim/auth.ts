import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];
import type { LoadedConfig } from '../../config/load.ts';
import { ScimError } from './errors.ts';
import { bearerToken } from '../bearer.ts';
import { clientAddress, FailureLimiter, scimFailureKey } from '../auth-failures.ts';

/**
 * Per-hub SCIM authentication. Bearer tokens come from `hubs[].scim.tokens`; only
 * their SHA-256 digests are kept in memory and a presented token is compared digest-to-digest with
 * `timingSafeEqual`. A hub may also accept an OAuth JWT bearer (`hubs[].scim.jwt`) checked with
 * jose against the issuer, audience and JWKS URL. Credentials are per hub: hub A's token never
 * opens hub B. The credential is checked first: a valid one always opens its hub. Only a wrong one
 * counts against the failure budget of (hub, client address) in the shared limiter
 * (scim-server/auth-failures.ts); past it, the wrong one is answered 429 with Retry-After.
 */
interface HubCredentials {
  digests: Buffer[];
  jwt?: { issuer: string; audience: string; keys: JWTVerifyGetKey };
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export class ScimAuthenticator {
  private readonly hubs = new Map<string, HubCredentials>();

  constructor(config: LoadedConfig, readonly failures = new FailureLimiter()) {
    for (const hub of config.file.hubs) {
      const creds: HubCredentials = { digests: hub.scim.tokens.map((ref) => digest(config.secret(ref).reveal())) };
      if (hub.scim.jwt) {
        creds.jwt = { issuer: hub.scim.jwt.issuer, audience: hub.scim.jwt.audience, keys: createRemoteJWKSet(new URL(hub.scim.jwt.jwksUrl)) };
      }
      this.hubs.set(hub.id, creds);
    }
  }

  /** Resolves when `authorization` opens `hubId`; throws a SCIM 401, or 429 past the failure budget. */
  async authenticate(hubId: string, authorization: string | undefined, address: string): Promise<void> {
    const creds = this.hubs.get(hubId);
    const token = bearerToken(authorization);
    if (creds && token && (await this.accepts(creds, token))) return;
    const wait = await this.failures.fail('scim', scimFailureKey(hubId, address));
    if (wait > 0) {
      throw new ScimError(429, undefined, `hub ${hubId}: too many failed authentication attempts from this address; retry in ${wait} s`, { 'Retry-After': String(wait) });
    }
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
      this.authenticate(hubId, req.get('authorization'), clientAddress(req)).then(() => next(), next);
    };
  }
}
