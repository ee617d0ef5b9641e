/**
 * Where to go after sign-in: only a path of the dashboard itself. Anything else (an absolute URL,
 * `//evil.example`, a backslash trick) falls back to the hubs page, so sign-in is no open redirect.
 */
export function safeNext(basePath: string, next: unknown): string {
  const home = `${basePath}/`;
  if (typeof next !== 'string' || next.length > 2000) return home;
  if (!next.startsWith(`${basePath}/`) && next !== basePath) return home;
  if (next.startsWith('//') || next.includes('\\') || /[\r\n]/.test(next)) return home;
  return next;
}
