import type { ErrorKind } from '../../connectors/sdk/connector-error.ts';

/**
 * HTTP status → error kind for the identity providers' REST APIs (Okta Management API, Microsoft
 * Graph), which both use plain HTTP semantics (Okta "Error codes"; Graph "Error responses",
 * https://learn.microsoft.com/graph/errors). Provider-specific codes are decided before this table.
 */
const STATUS_KINDS: Record<number, ErrorKind> = {
  400: 'invalid-argument',
  401: 'unauthenticated',
  403: 'permission-denied',
  404: 'not-found',
  409: 'conflict',
  429: 'rate-limited',
};

/** No status (network failure), a negative SDK pseudo-status or a 5xx is `unavailable` (retried). */
export function kindOfStatus(status: number | undefined): ErrorKind {
  if (status === undefined || status < 0 || status >= 500) return 'unavailable';
  return STATUS_KINDS[status] ?? 'internal';
}
