import winston from 'winston';
import { logLevelOf } from '../../config/log-level.ts';
import { secretForms } from '../../connectors/sdk/redact.ts';

/**
 * Structured JSON logs (winston). Secrets are redacted by key path before anything is written:
 * tokens, passwords, client secrets, authorization headers, and SCIM PATCH values aimed at a
 * password. Level follows the cause (upstream 4xx warn, 5xx error). Set HUBWARDEN_LOG_LEVEL
 * (`silent` in tests).
 */
const SECRET_KEY = /(tokens?|passwords?|secrets?|app_?secret_?proof|authorization|cookies?|private_?key|api[-_]?key|csrf|xsrf|assertion|verifier|session[-_]?id|(?:^|[-_.])sid|authorization_?code|auth_?code)$/i;
// What the new names are: a CSRF synchronizer token (`_csrf`, OWASP CSRF cheat sheet), a signed JWT
// standing for a client secret (`client_assertion`, RFC 7523 §2.2) or a grant (`assertion`, §2.1),
// a PKCE `code_verifier` (RFC 7636 §4.1), and a session cookie's value (`sessionId`, `connect.sid`).
// `state` and `nonce` stay: they bind a sign-in to its browser and grant nothing on their own.
// `app_?secret_?proof`: Meta's appsecret_proof, also as the connector names it in code (`appSecretProof`).

/** A session's own key: its string value is the cookie; an object (a session record) has it as `id`. */
const SESSION_KEY = /session$/i;

/**
 * An OAuth authorization code (RFC 6749 §4.1.2) is a one-time credential, but `code` is also the
 * name every error code is logged under (`ENOSPC`, SQLSTATE `40001`, a provider's `E0000001`):
 * it is redacted only where it is a callback's or token request's: in a request's query, or next
 * to a parameter only those carry (RFC 9207 `iss`, OIDC Session Management `session_state`,
 * §4.1.3 `grant_type` and `redirect_uri`, RFC 7636 `code_verifier`). Not next to `state` alone:
 * the word names a store's or a task's state beside an error code too.
 */
const REQUEST_PARAMS_KEY = /^(query|searchParams|callbackParams)$/;
const CODE_COMPANIONS = ['iss', 'session_state', 'grant_type', 'redirect_uri', 'code_verifier'];

function secretAt(key: string, value: unknown, parentKey: string | undefined, obj: Record<string, unknown>): boolean {
  if (SECRET_KEY.test(key)) return true;
  if (SESSION_KEY.test(key) && typeof value === 'string') return true;
  if (key === 'id' && parentKey !== undefined && SESSION_KEY.test(parentKey)) return true;
  if (key === 'code') return (parentKey !== undefined && REQUEST_PARAMS_KEY.test(parentKey)) || CODE_COMPANIONS.some((c) => c in obj);
  // A SCIM PATCH op whose path is a password: its value is a secret.
  return key === 'value' && typeof obj.path === 'string' && /password/i.test(obj.path);
}

/**
 * An Error's message, stack and cause are its own but not enumerable: walked as a plain object it
 * came out `{}` (`log.error(err)` wrote a line with nothing but its level), and the diagnosis was
 * lost. They are listed here with its enumerable fields (an SDK's `code`, `status`, request), and
 * then redacted like any other field.
 */
function errorFields(err: Error): Record<string, unknown> {
  return { ...err, message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...(err.cause !== undefined ? { cause: err.cause } : {}) };
}

/** Past this nesting a value is dropped rather than written unchecked (a secret could hide deeper). */
const MAX_DEPTH = 8;

export function redact(value: unknown, depth = 0, parentKey?: string): unknown {
  // Free text anywhere (an `error` or `detail` field, not only the message) may quote a header or URL.
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[too deep to log]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, parentKey));
  const out: Record<string, unknown> = {};
  const obj = value instanceof Error ? errorFields(value) : (value as Record<string, unknown>);
  for (const [k, v] of Object.entries(obj)) {
    out[k] = secretAt(k, v, parentKey, obj) ? '[redacted]' : redact(v, depth + 1, k);
  }
  return out;
}

