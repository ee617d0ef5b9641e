import { appendAudit, type AuditInput } from '../../agent/audit/audit-log.ts';
import type { Store } from '../../agent/store/store.ts';
import type { FailureLimiter } from '../auth-failures.ts';
import type { Session } from './session-store.ts';

/**
 * The audit entries of dashboard sign-ins and sign-outs (actions `dashboard-sign-in`,
 * `dashboard-sign-out`): who, how, what they were granted, or why they were refused. Never a
 * secret, a session id, a code or a token: the person by email (or `oidc:<sub>`), an admin token
 * by its hash-prefix label. Nothing a caller sent is repeated but the IdP's error code when it
 * has the shape RFC 6749 §4.1.2.1 gives one; every reason is one of the fixed codes below.
 */
export type SignInVia = Session['via'];

export const SIGN_IN_REFUSALS = {
  revoked: 'the person was offboarded (their dashboard sessions ended), or taken out of an allowed group the ID token still named, after this sign-in began: the ID token or the sign-in predates it',
  'stale-token': 'the ID token was issued too long ago',
  'no-iat': 'the ID token has no issue time (iat)',
  'no-pending': 'no sign-in was started in this browser, it expired, or the state did not match',
  'damaged-pending': 'the pending sign-in cookie was changed or sealed with another key file',
  'idp-refused': 'the identity provider refused the sign-in',
  'no-code': 'the identity provider sent no authorization code',
  'not-verified': 'the code exchange or the ID token was refused (state, nonce, PKCE, issuer, audience, signature or userinfo)',
  'keys-unavailable': 'the identity provider\'s signing keys (its JWKS) could not be read, so the ID token was not checked',
  'wrong-token': 'the token is not one of server.adminTokens',
  'form-expired': 'the sign-in form expired or came from another site',
} as const;

export type SignInRefusal = keyof typeof SIGN_IN_REFUSALS;

/** An IdP `error` value (RFC 6749 §4.1.2.1 / §5.2 shape) worth keeping; anything else is not repeated. */
const ERROR_CODE = /^[a-z][a-z0-9_]{0,63}$/i;

export interface SignedIn {
  actor: string;
  via: SignInVia;
  email?: string;
  /** The ID token's subject. */
  sub?: string;
  /** The OIDC issuer (its host), e.g. `acme.okta.com`. */
  issuer?: string;
  admin: boolean;
  adminGroups?: string[];
  /** Hub id → role the person holds at sign-in (re-read on every request: hub-guard.ts). */
  hubRoles?: Record<string, string>;
  /** An allow-listed administrator whom a leaver action holds offboarded: signed in without the rights (hub-guard.ts). */
  offboarded?: true;
  /**
   * The client address (scim-server/auth-failures.ts clientAddress), as refusals record it: where
   * an admin token or a person's account was used from is what an investigation of a leaked one
   * needs first (OWASP ASVS 4.0.3 V7.1.4; OWASP Logging Cheat Sheet, "Which events to log" →
   * "where": https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html).
   */
  ip?: string;
}

const subjectOf = (o: { actor?: string; email?: string }): AuditInput['subject'] | undefined =>
  o.email ? { email: o.email } : o.actor ? { label: o.actor } : undefined;

export function signedInAudit(o: SignedIn): AuditInput {
  const how = o.via === 'oidc' ? `OpenID Connect (${o.issuer ?? 'the identity provider'})` : 'an admin token';
  const grants = o.admin ? 'a global administrator' : o.offboarded ? 'without the administrator rights the allow-lists give (offboarded: held until the IdP deactivates and reactivates them)' : Object.keys(o.hubRoles ?? {}).length ? 'with hub roles' : 'with no hub role (My access only)';
  const subject = subjectOf(o);
  return {
    trigger: { type: 'dashboard', actor: o.actor, detail: o.via }, action: 'dashboard-sign-in', outcome: 'ok',
    why: `signed in to the dashboard with ${how}, ${grants}`,
    ...(subject ? { subject } : {}),
    detail: {
      via: o.via, admin: o.admin, ...(o.issuer ? { issuer: o.issuer } : {}), ...(o.sub ? { sub: o.sub } : {}),
      ...(o.adminGroups?.length ? { adminGroups: o.adminGroups } : {}), ...(o.hubRoles ? { hubRoles: o.hubRoles } : {}),
      ...(o.offboarded ? { offboarded: true } : {}), ...(o.ip ? { ip: o.ip } : {}),
    },
  };
}

