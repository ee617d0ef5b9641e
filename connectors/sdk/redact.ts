/**
 * Token redaction for every log line and error message the HTTP layer produces (never
 * log or put secrets in errors). Two nets: the known secret values themselves, and the
 * places tokens travel in text (`access_token=…`, `input_token=…`, `Bearer …`). The sdk depends
 * on nothing in the repo, so this does not reuse agent/log's redactor on purpose.
 */
const TOKEN_PARAM = /((?:access_token|input_token|client_secret|appsecret_proof)(?:=|%3D|":\s*"))([^&\s"',]+)/gi;
/**
 * A credential after an auth scheme. Not the words "access token": Meta's token errors read
 * "Invalid OAuth access token - Cannot parse access token" (code 190,
 * https://developers.facebook.com/docs/graph-api/guides/error-handling), which came out as
 * "Invalid OAuth [redacted] token" in hub health and audit, as if a token had been quoted.
 */
const AUTH_SCHEME = /\b(Bearer|OAuth)\s+(?!access token\b)[A-Za-z0-9._~+/=-]{6,}/g;

/**
 * The forms a secret takes in text a provider quotes back: as sent, URL-encoded, form-encoded
 * (WHATWG application/x-www-form-urlencoded: a space is `+`) and JSON-escaped. Only the raw form
 * was replaced once, and a form that differs from it (a token with `+`, `/` or `"`) was left whole
 * until the agent's own redactor, after `providerMessage` had cut it: the piece before the cut was
 * no longer any known value and reached errors, hub health and logs.
 */
export function secretForms(secret: string): string[] {
  const form = new URLSearchParams({ v: secret }).toString().slice(2);
  return [...new Set([secret, encodeURIComponent(secret), form, JSON.stringify(secret).slice(1, -1)])];
}

export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a form is never half-replaced by a shorter one it contains.
  const forms = secrets.filter((s) => s && s.length >= 4).flatMap(secretForms).sort((a, b) => b.length - a.length);
  for (const s of forms) out = out.split(s).join('[redacted]');
  return out.replace(TOKEN_PARAM, '$1[redacted]').replace(AUTH_SCHEME, '$1 [redacted]');
}

/**
 * An app's own error text as an error message may carry it: redacted, on one line, at most `max`
 * characters. Redacted BEFORE it is cut: a token the app quotes back, cut at the limit, is no
 * longer the known secret, and the prefix would reach errors, the audit log and logs.
 */
export function providerMessage(text: string, redact: (s: string) => string, max = 200): string {
  return redact(text).replace(/\s+/g, ' ').slice(0, max);
}

/** A URL as it may appear in a log: token-bearing query params redacted. */
export function redactUrl(url: string | URL, secrets: readonly string[] = []): string {
  return redactSecrets(String(url), secrets);
}
