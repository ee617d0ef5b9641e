/**
 * Checks of the characters of a resolved secret (config/load.ts runs them at the key's path, for
 * every secret, `env:` or `file:`): the tokens hubwarden itself compares with what a client sends in
 * a header are held to that header's rule, every other credential to being one line. The messages
 * never quote the value.
 */

/**
 * The tokens a client presents as `Authorization: Bearer <token>`: the admin API's and each hub's
 * SCIM token. RFC 6750 §2.1's b64token holds no space, line break or other control character, and
 * an HTTP field value carries no character past ASCII as text (RFC 9110 §5.5): a configured token
 * holding one (a file ending in two line breaks, an env file written on Windows ending each value
 * in "\r", a pasted "Bearer <token>") matches no request. Refused at load, naming the key, the
 * character and where it is, never the token; the server otherwise started and refused every
 * request as "not valid for this hub" with the right token configured at the identity provider.
 */
const BEARER_TOKEN_PATH = /^(?:server\.adminTokens\[\d+\](?:\.token)?|hubs\[\d+\]\.scim\.tokens\[\d+\])$/;
/**
 * An Okta event hook secret is the whole Authorization header value Okta sends
 * (its channel's authScheme value, https://developer.okta.com/docs/concepts/event-hooks/): it may
 * hold spaces inside ("Bearer <token>"), but a field value neither starts nor ends with one and
 * holds no control character (RFC 9110 §5.5; Node drops the spaces around it), so a secret ending
 * in "\r" or a line break refused every delivery as not matching.
 */
const HOOK_SECRET_PATH = /^identityProviders\.[^.]+\.eventHookSecret(?:\[\d+\])?$/;

/**
 * Secrets that are several lines by nature: an Okta service app's private key, a PEM block (RFC
 * 7468 §2: lines of base64 between the BEGIN and END lines) or a pretty-printed JWK.
 */
const MULTI_LINE_PATH = /^identityProviders\.[^.]+\.privateKey$/;

const CHARACTER_NAMES: Record<number, string> = { 0x20: 'a space', 0x0a: 'a line break', 0x0d: 'a carriage return ("\\r")', 0x09: 'a tab' };

/** The first character of `value` (of its first `within` characters) that `bad` finds, named with its position, in words that never quote the value. */
function characterProblem(value: string, ref: string, bad: RegExp, rule: string, within = value.length): string | undefined {
  const at = value.slice(0, within).search(bad);
  if (at < 0) return undefined;
  const code = value.codePointAt(at)!.toString(16).toUpperCase().padStart(4, '0');
  const what = CHARACTER_NAMES[value.charCodeAt(at)] ?? 'a character that is not visible ASCII';
  return `${ref} holds ${what} (U+${code}, character ${at + 1} of ${value.length}); ${rule}: remove it from the value`;
}

const bearerTokenProblem = (value: string, ref: string) =>
  characterProblem(value, ref, /[^\x21-\x7e]/, 'a bearer token is visible ASCII only (RFC 6750 §2.1), so no request could present it');
const hookSecretProblem = (value: string, ref: string) =>
  characterProblem(value, ref, /^ |[^\x20-\x7e]| $/, 'an Authorization header value is visible ASCII with spaces only inside it (RFC 9110 §5.5), so no delivery could carry it');

/**
 * Any other secret (an app's access token, a client secret, a database URL) is one line: sent in
 * an HTTP header (RFC 9110 §5.5: a field value holds no CR or LF), a line break inside it would be
 * refused by the HTTP client at every call, or end the header early; and a token file of several
 * lines is most likely the wrong file (notes, a whole env file, two tokens). Line ends after the
 * value are left alone: a file's last line end is dropped when it is read (secret-ref.ts), and an
 * HTTP client drops the whitespace around a field value (https://fetch.spec.whatwg.org/#concept-header-value-normalize).
 */
function lineBreakProblem(value: string, ref: string): string | undefined {
  let end = value.length;
  while (end > 0 && (value[end - 1] === '\n' || value[end - 1] === '\r')) end -= 1;
  return characterProblem(value, ref, /[\r\n]/, 'a credential is one line (a line break inside it would split the HTTP header it is sent in; a file of several lines is likely the wrong file)', end);
}

/** The character check of the secret at `path` (`server.adminTokens[0]`): by the rule of its use, else one line, except for keys of several lines. */
export function characterCheckAt(path: string): ((value: string, ref: string) => string | undefined) | undefined {
  if (BEARER_TOKEN_PATH.test(path)) return bearerTokenProblem;
  if (HOOK_SECRET_PATH.test(path)) return hookSecretProblem;
  if (MULTI_LINE_PATH.test(path)) return undefined;
  return lineBreakProblem;
}
