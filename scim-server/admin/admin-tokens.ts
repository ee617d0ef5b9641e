import type { RequestHandler } from 'express';
import type { LoadedConfig } from '../../config/load.ts';
import type { Keyring } from '../../agent/secrets/keyring.ts';
import { adminTokenHubs, adminTokenRef } from '../../config/admin-token-schema.ts';
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
  /**
   * The hubs the token with this actor is limited to (`{ token, hubs }` in the config), as the
   * config says now; undefined: every hub (or no such token: ask `configured` first).
   */
  scopeOf(actor: string): readonly string[] | undefined;
}

/**
 * Whether `presented` is a token of every hub: what reaches past the hubs (`/metrics`, naming
 * every hub; a sandbox emulator's control endpoints, shared by the hubs on it) wants one.
 */
export function everyHubToken(tokens: AdminTokens, presented: string | undefined): boolean {
  const actor = presented ? tokens.actorFor(presented) : undefined;
  return actor !== undefined && tokens.scopeOf(actor) === undefined;
}

/** HKDF `info` of the key that makes the tokens' audit labels (keyring.ts `derive`). */
export const ADMIN_LABEL_PURPOSE = 'hubwarden admin-token audit label v1';

/** The audit label of a token (credentials.ts `credentialLabel`): the same across restarts and replicas sharing the key file. */
export function adminTokenLabel(labelKey: Keyring, token: string): string {
  return credentialLabel(labelKey, 'admin-token', token);
}

/** `keyring`: the `secrets.keyFile` keyring when the caller has it loaded (default: read, or created, from the key file). */
export function adminTokensFrom(config: LoadedConfig, keyring?: Keyring): AdminTokens {
  const entries = config.file.server.adminTokens;
  const tokens = entries.map((entry) => config.secret(adminTokenRef(entry)).reveal());
  const labelKey = tokens.length ? labelKeyFor(ADMIN_LABEL_PURPOSE, config.pathOf(config.file.secrets.keyFile), keyring) : undefined;
  const labels = tokens.map((token) => adminTokenLabel(labelKey!, token));
  const actorFor = secretMatcher(tokens.map((token, i) => [labels[i]!, token] as [string, string]));
  return {
    actorFor,
    configured(actor) {
      return labels.includes(actor);
    },
    scopeOf(actor) {
      // The same token listed twice with two scopes: the narrowest reading, never the union, and
      // never every hub while any entry of it is scoped (deny by default).
      const scopes = entries.filter((_, i) => labels[i] === actor).map(adminTokenHubs);
      const scoped = scopes.filter((s): s is readonly string[] => s !== undefined);
      if (scoped.length === 0) return undefined;
      return scoped.reduce((a, b) => a.filter((h) => b.includes(h)));
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
      // The hubs this token may see and act on (undefined: every hub): admin-context.ts `inScope`.
      res.locals.hubs = tokens.scopeOf(actor);
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
