/**
 * Token redaction for every log line and error message the HTTP layer produces (never
 * log or put secrets in errors). Two nets: the known secret values themselves, and the
 * places tokens travel in text (`access_token=…`, `input_token=…`, `Bearer …`). The sdk depends
 * on nothing in the repo, so this does not reuse agent/log's redactor on purpose.
 */
const TOKEN_PARAM = /((?:access_token|input_token|client_secret|appsecret_proof)(?:=|%3D|":\s*"))([^&\s"',]+)/gi;
const AUTH_SCHEME = /\b(Bearer|OAuth)\s+[A-Za-z0-9._~+/=-]{6,}/g;

export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
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
