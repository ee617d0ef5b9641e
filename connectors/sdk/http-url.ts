import { z } from 'zod';

/**
 * A URL hubwarden calls or hands out (the public URL, an IdP's base URL, an API base URL): http or
 * https only. `z.url()` alone takes any scheme WHATWG URL parses (https://url.spec.whatwg.org/),
 * so `javascript:alert(1)`, `file:///etc/passwd` or `ftp://host` would pass validation and fail
 * (or worse, be followed or shown as a link) only at run time.
 *
 * A user name or password in it (RFC 3986 §3.2.1 userinfo) is refused too: fetch will not send a
 * request to such a URL, and its error quotes the URL whole (https://fetch.spec.whatwg.org/#dom-request:
 * "includes credentials" is a TypeError), password included, into task errors, audit and logs.
 * Credentials are secret references of their own keys; the message never repeats the URL.
 */
const USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

/**
 * Userinfo as written, or as the WHATWG parser reads it: after http: or https: it skips any run of
 * slashes before the authority (https://url.spec.whatwg.org/#special-authority-ignore-slashes-state),
 * so `https:///proxy:pw@host` is user "proxy", password "pw" at host, which the pattern misses.
 */
function hasUserinfo(value: string): boolean {
  if (USERINFO.test(value)) return true;
  try {
    const url = new URL(value);
    return url.username !== '' || url.password !== '';
  } catch {
    return false; // not a URL: said once, by z.url
  }
}

export const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http or https URL, such as https://example.com' })
  .refine((url) => !hasUserinfo(url), 'the URL has a user name or password in it: leave them out (credentials go in their own keys, as secret references)');

/** Hosts that never leave the machine: plain http is allowed there (tests, a local emulator). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A URL a credential is sent to (an API token, a client secret) or signing keys are fetched from (a
 * JWKS, an OIDC issuer): https, plain http only to this machine. Over http to another host the
 * token travels in clear text, and a JWKS fetched in clear lets anyone on the path substitute
 * their own key and sign tokens that are then accepted (RFC 7515 §4.1.2: a request for a JWK Set
 * "MUST use Transport Layer Security (TLS)"; RFC 7517 §9.1, key provenance; OpenID Connect
 * Discovery 1.0 §4: communication with the configuration endpoint "MUST utilize TLS").
 */
export const secureHttpUrl = httpUrl.refine((value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return true; // not a URL: said once, by httpUrl
  }
  return url.protocol !== 'http:' || LOOPBACK.has(url.hostname);
}, 'expected an https URL (plain http only for 127.0.0.1, localhost or [::1]): a credential or signing keys would travel in clear text');
