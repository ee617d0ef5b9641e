import winston from 'winston';
import { logLevelOf } from '../../config/log-level.ts';
import { secretForms } from '../../connectors/sdk/redact.ts';

/**
 * Structured JSON logs (winston). Secrets are redacted by key path before anything is written:
 * tokens, passwords, client secrets, authorization headers, and SCIM PATCH values aimed at a
 * password. Level follows the cause (upstream 4xx warn, 5xx error). Set HUBWARDEN_LOG_LEVEL
 * (`silent` in tests).
 */
const SECRET_KEY = /(tokens?|passwords?|secrets?|authorization|cookie|access_token|client_secret|private_?key|api[-_]?key)$/i;

/** Past this nesting a value is dropped rather than written unchecked (a secret could hide deeper). */
const MAX_DEPTH = 8;

export function redact(value: unknown, depth = 0): unknown {
  // Free text anywhere (an `error` or `detail` field, not only the message) may quote a header or URL.
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[too deep to log]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  const obj = value as Record<string, unknown>;
  // A SCIM PATCH op whose path is a password: its value is a secret.
  const secretOp = typeof obj.path === 'string' && /password/i.test(obj.path);
  for (const [k, v] of Object.entries(obj)) {
    if (SECRET_KEY.test(k) || (secretOp && k === 'value')) out[k] = '[redacted]';
    else out[k] = redact(v, depth + 1);
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
 * Strips secrets that appear inside free text: the configured secret values themselves
 * (addKnownSecrets), URL and form parameters (`access_token=`, `client_secret=`, `password=`), JSON
 * quoted in a message (`"password":"…"`), and credentials in Authorization headers (Bearer, Okta's
 * SSWS, Basic). Every error text that is stored (task records, hook events, audit, health) or sent
 * back in an API error passes here, as log lines do.
 */
export function redactText(text: string): string {
  return (knownPattern ? text.replace(knownPattern, '[redacted]') : text)
    // A password in a URL's userinfo (RFC 3986 §3.2.1: `postgres://user:password@host`): the user stays.
    // The scheme starts where a run of scheme characters does (not at any word boundary inside it):
    // tried from every boundary of a long dotted or hyphenated run, the match was quadratic.
    // A password holding an unencoded @ ends at the last one before the host, as URL parsers read it.
    .replace(/((?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:"']*:)[^\s/?#"']+@/g, '$1[redacted]@')
    // client_assertion: a signed JWT that stands for the client secret (RFC 7523 §2.2) until it expires.
    .replace(/(access_token|client_secret|client_assertion|input_token|token|password|secret|api_?key)=([^&\s"']+)/gi, '$1=[redacted]')
    // JSON quoted in text, also once more escaped (a body quoted inside a JSON string: \"key\":\"value\").
    .replace(/("(?:[A-Za-z_]*(?:token|password|secret)|authorization|client_secret|client_assertion|private_?key|api_?key|cookie)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, '$1"[redacted]"')
    .replace(/(\\"(?:[A-Za-z_]*(?:token|password|secret)|authorization|client_secret|client_assertion|private_?key|api_?key|cookie)\\"\s*:\s*)\\"(?:[^"\\]|\\[^"])*\\"/gi, '$1\\"[redacted]\\"')
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
