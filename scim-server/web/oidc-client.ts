import * as oidc from 'openid-client';
import { allowedGroupsNamed } from '../../agent/desired-state/directory-records.ts';
import { emailKey } from '../../agent/matching/email-key.ts';
import { KeySetUnavailableError } from '../jwks-reads.ts';
import { idTokenSignatureCheck, type SignatureCheck } from './oidc-signing-keys.ts';

/**
 * The dashboard's OpenID Connect relying party, on `openid-client` (certified by the OpenID
 * Foundation: https://openid.net/certification/, built on oauth4webapi): discovery (OIDC
 * Discovery 1.0 §4, issuer checked), the authorization code flow with PKCE S256 (RFC 7636),
 * state and nonce, ID-token validation (OIDC Core §3.1.3.7) and userinfo for the same subject
 * (OIDC Core §5.3.2). What stays here is hubwarden's own policy: which scopes, which client
 * authentication, where email and groups come from, plain http only for a loopback issuer, and
 * errors that name the step without echoing the client secret. Why a library: docs/security.md.
 */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  groupsClaim: string;
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
  /**
   * The IdP's `email_verified` claim (OIDC Core §5.1), when it sent one; false too when Entra's
   * `xms_edov` says the email's domain owner is not verified.
   */
  emailVerified?: boolean;
  groups: string[];
  /**
   * Entra's `oid` claim: the person's object id in the tenant, the id a Lifecycle Workflows callout
   * names them by (Entra's `sub` is pairwise per application, not that id:
   * https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference).
   */
  objectId?: string;
  /** The ID token's `iat` (RFC 7519 §4.1.6; required by OIDC Core §2), in seconds since the epoch. */
  issuedAt?: number;
}

const TIMEOUT_S = 10;

/**
 * Plain http is allowed for an issuer on this machine only (a test or development IdP): a real
 * IdP is https, and over http the ID token, the code and the client secret travel in clear text.
 */
function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/**
 * An error code as RFC 6749 §5.2 defines them (`invalid_client`, `invalid_grant`, and extensions
 * of the same shape). Whatever else an IdP puts in `error` is not repeated: it may quote the
 * request, whose Basic header carries the client secret (RFC 6749 §2.3.1), encoded as no
 * redactor knows it (every character but letters and digits escaped).
 */
const ERROR_CODE = /^[a-z][a-z0-9_]{0,63}$/i;

/**
 * A sign-in step that failed. `unreachable`: the IdP never answered (the connection failed or
 * timed out); `keysUnavailable`: the IdP's signing keys could not be read, so the ID token was not
 * checked (scim-server/jwks-reads.ts KeySetUnavailableError). Neither is the person's doing, as
 * opposed to an answer refusing the code or an ID token hubwarden refused: only the latter count
 * against the callback's failure budget (scim-server/auth-failures.ts OIDC_EXCHANGES).
 */
export class OidcFailure extends Error {
  constructor(message: string, readonly unreachable: boolean, readonly keysUnavailable = false) {
    super(message);
  }
}

