import { hashToken, tokenMatches, type Keyring } from '../../agent/secrets/keyring.ts';
import type { PendingLogin } from './oidc-client.ts';

/** HKDF `info` (RFC 5869 §2.3): this key seals pending sign-ins and nothing else. */
export const PENDING_KEY_PURPOSE = 'hubwarden oidc-pending-cookie v1';

/** What the callback learns from the cookie: the pending login, or why there is none. */
export type OpenedPending = { login: PendingLogin; /** Epoch ms when the sign-in started (sealed in the cookie). */ startedAt: number } | { refused: 'missing' | 'damaged' | 'expired' | 'state' };

/**
 * An OIDC sign-in between the redirect to the IdP and its callback, kept in the browser: a
 * sealed cookie (AES-256-GCM, authenticated, so a changed or forged value does not open) with the
 * state, nonce, PKCE verifier (RFC 7636 §4.1), `next` and when it started. Starting a sign-in
 * needs no credential, so it writes nothing on the server: before, each start was a store
 * transaction, and a loop of starts pushed real sign-ins out of the capped `oidcLogins`
 * collection (OWASP Denial of Service Cheat Sheet:
 * https://cheatsheetseries.owasp.org/cheatsheets/Denial_of_Service_Cheat_Sheet.html).
 *
 * The key is derived from `secrets.keyFile` (HKDF, keyring.ts `derive`), so replicas sharing the
 * key file open each other's cookies and the database holds no key. The start time inside the
 * sealed value bounds the sign-in on the server, whatever the browser does with Max-Age. Used
 * once: the callback clears the cookie, and a replay of an old cookie with a new callback fails
 * because the code is single-use at the IdP (RFC 6749 §4.1.2) and the nonce binds the ID token
 * to this cookie (OIDC Core §3.1.3.7 step 11).
 */
export class PendingCookie {
  readonly #keyring: Promise<Keyring>;

  constructor(
    keyring: Keyring | Promise<Keyring>,
    /** How long a sign-in may take. */
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.#keyring = Promise.resolve(keyring).then((k) => k.derive(PENDING_KEY_PURPOSE));
    this.#keyring.catch(() => {}); // reported where it is awaited
  }

  /** Sealed as the key file's secrets are (keyring.ts `seal`: AES-256-GCM, full tag), with the purpose as associated data. */
  async seal(login: PendingLogin): Promise<string> {
    const body = JSON.stringify({ s: login.state, n: login.nonce, v: login.verifier, x: login.next, t: this.clock() });
    return (await this.#keyring).seal(body, PENDING_KEY_PURPOSE);
  }

  /** The pending login the cookie holds, if it opens, is within its time and names `state` (compared in constant time). */
  async open(cookie: string | undefined, state: string): Promise<OpenedPending> {
    if (!cookie) return { refused: 'missing' };
    const keyring = await this.#keyring;
    let p: { s?: unknown; n?: unknown; v?: unknown; x?: unknown; t?: unknown };
    try {
      p = JSON.parse(keyring.open(cookie, PENDING_KEY_PURPOSE));
    } catch {
      return { refused: 'damaged' };
    }
    if (typeof p.s !== 'string' || typeof p.n !== 'string' || typeof p.v !== 'string' || typeof p.x !== 'string' || typeof p.t !== 'number') return { refused: 'damaged' };
    const age = this.clock() - p.t;
    if (age < 0 || age > this.ttlMs) return { refused: 'expired' };
    if (!state || !tokenMatches(hashToken(p.s), state)) return { refused: 'state' };
    return { login: { state: p.s, nonce: p.n, verifier: p.v, next: p.x }, startedAt: p.t };
  }
}
