/**
 * One error vocabulary for every connector. Each provider has one
 * table mapping its errors to these kinds; the agent has one table mapping kinds to retry policy
 * and log level; the SCIM server has one table mapping kinds to SCIM responses.
 */
export const ERROR_KINDS = [
  'invalid-argument',
  'unauthenticated',
  'permission-denied',
  'not-found',
  'conflict',
  'rate-limited',
  'unavailable',
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ConnectorErrorDetails {
  /** Provider's own code, e.g. Graph `190` or `100/1752129`. */
  providerCode?: string;
  /** For rate-limited: how long the provider asks us to wait. */
  retryAfterMs?: number;
  /** The rate-limit scope the wait applies to, e.g. `invite:1234567890` or `app`. */
  limitScope?: string;
  /** For invalid-argument: the offending field. */
  field?: string;
  /**
   * The change certainly did not happen: the app refused it, or it was never sent. Without it an
   * error leaves the outcome unknown (a timeout, a 5xx: the write may have landed), and a retry
   * must check the app before writing again.
   */
  notApplied?: boolean;
  cause?: unknown;
}

/**
 * Messages say who, what and which, and keep the cause:
 * `meta-business: assign ad account act_456 to user 123: rate-limited (retry in 12 min)`.
 * They never carry a token: the HTTP layer redacts before an error is built.
 */
export class ConnectorError extends Error {
  readonly providerCode?: string;
  readonly retryAfterMs?: number;
  readonly limitScope?: string;
  readonly field?: string;
  readonly notApplied?: boolean;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    details: ConnectorErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ConnectorError';
    this.providerCode = details.providerCode;
    this.retryAfterMs = details.retryAfterMs;
    this.limitScope = details.limitScope;
    this.field = details.field;
    if (details.notApplied) this.notApplied = true;
  }

  /** The same error with another message and/or marked not applied (the original as its cause). */
  with(change: { message?: string; notApplied?: boolean }): ConnectorError {
    return new ConnectorError(this.kind, change.message ?? this.message, {
      providerCode: this.providerCode, retryAfterMs: this.retryAfterMs, limitScope: this.limitScope, field: this.field,
      notApplied: change.notApplied ?? this.notApplied, cause: this,
    });
  }
}

/**
 * `err` marked not applied (nothing reached the app: ConnectorErrorDetails.notApplied) when it is
 * a ConnectorError not yet so marked; anything else as it is. For a write that failed before its
 * call was sent, or that the app refused.
 */
export function markedNotApplied(err: unknown): unknown {
  return err instanceof ConnectorError && !err.notApplied ? err.with({ notApplied: true }) : err;
}

export function isConnectorError(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError;
}