/** Whether `err` (or its cause) is fetch's own failure to reach the server, or a timeout: no HTTP answer came. */
function noAnswer(err: unknown): boolean {
  for (let e = err as { name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    // undici's fetch rejects with TypeError('fetch failed') when no response came (https://fetch.spec.whatwg.org/#fetch-method: "a network error").
    if ((e instanceof TypeError && e.message === 'fetch failed') || e.name === 'TimeoutError' || e.name === 'AbortError') return true;
    if (e instanceof Response) return false;
  }
  return false;
}

/** One line naming the step and the IdP's own error code (RFC 6749 §5.2), never a secret. */
function failure(step: string, err: unknown): OidcFailure {
  const e = err as { message?: string; error?: string; status?: number; cause?: { message?: string; status?: number; error?: string } };
  const status = e.status ?? e.cause?.status;
  const given = e.error ?? e.cause?.error;
  const code = given === undefined || given === '' ? undefined : ERROR_CODE.test(given) ? given : 'an error code that is not one (not repeated)';
  const detail = status !== undefined ? `HTTP ${status}${code ? `: ${code}` : ''}` : `${e.message ?? String(err)}${e.cause?.message ? ` (${e.cause.message})` : ''}`;
  return new OidcFailure(`oidc: ${step}: ${detail}`, status === undefined && noAnswer(err));
}

export class OidcClient {
  #config?: Promise<oidc.Configuration>;
  /** The check of ID-token signatures against the IdP's JWKS, made at the first sign-in (oidc-signing-keys.ts). */
  #signatures?: { jwksUri: string; check: SignatureCheck };
  readonly #issuer: URL;

  constructor(private readonly s: OidcSettings) {
    this.#issuer = new URL(s.issuer);
  }

  /** Discovery once (retried after a failure), then the client with the strongest secret method the IdP offers. */
  configuration(): Promise<oidc.Configuration> {
    this.#config ??= (async () => {
      const insecure = isLoopback(this.#issuer);
      if (this.#issuer.protocol !== 'https:' && !insecure) throw new Error(`oidc: the issuer ${this.s.issuer} must use https (plain http only for 127.0.0.1 or localhost)`);
      const found = await oidc.discovery(this.#issuer, this.s.clientId, undefined, undefined, { timeout: TIMEOUT_S, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) })
        .catch((err) => { throw failure(`discovery at ${this.s.issuer}`, err); });
      const server = found.serverMetadata();
      // RFC 6749 §2.3.1: HTTP Basic unless the IdP lists only client_secret_post (the default when it lists nothing).
      const methods = server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
      const auth = methods.includes('client_secret_basic') ? oidc.ClientSecretBasic(this.s.clientSecret) : oidc.ClientSecretPost(this.s.clientSecret);
      const config = new oidc.Configuration(server, this.s.clientId, undefined, auth);
      if (insecure) oidc.allowInsecureRequests(config);
      // The ID token's signature is verified against the IdP's JWKS (finish, signatureCheck), not
      // by openid-client's enableNonRepudiationChecks: its key cache reads the JWKS again for an
      // unknown kid only once its copy is 60 s old, which failed a sign-in with a key just published.
      config.timeout = TIMEOUT_S;
      return config;
    })().catch((err) => {
      this.#config = undefined; // a failed discovery is retried on the next sign-in
      throw err;
    });
    return this.#config;
  }

  /**
   * The signature check for the IdP's `jwks_uri` (OIDC Discovery §3, REQUIRED), kept across sign-ins
   * so its copy of the keys is too; https unless the issuer is on this machine, as the issuer.
   */
  #signatureCheck(config: oidc.Configuration): SignatureCheck {
    const jwksUri = config.serverMetadata().jwks_uri;
    const kept = this.#signatures;
    if (kept !== undefined && kept.jwksUri === jwksUri) return kept.check;
    if (typeof jwksUri !== 'string') throw new OidcFailure('oidc: id token refused: the IdP\'s discovery names no jwks_uri (OIDC Discovery §3)', false);
    let url: URL;
    try {
      url = new URL(jwksUri);
    } catch {
      throw new OidcFailure('oidc: id token refused: the IdP\'s jwks_uri is not a URL', false);
    }
    if (url.protocol !== 'https:' && !(isLoopback(url) && isLoopback(this.#issuer))) throw new OidcFailure('oidc: id token refused: the IdP\'s jwks_uri must use https (plain http only on 127.0.0.1 or localhost)', false);
    this.#signatures = { jwksUri, check: idTokenSignatureCheck(url, TIMEOUT_S * 1000) };
    return this.#signatures.check;
  }

  /** The IdP URL to send the browser to, and what the callback will need. */
  async authorizationUrl(next: string): Promise<{ url: string; pending: PendingLogin }> {
    const config = await this.configuration();
    const pending: PendingLogin = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), next };
    // `groups` is asked for only where the IdP lists it (Okta); Entra sends groups without a scope.
    const offered = config.serverMetadata().scopes_supported;
    const scopes = ['openid', 'email', 'profile', ...(offered?.includes(this.s.groupsClaim) ? [this.s.groupsClaim] : [])];
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.s.redirectUri, scope: scopes.join(' '), state: pending.state, nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier), code_challenge_method: 'S256',
    });
    return { url: url.href, pending };
  }

  /**
   * The callback: `query` is what the IdP appended to the redirect URI (code, state, iss…). The
   * code is exchanged with the verifier (RFC 6749 §4.1.3, RFC 7636 §4.5) and the ID token checked.
   */
  async finish(query: URLSearchParams, pending: PendingLogin): Promise<SignedInPerson> {
    const config = await this.configuration();
    const callback = new URL(this.s.redirectUri);
    callback.search = query.toString();
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
    }).catch((err) => { throw failure(isTokenEndpointError(err) ? 'token exchange' : 'id token refused', err); });
    // Verify the ID token's signature against the IdP's JWKS even though it came straight from
    // the token endpoint (OIDC Core §3.1.3.7 step 6 would let TLS stand in for it).
    await this.#signatureCheck(config)(tokens.id_token!).catch((err) => {
      if (err instanceof KeySetUnavailableError) throw new OidcFailure(`oidc: id token not checked: ${err.message}`, false, true);
      throw failure('id token refused', err);
    });
    const idToken = tokens.claims()!;
    refuseOtherParties(idToken, this.s.clientId);
    let claims: Record<string, unknown> = idToken;
    /** Where the email came from: its `email_verified` is read there only. */
    let emailSource: Record<string, unknown> = idToken;
    /** The other source, when userinfo was read: a `false` there is not ignored either. */
    let otherSource: Record<string, unknown> | undefined;
    // Many IdPs put email and groups in userinfo only (OIDC Core §5.4 for scope-requested claims).
    const missing = idToken.email === undefined || idToken[this.s.groupsClaim] === undefined;
    if (missing && config.serverMetadata().userinfo_endpoint && tokens.access_token) {
      // fetchUserInfo refuses an answer about another subject (OIDC Core §5.3.2: "the UserInfo
      // Response values MUST NOT be used" unless its `sub` is the ID token's); checked here again,
      // so a change of library or of the call cannot let one through.
      const info = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub).catch((err) => { throw failure('userinfo', err); });
      if (info.sub !== idToken.sub) throw new OidcFailure('oidc: userinfo: its "sub" is not the ID token\'s (OIDC Core §5.3.2)', false);
      claims = { ...info, ...idToken, [this.s.groupsClaim]: idToken[this.s.groupsClaim] ?? info[this.s.groupsClaim] };
      // The email and its email_verified go together, from one source (OIDC Core §5.1, §5.7: a
      // claim is asserted by the source that sends it). Merged key by key, the ID token's
      // `email_verified: true` vouched for an email only userinfo sent (or userinfo's for the ID
      // token's), an address its own source never said was verified.
      if (idToken.email === undefined && info.email !== undefined) {
        emailSource = info;
        otherSource = idToken;
      } else {
        otherSource = info;
      }
    }
    const rawGroups = claims[this.s.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.map(String) : typeof rawGroups === 'string' ? [rawGroups] : [];
    // `true` counts only from the email's own source; a `false` from either source is kept (it
    // never makes an email trusted). Absent from both: the IdP is trusted for the addresses it
    // issues (docs/security.md, trustedEmail below).
    const verified = flag(otherSource?.email_verified) === false ? false : flag(emailSource.email_verified);
    // Entra sends no email_verified; its optional claim `xms_edov` says whether the domain owner
    // of the email was verified. An email from an unverified domain (the "nOAuth" pattern: any
    // tenant's user may set any address) is not trusted, whatever else was sent, by either source.
    // https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
    const domainVerified = flag(emailSource.xms_edov) === false || flag(otherSource?.xms_edov) === false ? false : undefined;
    const emailVerified = domainVerified === false ? false : verified;
    return {
      sub: String(idToken.sub), email: typeof emailSource.email === 'string' ? emailSource.email : undefined,
      ...(emailVerified !== undefined ? { emailVerified } : {}),
      groups,
      ...(typeof claims.oid === 'string' && claims.oid ? { objectId: claims.oid } : {}),
      ...(typeof idToken.iat === 'number' && Number.isFinite(idToken.iat) ? { issuedAt: idToken.iat } : {}),
    };
  }
}