export interface Refused {
  via: SignInVia;
  reason: SignInRefusal;
  /** Who, when the IdP or the token said so (a refusal before that names nobody). */
  actor?: string;
  email?: string;
  sub?: string;
  issuer?: string;
  /** The client address (scim-server/auth-failures.ts clientAddress). */
  ip?: string;
  /** The IdP's `error` parameter: kept only when it has the shape of an error code. */
  idpError?: unknown;
  detail?: Record<string, unknown>;
}

export function refusedAudit(o: Refused): AuditInput {
  const subject = subjectOf(o);
  const idpError = typeof o.idpError === 'string' ? (ERROR_CODE.test(o.idpError) ? o.idpError : 'not an error code (not repeated)') : undefined;
  return {
    trigger: { type: 'dashboard', ...(o.actor ? { actor: o.actor } : {}), detail: o.via }, action: 'dashboard-sign-in', outcome: 'failed',
    why: `sign-in refused: ${SIGN_IN_REFUSALS[o.reason]}`,
    ...(subject ? { subject } : {}),
    detail: {
      via: o.via, reason: o.reason, ...(o.issuer ? { issuer: o.issuer } : {}), ...(o.sub ? { sub: o.sub } : {}),
      ...(o.ip ? { ip: o.ip } : {}), ...(idpError ? { idpError } : {}), ...o.detail,
    },
  };
}

/** `ip`: the client address the sign-out came from (as signedInAudit's). */
export function signedOutAudit(session: Pick<Session, 'actor' | 'via' | 'email'>, ip?: string): AuditInput {
  const subject = subjectOf(session);
  return {
    trigger: { type: 'dashboard', actor: session.actor, detail: session.via }, action: 'dashboard-sign-out', outcome: 'ok',
    why: 'signed out of the dashboard', ...(subject ? { subject } : {}), detail: { via: session.via, ...(ip ? { ip } : {}) },
  };
}

/**
 * Refusals that name nobody (a callback without its cookie, a forged form) need no credential:
 * anyone may cause them in a loop. The fleet audits at most 60 of them a minute (each one store
 * transaction), counted in the store by the shared limiter (scim-server/auth-failures.ts, scope
 * `refusal`), so N replicas behind a load balancer together write no more than one would; past it
 * they are logged only, and this process's next audited one says how many it did not audit
 * (`notAudited`), so a flood costs the store a bounded number of writes and still shows.
 */
export class RefusalAudits {
  private skipped = 0;

  constructor(private readonly limiter: FailureLimiter) {}

  /** Whether to audit this refusal; when yes, how many this process left unaudited since its last audited one. */
  async take(): Promise<{ audit: true; notAudited: number } | { audit: false }> {
    if ((await this.limiter.spend('refusal', 'dashboard-sign-in')).wait > 0) {
      this.skipped++;
      return { audit: false };
    }
    const notAudited = this.skipped;
    this.skipped = 0;
    return { audit: true, notAudited };
  }
}

/**
 * Writes a refusal's entry. `budget` for refusals that name nobody (RefusalAudits); a refusal
 * that needed a valid IdP answer or a bounded failure count passes none.
 */
export async function auditRefusal(store: Store, o: Refused, budget?: RefusalAudits): Promise<void> {
  let detail = o.detail;
  if (budget) {
    const taken = await budget.take();
    if (!taken.audit) return;
    if (taken.notAudited > 0) detail = { ...detail, notAudited: taken.notAudited };
  }
  await store.transact((tx) => { appendAudit(tx, refusedAudit({ ...o, ...(detail ? { detail } : {}) })); });
}
