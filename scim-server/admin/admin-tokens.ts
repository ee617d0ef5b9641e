import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { LoadedConfig } from '../../config/load.ts';
import { FailureTracker, type FailureLimit } from '../scim/auth.ts';
import { Problem, sendProblem } from './problem.ts';
import { bearerToken } from '../bearer.ts';

/**
 * Admin bearer tokens (`server.adminTokens`). Only SHA-256 hashes are kept in memory after start;
 * a presented token is hashed and compared with every known hash in constant time, so neither
 * the comparison time nor an early exit tells a caller how close a guess was.
 */
export interface AdminTokens {
  /** The audit actor for a presented token, or undefined when it is not a configured token. */
  actorFor(presented: string): string | undefined;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function adminTokensFrom(config: LoadedConfig): AdminTokens {
  const hashes = config.file.server.adminTokens.map((ref) => sha256(config.secret(ref).reveal()));
  return {
    actorFor(presented) {
      const candidate = sha256(presented);
      let match: Buffer | undefined;
      for (const hash of hashes) if (timingSafeEqual(hash, candidate)) match = hash;
      // The actor names the token by a hash prefix: enough to tell tokens apart in the audit
      // log, useless for guessing the token.
      return match ? `admin-token:${match.toString('hex').slice(0, 6)}` : undefined;
    },
  };
}

/**
 * Wrong admin tokens allowed per address before the API answers 429 (as the dashboard's token
 * sign-in does): generated tokens cannot be guessed, a token someone chose might be.
 */
export const ADMIN_TOKEN_FAILURES: FailureLimit = { maxFailures: 10, windowMs: 10 * 60_000 };

/** RFC 6750 §3: a 401 names the scheme (and the error, when a token was sent but is wrong). */
export function requireAdminToken(tokens: AdminTokens, failures = new FailureTracker(ADMIN_TOKEN_FAILURES)): RequestHandler {
  return (req, res, next) => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const wait = failures.retryAfter(address);
    if (wait > 0) {
      sendProblem(res, new Problem(429, 'too-many-attempts', `too many wrong admin tokens from this address; retry in ${wait} s`, undefined, { 'Retry-After': String(wait) }), req.originalUrl);
      return;
    }
    const token = bearerToken(req.get('authorization'));
    const actor = token ? tokens.actorFor(token) : undefined;
    if (!actor) {
      // Only a wrong token counts: a request without one is not a guess.
      if (token) failures.fail(address);
      const challenge = token ? 'Bearer realm="hubwarden", error="invalid_token"' : 'Bearer realm="hubwarden"';
      const detail = token ? 'the bearer token is not one of server.adminTokens' : 'send an admin token as "Authorization: Bearer <token>"';
      sendProblem(res, new Problem(401, 'unauthenticated', detail, undefined, { 'WWW-Authenticate': challenge }), req.originalUrl);
      return;
    }
    res.locals.actor = actor;
    next();
  };
}
