/**
 * Where to go after sign-in: only a path of the dashboard itself. Anything else (an absolute URL,
 * `//evil.example`, a backslash trick, a dot segment) falls back to the hubs page, so sign-in is
 * no open redirect and never leaves the dashboard.
 */
export function safeNext(basePath: string, next: unknown): string {
  const home = `${basePath}/`;
  if (typeof next !== 'string' || next.length > 2000) return home;
  if (!next.startsWith(`${basePath}/`) && next !== basePath) return home;
  // Control characters too: a URL parser drops a tab or newline anywhere in a URL
  // (https://url.spec.whatwg.org/#concept-basic-url-parser), so `/ui/.<TAB>./metrics` was the dot
  // segment below once parsed, though not to the check (Express's redirect percent-encodes it today).
  if (next.startsWith('//') || next.includes('\\') || /[\x00-\x1f\x7f]/.test(next)) return home;
  // A `.` or `..` segment, also percent-encoded (`%2e%2e`), is removed by the browser when it
  // resolves the Location (RFC 3986 §5.2.4; https://url.spec.whatwg.org/#double-dot-path-segment):
  // `/ui/../metrics` took a person who just signed in to another surface of the server.
  if (next.split(/[?#]/, 1)[0]!.split('/').some((s) => /^(?:\.|%2e){1,2}$/i.test(s))) return home;
  return next;
}
