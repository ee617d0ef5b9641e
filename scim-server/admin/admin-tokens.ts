import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { LoadedConfig } from '../../config/load.ts';
import { Problem, sendProblem } from './problem.ts';

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

/** RFC 6750 §3: a 401 names the scheme (and the error, when a token was sent but is wrong). */
export function requireAdminToken(tokens: AdminTokens): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const actor = match ? tokens.actorFor(match[1]) : undefined;
    if (!actor) {
      const challenge = match ? 'Bearer realm="hubwarden", error="invalid_token"' : 'Bearer realm="hubwarden"';
      const detail = match ? 'the bearer token is not one of server.adminTokens' : 'send an admin token as "Authorization: Bearer <token>"';
      sendProblem(res, new Problem(401, 'unauthenticated', detail, undefined, { 'WWW-Authenticate': challenge }), req.originalUrl);
      return;
    }
    res.locals.actor = actor;
    next();
  };
}
