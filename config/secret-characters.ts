/**
 * Checks of the characters of a resolved secret that hubwarden itself compares with what a client
 * sends in a header (config/load.ts runs them at the key's path). The messages never quote the value.
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

const CHARACTER_NAMES: Record<number, string> = { 0x20: 'a space', 0x0a: 'a line break', 0x0d: 'a carriage return ("\\r")', 0x09: 'a tab' };

/** The first character of `value` that `bad` finds, named with its position, in words that never quote the value. */
function characterProblem(value: string, ref: string, bad: RegExp, rule: string): string | undefined {
  const at = value.search(bad);
  if (at < 0) return undefined;
  const code = value.codePointAt(at)!.toString(16).toUpperCase().padStart(4, '0');
  const what = CHARACTER_NAMES[value.charCodeAt(at)] ?? 'a character that is not visible ASCII';
  return `${ref} holds ${what} (U+${code}, character ${at + 1} of ${value.length}); ${rule}: remove it from the value`;
}

const bearerTokenProblem = (value: string, ref: string) =>
  characterProblem(value, ref, /[^\x21-\x7e]/, 'a bearer token is visible ASCII only (RFC 6750 §2.1), so no request could present it');
const hookSecretProblem = (value: string, ref: string) =>
  characterProblem(value, ref, /^ |[^\x20-\x7e]| $/, 'an Authorization header value is visible ASCII with spaces only inside it (RFC 9110 §5.5), so no delivery could carry it');

/** The character check of the secret at `path` (`server.adminTokens[0]`), if it has one. */
export function characterCheckAt(path: string): ((value: string, ref: string) => string | undefined) | undefined {
  if (BEARER_TOKEN_PATH.test(path)) return bearerTokenProblem;
  if (HOOK_SECRET_PATH.test(path)) return hookSecretProblem;
  return undefined;
}
