import { randomBytes } from 'node:crypto';

/**
 * Okta's error body (Okta Management API "Errors": errorCode, errorSummary, errorLink, errorId,
 * errorCauses). The summaries below are the ones Okta returns, as quoted in public issue threads
 * (e.g. oktadev/okta-node-express-example#4 for E0000023), so tests exercise real SDK parsing.
 */
export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: Array<{ errorSummary: string }>;
}

export class OktaEmulatorError extends Error {
  constructor(
    readonly status: number,
    readonly body: OktaErrorBody,
  ) {
    super(`${status} ${body.errorCode} ${body.errorSummary}`);
  }
}

export function oktaError(status: number, errorCode: string, errorSummary: string, causes: string[] = []): OktaEmulatorError {
  return new OktaEmulatorError(status, {
    errorCode,
    errorSummary,
    errorLink: errorCode,
    errorId: `oae${randomBytes(11).toString('base64url')}`,
    errorCauses: causes.map((errorSummary) => ({ errorSummary })),
  });
}

export const OKTA_ERRORS = {
  validation: (causes: string[]) => oktaError(400, 'E0000001', 'Api validation failed: profile', causes),
  invalidToken: () => oktaError(401, 'E0000011', 'Invalid token provided'),
  notFound: (id: string) => oktaError(404, 'E0000007', `Not found: Resource not found: ${id} (User)`),
  // [INF] Okta's documentation cited in docs/writeback.md does not give Okta's answer to a token without the scope a call needs: 403
  // E0000006 (Okta's "You do not have permission" error), the needed scopes as the cause.
  insufficientScope: (needed: string[]) => oktaError(403, 'E0000006', 'You do not have permission to perform the requested action', [`The access token needs one of the scopes ${needed.join(', ')}`]),
  mastered: () => oktaError(403, 'E0000023', 'Operation failed because user profile is mastered under another system'),
  rateLimited: () => oktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.'),
  badRequest: (summary: string) => oktaError(400, 'E0000003', 'The request body was not well-formed.', [summary]),
};
