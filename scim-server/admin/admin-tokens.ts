import type { RequestHandler } from 'express';
import type { LoadedConfig } from '../../config/load.ts';
import type { Keyring } from '../../agent/secrets/keyring.ts';
import { credentialLabel, labelKeyFor, secretMatcher } from '../credentials.ts';
import { clientAddress, FailureLimiter } from '../auth-failures.ts';
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
  /** Whether a token with this actor (as `actorFor` named it) is still configured: a dashboard session it started ends its admin rights when it is removed. */
  configured(actor: string): boolean;
}

/** HKDF `info` of the key that makes the tokens' audit labels (keyring.ts `derive`). */
export const ADMIN_LABEL_PURPOSE = 'hubwarden admin-token audit label v1';

/** The audit label of a token (credentials.ts `credentialLabel`): the same across restarts and replicas sharing the key file. */
export function adminTokenLabel(labelKey: Keyring, token: string): string {
  return credentialLabel(labelKey, 'admin-token', token);
}

/** `keyring`: the `secrets.keyFile` keyring when the caller has it loaded (default: read, or created, from the key file). */
export function adminTokensFrom(config: LoadedConfig, keyring?: Keyring): AdminTokens {
  const tokens = config.file.server.adminTokens.map((ref) => config.secret(ref).reveal());
  const labelKey = tokens.length ? labelKeyFor(ADMIN_LABEL_PURPOSE, config.pathOf(config.file.secrets.keyFile), keyring) : undefined;
  const labels = tokens.map((token) => adminTokenLabel(labelKey!, token));
  const actorFor = secretMatcher(tokens.map((token, i) => [labels[i]!, token] as [string, string]));
  return {
    actorFor,
    configured(actor) {
      return labels.includes(actor);
    },
  };
}

/**
 * RFC 6750 §3: a 401 names the scheme (and the error, when a token was sent but is wrong). The token
 * is checked first, so a right one always passes; only a wrong one counts against the address's
 * budget in the limiter shared with the dashboard sign-in, and past it the answer is 429.
 */
export function requireAdminToken(tokens: AdminTokens, failures = new FailureLimiter()): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    const actor = token ? tokens.actorFor(token) : undefined;
    if (actor) {
      res.locals.actor = actor;
      return next();
    }
    // Only a wrong token counts: a request without one is not a guess.
    const wait = token ? await failures.fail('admin', clientAddress(req)) : 0;
    if (wait > 0) {
      sendProblem(res, new Problem(429, 'too-many-attempts', `too many wrong admin tokens from this address; retry in ${wait} s`, undefined, { 'Retry-After': String(wait) }), req.originalUrl);
      return;
    }
    const challenge = token ? 'Bearer realm="hubwarden", error="invalid_token"' : 'Bearer realm="hubwarden"';
    const detail = token ? 'the bearer token is not one of server.adminTokens' : 'send an admin token as "Authorization: Bearer <token>"';
    sendProblem(res, new Problem(401, 'unauthenticated', detail, undefined, { 'WWW-Authenticate': challenge }), req.originalUrl);
  };
}
