import { randomBytes, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';

/**
 * The org authorization server's token endpoint as an Okta service app uses it: `POST
 * /oauth2/v1/token` with `grant_type=client_credentials`, the `okta.*` scopes asked for, and a
 * private_key_jwt client assertion signed with the app's key, whose `iss` and `sub` are the client
 * id and `aud` the token endpoint (https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/,
 * RFC 7523 §3). Success answers a Bearer access token; errors are RFC 6749 §5.2 bodies
 * (`error`, `error_description`), `invalid_client` with 401 (RFC 6749 §5.2 allows it; Okta uses
 * it for a bad assertion), the others with 400. DPoP is not required of the app (Okta's "Require
 * DPoP" app setting off), so the SDK's DPoP header is ignored.
 */
export interface OktaServiceApp {
  clientId: string;
  /** The public half of the key registered on the app. */
  publicKey: KeyObject;
  /** The Okta API scopes granted to the app. */
  scopes: string[];
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const failure = (status: number, error: string, description: string): TokenAnswer => ({ status, body: { error, error_description: description } });

export class OktaOAuth {
  /** Issued access tokens and the scopes each was issued with. */
  readonly #issued = new Map<string, readonly string[]>();
  app: OktaServiceApp | undefined;

  constructor(app: OktaServiceApp | undefined) {
    this.app = app;
  }

  async token(form: Record<string, unknown>, tokenUrl: string): Promise<TokenAnswer> {
    if (form.grant_type !== 'client_credentials') return failure(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.');
    if (form.client_assertion_type !== JWT_BEARER || typeof form.client_assertion !== 'string') return failure(400, 'invalid_request', 'The client_assertion and client_assertion_type are required.');
    const app = this.app;
    if (!app) return failure(401, 'invalid_client', 'The client_id provided is invalid.');
    try {
      const { payload } = await jwtVerify(form.client_assertion, app.publicKey, { audience: tokenUrl, issuer: app.clientId, subject: app.clientId });
      void payload;
    } catch {
      return failure(401, 'invalid_client', 'The client_assertion signature is invalid.');
    }
    const asked = String(form.scope ?? '').split(' ').filter(Boolean);
    const missing = asked.filter((s) => !app.scopes.includes(s));
    if (missing.length > 0) return failure(400, 'invalid_scope', `The following scopes were requested, but not granted: ${missing.join(' ')}`);
    const accessToken = randomBytes(24).toString('base64url');
    this.#issued.set(accessToken, asked);
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3600, access_token: accessToken, scope: asked.join(' ') } };
  }

  /** Is `authorization` a Bearer token this endpoint issued? */
  accepts(authorization: string): boolean {
    return this.scopesOf(authorization) !== undefined;
  }

  /** The scopes of the Bearer token this endpoint issued, or undefined for any other credential. */
  scopesOf(authorization: string): readonly string[] | undefined {
    return authorization.startsWith('Bearer ') ? this.#issued.get(authorization.slice('Bearer '.length)) : undefined;
  }

  /** Test control, no Okta API: the access tokens issued so far (a test searches the store for them). */
  issuedTokens(): string[] {
    return [...this.#issued.keys()];
  }

  /** Every issued token stops working (the app's key was rotated, the app deactivated): the SDK asks for a new one. */
  revokeAll(): void {
    this.#issued.clear();
  }
}