/** Shorter values are caught by the patterns only: replacing every "abc" in a message would wreck it. */
const MIN_KNOWN_SECRET = 8;
const knownSecrets = new Set<string>();
let knownPattern: RegExp | undefined;

/**
 * Registers the values of the configured secrets (the composition root passes every one the config
 * resolves). From then on any text that quotes one, as sent or in the forms a provider echoes it
 * (URL-encoded, form-encoded, JSON-escaped), has it replaced: the patterns below only catch a
 * secret next to a name they know, and a provider's error text need not name it.
 */
export function addKnownSecrets(values: Iterable<string>): void {
  for (const value of values) {
    if (typeof value !== 'string' || value.length < MIN_KNOWN_SECRET) continue;
    for (const v of secretForms(value)) knownSecrets.add(v);
  }
  // Longest first, so a value is never half-replaced by a shorter one it contains.
  const alternatives = [...knownSecrets].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  knownPattern = alternatives.length ? new RegExp(alternatives.join('|'), 'g') : undefined;
}

/**
 * `scheme://user:` then the password up to the `@` before the host, in three tries:
 * 1. No / ? or # in it: up to the last @ before any of them (a password holding an unencoded @
 *    ends at the last one, as URL parsers read it).
 * 2. An unencoded / ? or # in it (RFC 3986 §3.2 ends the authority there, so a URL parser reads
 *    part of the password as a port and path, or refuses the URL): up to the first @ followed by
 *    a host (a name, an address or [IPv6]) that no other @ follows.
 * 3. A space in it (the WHATWG URL parser percent-encodes it and connects): up to an @ whose host
 *    is followed by a port or a path, so prose quoting a URL and then an email address stays.
 * Tries 2 and 3 look at most 256 characters ahead: text holding many `a://b:` would otherwise be
 * scanned to its end from each. The scheme starts where a run of scheme characters does (not at
 * any word boundary inside it): tried from every boundary of a long dotted or hyphenated run, the
 * match was quadratic.
 */
const URL_HOST = String.raw`(?:[A-Za-z0-9.%_~-]+|\[[0-9A-Fa-f:.]+\])`;
const URL_PASSWORD = new RegExp(
  String.raw`((?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:"']*:)` +
  String.raw`(?:[^\s/?#"']+@|[^\s"']{1,256}?@(?=${URL_HOST}(?![A-Za-z0-9.%_~@\]-]))|[^"'\r\n]{1,256}?@(?=${URL_HOST}(?::\d|\/)))`,
  'g',
);

/** Keys whose JSON value is a secret where a text quotes JSON (the same names SECRET_KEY names). */
const JSON_SECRET_KEY = String.raw`(?:[A-Za-z_]*(?:token|password|secret|assertion|verifier|csrf)|appsecret_proof|authorization|private_?key|api_?key|cookie)`;
const QUOTED_SECRET = new RegExp(String.raw`("${JSON_SECRET_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');
/** The same once more escaped: a body quoted inside a JSON string (`\"key\":\"value\"`). */
const ESCAPED_SECRET = new RegExp(String.raw`(\\"${JSON_SECRET_KEY}\\"\s*:\s*)\\"(?:[^"\\]|\\[^"])*\\"`, 'gi');

/**
 * A JWT or any JOSE compact serialization (RFC 7515 §7.1, RFC 7516 §7.1): base64url segments
 * joined by dots, the first a JSON object header (`{"` encodes as `eyJ`). Such credentials are
 * minted at run time (an Okta client assertion, RFC 7523 §2.2; an Entra or Okta access token; an
 * OIDC ID token), so the redactor never learns their values, and a provider or proxy may echo one
 * bare ("The client assertion eyJ… was not accepted"). A token cut after its header keeps the
 * header only (no secret); cut anywhere after the first dot, what is left still goes.
 */
const JOSE_COMPACT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*){1,4}/g;