/**
 * An ID token meant for, or issued to, a party other than this client is refused. OIDC Core 1.0
 * §3.1.3.7 step 3 (errata set 2, https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation):
 * "The ID Token MUST be rejected if [...] it contains additional audiences not trusted by the
 * Client"; hubwarden trusts none, yet openid-client accepted `aud: [client, other]` when `azp` named
 * the client. An `azp` (authorized party, §2) other than this client says the token was issued to
 * someone else (step 5 of the text before errata set 2: the client "SHOULD verify that its
 * client_id is the Claim Value"), and the library checks `azp` only beside several audiences.
 */
function refuseOtherParties(idToken: { aud: string | string[]; azp?: unknown }, clientId: string): void {
  const audiences = Array.isArray(idToken.aud) ? idToken.aud : [idToken.aud];
  if (audiences.some((a) => a !== clientId)) throw new OidcFailure('oidc: id token refused: its "aud" names an audience other than this client (OIDC Core §3.1.3.7)', false);
  if (idToken.azp !== undefined && idToken.azp !== clientId) throw new OidcFailure('oidc: id token refused: its "azp" names another client (OIDC Core §3.1.3.7)', false);
}

/** A boolean claim, also as the strings and numbers some IdPs send (`"true"`, `1`); undefined when absent or neither. */
function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 1 || value === '1') return true;
  if (value === 'false' || value === 0 || value === '0') return false;
  return undefined;
}

