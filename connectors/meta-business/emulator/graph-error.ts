/**
 * The Graph API error envelope (https://developers.facebook.com/docs/graph-api/guides/error-handling) as one typed error that renders itself.
 * `message`, `type`, `code` and `fbtrace_id` are always present; the rest are optional.
 * HTTP status (https://developers.facebook.com/docs/graph-api/guides/error-handling [INF]): 400 by default, 500 for the transient codes 1 and 2,
 * 400 plus `WWW-Authenticate` for token errors (190, and 104 for a missing token).
 */
import { randomBytes } from 'node:crypto';

export type GraphErrorType = 'OAuthException' | 'GraphMethodException' | 'Exception';

export interface GraphErrorInit {
  code: number;
  message: string;
  type?: GraphErrorType;
  subcode?: number;
  isTransient?: boolean;
  userTitle?: string;
  userMessage?: string;
  errorData?: unknown;
  /** Extra response headers (usage headers of a throttled call). */
  headers?: Record<string, string>;
}

export class GraphError extends Error {
  readonly code: number;
  readonly type: GraphErrorType;
  readonly subcode?: number;
  readonly isTransient?: boolean;
  readonly userTitle?: string;
  readonly userMessage?: string;
  readonly errorData?: unknown;
  readonly headers: Record<string, string>;

  constructor(init: GraphErrorInit) {
    super(init.message);
    this.code = init.code;
    this.type = init.type ?? 'OAuthException';
    this.subcode = init.subcode;
    this.isTransient = init.isTransient;
    this.userTitle = init.userTitle;
    this.userMessage = init.userMessage;
    this.errorData = init.errorData;
    this.headers = { ...(init.headers ?? {}) };
  }

  get status(): number {
    return this.code === 1 || this.code === 2 ? 500 : 400;
  }

  /** Token errors carry `WWW-Authenticate: OAuth "Facebook Platform" "<kind>" "<message>"` (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started). */
  get authenticateHeader(): string | undefined {
    if (this.code === 190) return `OAuth "Facebook Platform" "invalid_token" "${this.message}"`;
    if (this.code === 104) return `OAuth "Facebook Platform" "invalid_request" "${this.message}"`;
    return undefined;
  }

  /** Batch responses show 403 for OAuth (token and permission) errors (https://developers.facebook.com/docs/graph-api/guides/error-handling). */
  get batchStatus(): number {
    const c = this.code;
    if (c === 190 || c === 102 || c === 104 || c === 10 || (c >= 200 && c <= 299)) return 403;
    return this.status;
  }

  toBody(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { message: this.message, type: this.type, code: this.code };
    if (this.subcode !== undefined) error.error_subcode = this.subcode;
    if (this.isTransient !== undefined) error.is_transient = this.isTransient;
    if (this.userTitle !== undefined) error.error_user_title = this.userTitle;
    if (this.userMessage !== undefined) error.error_user_msg = this.userMessage;
    if (this.errorData !== undefined) error.error_data = this.errorData;
    error.fbtrace_id = fbtraceId();
    return { error };
  }
}

function fbtraceId(): string {
  return randomBytes(8).toString('base64').replace(/[+/=]/g, '').slice(0, 11);
}

// ---- the documented errors, one constructor each (https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference) ----

export function invalidParameter(message: string, subcode?: number, extra: Partial<GraphErrorInit> = {}): GraphError {
  return new GraphError({ code: 100, message: `(#100) ${message}`, subcode, ...extra });
}

export function requiredParameter(name: string): GraphError {
  return invalidParameter(`The parameter ${name} is required`);
}

/** 100/33: missing object, no permission to see it, or unsupported operation (https://developers.facebook.com/docs/graph-api/guides/error-handling). */
export function unsupportedRequest(method: string, id: string): GraphError {
  const verb = method === 'POST' || method === 'PUT' ? 'post' : method === 'DELETE' ? 'delete' : 'get';
  return new GraphError({
    code: 100,
    subcode: 33,
    type: 'GraphMethodException',
    message:
      `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, ` +
      'or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api',
  });
}

export function unknownPath(rest: string): GraphError {
  return new GraphError({ code: 2500, message: `Unknown path components: ${rest}` });
}

export function permissionsError(message = '(#200) Permissions error', subcode?: number): GraphError {
  return new GraphError({ code: 200, message, subcode });
}

export function invalidToken(message = 'Invalid OAuth access token - Cannot parse access token', subcode?: number): GraphError {
  return new GraphError({ code: 190, message, subcode });
}

export function missingToken(): GraphError {
  return new GraphError({ code: 104, message: 'An access token is required to request this resource.' });
}

export function nonexistingField(field: string, nodeType: string): GraphError {
  return invalidParameter(`Tried accessing nonexisting field (${field}) on node type (${nodeType})`);
}

/**
 * 3914 with the message the business-user reference page gives
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user).
 * No error_user_title/error_user_msg: Meta documents none for it, and a client must key on the code.
 */
export function lastAdmin(): GraphError {
  return new GraphError({
    code: 3914,
    message:
      "It looks like you're trying to remove the last admin from this Business Manager. At least one admin is required in Business Manager.",
  });
}

export function taskCombinationNotSupported(): GraphError {
  return invalidParameter(`Invalid parameter`, 1752129, {
    userTitle: 'This Task Combination Is Not Supported',
    userMessage: 'To assign valid capabilities, pass one of the combinations from the mapping.',
  });
}

export function userNotBusinessScoped(): GraphError {
  return invalidParameter(`Invalid parameter`, 1752100, {
    userTitle: 'User is not business-scoped',
  });
}

export function transientError(code: 1 | 2): GraphError {
  return new GraphError(
    code === 1
      ? { code: 1, message: 'An unknown error occurred', subcode: 99, isTransient: true }
      : { code: 2, message: 'An unexpected error has occurred. Please retry your request later.', isTransient: true },
  );
}
