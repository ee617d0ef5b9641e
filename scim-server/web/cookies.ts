import type { Request, Response } from 'express';

/**
 * Cookie parsing and setting for the dashboard (RFC 6265), kept here instead of a dependency:
 * the dashboard reads two cookies and sets them with fixed attributes.
 */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAge?: number;
  sameSite: 'Lax' | 'Strict';
  path: string;
}

/** HTTP-only always: no script on the page ever needs the session id. */
export function setCookie(res: Response, name: string, value: string, o: CookieOptions): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path}`, 'HttpOnly', `SameSite=${o.sameSite}`];
  if (o.secure) parts.push('Secure');
  if (o.maxAge !== undefined) parts.push(`Max-Age=${o.maxAge}`);
  res.append('Set-Cookie', parts.join('; '));
}