/** An error answer of the token endpoint itself (RFC 6749 §5.2), as opposed to a token we refused. */
function isTokenEndpointError(err: unknown): boolean {
  return err instanceof oidc.ResponseBodyError || (err as { cause?: unknown }).cause instanceof Response;
}

/**
 * The person's email as hubwarden may trust it: as it is compared (emailKey: NFC, lower-cased), and none when the IdP says it is
 * unverified (`email_verified: false`): an address anyone could type into their profile must not
 * make them an allowed admin or another person's hub owner. An IdP that sends no such claim
 * (Entra) is trusted for the addresses it issues.
 */
export function trustedEmail(person: Pick<SignedInPerson, 'email' | 'emailVerified'>): string | undefined {
  if (person.emailVerified === false) return undefined;
  const email = person.email?.trim();
  // Compared lower-cased everywhere, such an address would be someone else's: not trusted either.
  if (!email || foldsIntoAscii(email) || holdsSingleton(email)) return undefined;
  return emailKey(email);
}

/**
 * Whether `text` holds a character outside ASCII that lower-cases into ASCII: U+212A KELVIN SIGN
 * lower-cases to "k" (Unicode's case mapping, https://www.unicode.org/charts/case/), so
 * "\u212Aim@acme.example" lower-cased is kim@acme.example, the address of another person.
 */
export function foldsIntoAscii(text: string): boolean {
  for (const c of text) if (c.codePointAt(0)! > 0x7f && /^[\x00-\x7f]+$/.test(c.toLowerCase())) return true;
  return false;
}

/**
 * Whether `text` holds a character that normalization replaces by another (a canonical singleton
 * such as U+212B ANGSTROM SIGN, which is U+00C5 in NFC and lower-cases to "å", or U+2126 OHM SIGN
 * to "ω": Unicode Standard Annex #15, https://unicode.org/reports/tr15/#Canonical_Composition_Examples).
 * Normalized text never holds one, so no real address does; lower-cased, "\u212Bsa@…" would be
 * the address of the person who is åsa@…, as "\u212Aim@…" would be kim@….
 */
export function holdsSingleton(text: string): boolean {
  for (const c of text) if (c.codePointAt(0)! > 0x7f && c.normalize('NFC') !== c) return true;
  return false;
}

/**
 * Global administrators: allowedEmails or allowedGroups names the person (with both lists empty
 * there are none). Everyone else signed in sees what their hub roles allow (hub-guard.ts).
 */
export function allowedAdmin(person: SignedInPerson, allow: { allowedEmails: string[]; allowedGroups: string[] }): boolean {
  const email = trustedEmail(person);
  if (email && allow.allowedEmails.some((e) => emailKey(e) === email)) return true;
  return allowedGroupsNamed(allow.allowedGroups, person.groups).length > 0;
}
