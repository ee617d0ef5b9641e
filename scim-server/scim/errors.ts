import { redact, redactText } from '../../agent/log/logger.ts';

/**
 * The one SCIM error type: an HTTP status plus an RFC 7644 §3.12 scimType, rendered as the
 * standard error body. Every rejection in the SCIM surface is one of these; anything else is
 * mapped to a 500 body by the router's final handler (and is a bug).
 */
import { isStoreContention } from '../../agent/store/store-contention.ts';
import { isStoreUnavailable } from '../../agent/store/store-unavailable.ts';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
    /** Extra response headers (e.g. Retry-After on 429, WWW-Authenticate on 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ScimError';
  }

  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { schemas: [ERROR_SCHEMA], status: String(this.status) };
    if (this.scimType) body.scimType = this.scimType;
    body.detail = redactText(this.detail); // the logs' redaction: a detail may quote what a client or provider sent
    return body;
  }
}

/**
 * The store refused the write (a full disk, an unreachable database: nothing was changed; or a
 * COMMIT of unknown outcome, `outcomeUnknown`): 503 with
 * Retry-After (RFC 7644 §3.12 lists 503 for a service unavailable; RFC 9110 §10.2.3 Retry-After),
 * so the IdP retries later instead of concluding the change was made or rejected.
 */
export function storeUnavailable(err: unknown): ScimError | undefined {
  if (!isStoreUnavailable(err)) return undefined;
  // A COMMIT whose answer was lost (PostgreSQL's connection went during it) may have been applied:
  // saying "nothing was changed" there told the IdP a user it then finds (or gets a 409 for) was
  // never created. Read it before retrying.
  const outcome = err.outcomeUnknown ? 'it may have been applied: read it before retrying' : 'nothing was changed, retry later';
  return new ScimError(503, undefined, `hubwarden cannot make changes durable right now (${err.reason}); ${outcome}`, { 'Retry-After': String(err.retryAfterSeconds) });
}

/**
 * The store gave the write up because other writes to the same records kept winning (PostgreSQL
 * replicas: StoreContention; nothing was changed). Transient, so 503 with Retry-After, like an
 * unavailable store, not the 500 of a bug that would make an IdP stop or alert.
 */
export function storeBusy(err: unknown): ScimError | undefined {
  if (!isStoreContention(err)) return undefined;
  return new ScimError(503, undefined, err.answer, { 'Retry-After': String(err.retryAfterSeconds) });
}

export const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);
export const invalidSyntax = (detail: string) => new ScimError(400, 'invalidSyntax', detail);
export const invalidFilter = (detail: string) => new ScimError(400, 'invalidFilter', detail);
export const invalidPath = (detail: string) => new ScimError(400, 'invalidPath', detail);
export const notFound = (detail: string) => new ScimError(404, undefined, detail);
export const uniqueness = (detail: string) => new ScimError(409, 'uniqueness', detail);

/**
 * A method the endpoint does not offer: 405 with Allow listing those it does (RFC 9110 §15.5.6
 * requires Allow on a 405). RFC 7644 §3.12 has no scimType for it; the body is its error schema.
 */
export function methodNotAllowed(method: string, endpoint: string, allowed: readonly string[]): ScimError {
  return new ScimError(405, undefined, `${method} is not offered on ${endpoint} (RFC 7644 §3.2); it answers ${allowed.join(', ')}`, { Allow: allowed.join(', ') });
}

/**
 * A short, safe rendering of a client value for an error detail (never huge, never throws).
 * Secrets in it (a `password` member, a token) are redacted before the cut: redacted after it, as
 * every error detail is, a value cut in the middle (`"password":"Sup3rSecr...`) no longer matched
 * the pattern that finds it, and its first characters reached the answer and the log.
 */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(redact(value)) ?? String(value);
  } catch {
    text = Array.isArray(value) ? 'a list' : typeof value;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
