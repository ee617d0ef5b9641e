/**
 * Refusals of the members API, in the one error vocabulary (connectors/sdk/connector-error.ts
 * kinds), so the admin REST API maps them like everything else: invalid-argument → 400,
 * not-found → 404, conflict → 409. Messages say which hub, which member and why.
 */
import type { ErrorKind } from '../../connectors/sdk/connector-error.ts';

export class MemberError extends Error {
  constructor(
    readonly kind: Extract<ErrorKind, 'invalid-argument' | 'not-found' | 'conflict'>,
    message: string,
  ) {
    super(message);
    this.name = 'MemberError';
  }
}