/**
 * Strips secrets that appear inside free text: the configured secret values themselves
 * (addKnownSecrets), URL and form parameters (`access_token=`, `client_secret=`, `password=`), JSON
 * quoted in a message (`"password":"…"`), JWTs (JOSE_COMPACT), and credentials in Authorization
 * headers (Bearer, Okta's SSWS, Basic). Every error text that is stored (task records, hook events, audit, health) or sent
 * back in an API error passes here, as log lines do.
 */
export function redactText(text: string): string {
  return (knownPattern ? text.replace(knownPattern, '[redacted]') : text)
    // A password in a URL's userinfo (RFC 3986 §3.2.1: `postgres://user:password@host`): the user stays.
    .replace(URL_PASSWORD, '$1[redacted]@')
    .replace(JOSE_COMPACT, '[redacted]')
    // client_assertion: a signed JWT that stands for the client secret (RFC 7523 §2.2) until it expires;
    // code_verifier: PKCE's (RFC 7636 §4.5); `code` only as a URL or form parameter (RFC 6749 §4.1.2),
    // not in prose ("exit code=1").
    // appsecret_proof: Meta's HMAC of a token under the app secret, as good as the token with an app that requires it.
    .replace(/(access_token|appsecret_proof|client_secret|assertion|code_verifier|(?<=[?&])code|csrf|session_?id|input_token|token|password|secret|api_?key)=([^&\s"']+)/gi, '$1=[redacted]')
    // JSON quoted in text, also once more escaped (a body quoted inside a JSON string: \"key\":\"value\").
    .replace(QUOTED_SECRET, '$1"[redacted]"')
    .replace(ESCAPED_SECRET, '$1\\"[redacted]\\"')
    // An API key header quoted in text (`X-API-Key: …`).
    .replace(/(\bx-api-key["']?\s*:\s*["']?)[^\s"',;]+/gi, '$1[redacted]')
    // Cookie headers quoted in text carry session ids: the rest of the line goes.
    .replace(/(\b(?:set-)?cookie:\s*)[^\r\n"']+/gi, '$1[redacted]')
    // An Authorization header quoted in text: RFC 9110 §11.1 makes the scheme case-insensitive
    // (`bearer`, `BEARER`), so after the header's name any scheme's credentials go.
    .replace(/(authorization["']?\s*[:=]\s*["']?[A-Za-z][A-Za-z0-9-]*\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]')
    // Elsewhere the usual spellings only: "a bearer token" or "basic settings" in prose stay as written.
    .replace(/\b(Bearer|BEARER|SSWS|Basic|BASIC)\s+[A-Za-z0-9._~+/=-]+/g, '$1 [redacted]');
}

/** The text of a caught error, redacted: what may be stored or answered. */
export function errorText(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

/** The winston format every hubwarden log line goes through (exported for its test). */
export const redactFormat = winston.format((info) => {
  const cleaned = redact(info) as winston.Logform.TransformableInfo;
  if (typeof cleaned.message === 'string') cleaned.message = redactText(cleaned.message);
  // winston keeps level/message under symbols too
  for (const sym of Object.getOwnPropertySymbols(info)) (cleaned as any)[sym] = (info as any)[sym];
  return cleaned;
});

// A value that names no level logs at info (config loading refuses it with a line naming it).
const level = logLevelOf(process.env.HUBWARDEN_LOG_LEVEL) ?? 'info';

export const logger = winston.createLogger({
  level: level === 'silent' ? 'error' : level,
  silent: level === 'silent',
  format: winston.format.combine(winston.format.timestamp(), redactFormat(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
});

export type Logger = Pick<winston.Logger, 'debug' | 'info' | 'warn' | 'error' | 'child'>;

export function childLogger(component: string): winston.Logger {
  return logger.child({ component });
}
