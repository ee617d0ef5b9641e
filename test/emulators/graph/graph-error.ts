import { randomUUID } from 'node:crypto';

/**
 * Microsoft Graph's error envelope (Graph "Error responses and resource types",
 * https://learn.microsoft.com/graph/errors): `{ error: { code, message, innerError: { date, request-id } } }`.
 * Messages follow what Graph returns for the same mistakes; the duplicate-extension text is not
 * confirmed against a tenant (see docs/writeback.md).
 */
export class GraphEmulatorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(requestId: string = randomUUID()) {
    return { error: { code: this.code, message: this.message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': requestId } } };
  }
}

export const GRAPH_ERRORS = {
  unauthenticated: (why: string) => new GraphEmulatorError(401, 'InvalidAuthenticationToken', why),
  notFound: (id: string) => new GraphEmulatorError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`),
  unknownProperty: (name: string) => new GraphEmulatorError(400, 'Request_BadRequest', `Property '${name}' does not exist as a declared property or extension property.`),
  forbidden: () => new GraphEmulatorError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
  badRequest: (message: string) => new GraphEmulatorError(400, 'Request_BadRequest', message),
  duplicateExtension: (name: string, message?: string) => new GraphEmulatorError(400, 'Request_BadRequest', message ?? `Property with name '${name}' already exists.`),
  /**
   * 503 "temporarily unavailable ... You may repeat the request after a delay, the length of which
   * may be specified in a Retry-After header", or 504 Gateway Timeout (https://learn.microsoft.com/graph/errors).
   * [INF] The body codes (`serviceNotAvailable`, `gatewayTimeout`) and messages are ours; hubwarden reads the status only.
   */
  unavailable: (status: 503 | 504, retryAfterSeconds?: number) => new GraphEmulatorError(status, status === 503 ? 'serviceNotAvailable' : 'gatewayTimeout', status === 503 ? 'The service is temporarily unavailable. Retry the request after a delay.' : 'The gateway did not receive a timely response.', retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }),
  throttled: (retryAfterSeconds: number) => new GraphEmulatorError(429, 'TooManyRequests', 'Too many requests. Please try again later.', { 'Retry-After': String(retryAfterSeconds) }),
};
