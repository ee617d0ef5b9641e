/**
 * Refusals of the agent API (agent-api.ts, the member service), in the one error vocabulary
 * (connectors/sdk/connector-error.ts kinds), so the admin REST API maps
 * them by kind, never by message text: invalid-argument → 400, permission-denied → 403, not-found → 404,
 * conflict → 409, unavailable → 503. Messages say which hub, which member or report, and why.
 */
import type { ErrorKind } from '../connectors/sdk/connector-error.ts';

export type AgentErrorKind = Extract<ErrorKind, 'invalid-argument' | 'permission-denied' | 'not-found' | 'conflict' | 'unavailable'>;

export class AgentError extends Error {
  constructor(
    readonly kind: AgentErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
