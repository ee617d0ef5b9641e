import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/**
 * A small OpenID Connect relying party: discovery (OIDC Discovery 1.0 §4), the authorization
 * code flow with PKCE S256 (RFC 7636) and ID-token validation (OIDC Core §3.1.3.7) with jose
 * against the issuer's JWKS. Nothing else of OIDC is needed by the dashboard.
 */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  groupsClaim: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  scopes_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
}

/** What the browser must bring back to the callback (kept server-side, keyed by `state`). */
export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

export interface SignedInPerson {
  sub: string;
  email?: string;
  groups: string[];
}

const random = () => randomBytes(32).toString('base64url');
const TIMEOUT_MS = 10_000;

async function getJson(url: string, init: RequestInit, what: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new Error(`oidc: ${what}: ${(err as Error).message}`);
  }
  const body = await res.json().catch(() => undefined) as Record<string, unknown> | undefined;
  if (!res.ok || !body) {
    // The IdP's error code (RFC 6749 §5.2) helps the admin fix the client; never echo secrets.
    const code = body && typeof body.error === 'string' ? `: ${body.error}` : '';
    throw new Error(`oidc: ${what}: HTTP ${res.status}${code}`);
  }
  return body;
}

export class OidcClient {
  #discovery?: Promise<Discovery>;
  #jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly s: OidcSettings) {}

  discovery(): Promise<Discovery> {
    this.#discovery ??= (async () => {
      const url = `${this.s.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const d = await getJson(url, {}, `discovery at ${url}`) as unknown as Discovery;
      // OIDC Discovery §4.3: the issuer in the document must be the one configured.
      if (d.issuer !== this.s.issuer && d.issuer !== this.s.issuer.replace(/\/$/, '')) {
        throw new Error(`oidc: discovery at ${url} names issuer "${d.issuer}", not the configured "${this.s.issuer}"`);
      }
      return d;
    })().catch((err) => {
      this.#discovery = undefined; // a failed discovery is retried on the next sign-in
      throw err;
    });
    return this.#discovery;
  }

  /** The IdP URL to send the browser to, and what the callback will need. */
  async authorizationUrl(next: string): Promise<{ url: string; pending: PendingLogin }> {
    const d = await this.discovery();
    const pending: PendingLogin = { state: random(), nonce: random(), verifier: random(), next };
    const challenge = createHash('sha256').update(pending.verifier).digest('base64url');
    // `groups` is asked for only where the IdP lists it (Okta); Entra sends groups without a scope.
    const scopes = ['openid', 'email', 'profile', ...(d.scopes_supported?.includes(this.s.groupsClaim) ? [this.s.groupsClaim] : [])];
    const url = new URL(d.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: this.s.clientId, redirect_uri: this.s.redirectUri, scope: scopes.join(' '),
      state: pending.state, nonce: pending.nonce, code_challenge: challenge, code_challenge_method: 'S256',
    }).toString();
    return { url: url.toString(), pending };
  }

  /** Exchanges the code (RFC 6749 §4.1.3 + RFC 7636 §4.5) and validates the ID token. */
  async finish(code: string, pending: PendingLogin): Promise<SignedInPerson> {
    const d = await this.discovery();
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: this.s.redirectUri, code_verifier: pending.verifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const methods = d.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    if (methods.includes('client_secret_basic')) {
      // RFC 6749 §2.3.1: id and secret are form-encoded before base64.
      const basic = `${encodeURIComponent(this.s.clientId)}:${encodeURIComponent(this.s.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    } else {
      form.set('client_id', this.s.clientId);
      form.set('client_secret', this.s.clientSecret);
    }
    const tokens = await getJson(d.token_endpoint, { method: 'POST', headers, body: form }, 'token exchange');
    if (typeof tokens.id_token !== 'string') throw new Error('oidc: token exchange: no id_token in the response');
    this.#jwks ??= createRemoteJWKSet(new URL(d.jwks_uri));
    const { payload } = await jwtVerify(tokens.id_token, this.#jwks, { issuer: d.issuer, audience: this.s.clientId, clockTolerance: 60 })
      .catch((err: Error) => { throw new Error(`oidc: id token refused: ${err.message}`); });
    if (payload.nonce !== pending.nonce) throw new Error('oidc: id token refused: nonce does not match this sign-in');
    let claims: JWTPayload = payload;
    // Many IdPs put email and groups in userinfo only (OIDC Core §5.4 for scope-requested claims).
    const missing = claims.email === undefined || claims[this.s.groupsClaim] === undefined;
    if (missing && d.userinfo_endpoint && typeof tokens.access_token === 'string') {
      const info = await getJson(d.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' } }, 'userinfo');
      // OIDC Core §5.3.2: userinfo's sub must be the ID token's.
      if (info.sub === payload.sub) claims = { ...info, ...payload, email: payload.email ?? info.email, [this.s.groupsClaim]: payload[this.s.groupsClaim] ?? info[this.s.groupsClaim] };
    }
    const rawGroups = claims[this.s.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.map(String) : typeof rawGroups === 'string' ? [rawGroups] : [];
    return { sub: String(payload.sub), email: typeof claims.email === 'string' ? claims.email : undefined, groups };
  }
}

/** allowedEmails or allowedGroups must name the person; with both lists empty nobody is let in. */
export function allowedAdmin(person: SignedInPerson, allow: { allowedEmails: string[]; allowedGroups: string[] }): boolean {
  const email = person.email?.toLowerCase();
  if (email && allow.allowedEmails.some((e) => e.toLowerCase() === email)) return true;
  return person.groups.some((g) => allow.allowedGroups.includes(g));
}
