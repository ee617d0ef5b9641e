/**
 * Which Host a browser may name to reach the dashboard and the other pages a browser can load
 * without a credential (`/metrics` from loopback). DNS rebinding (a page on evil.example whose
 * name the attacker re-points at 127.0.0.1 or at hubwarden's address) makes the victim's browser
 * send requests here that it thinks are evil.example's own, so the page can read the answers; the
 * Host header still names evil.example (RFC 9110 §7.2), and that is where it is stopped. The
 * accepted hosts are `server.publicUrl`'s and, from a loopback peer, the loopback names
 * (`127.0.0.1`, `[::1]`, `localhost`, any port): a name no attacker can point anywhere.
 * SCIM, the admin API and the hooks are not browser pages and keep taking any Host.
 */
const LOOPBACK_NAMES = new Set(['127.0.0.1', '[::1]', 'localhost']);
const LOOPBACK_PEERS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** A Host value (RFC 9110 §7.2: uri-host [":" port]); anything else is nobody's host. */
const HOST_SYNTAX = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i;

export const isLoopbackPeer = (address: string | undefined): boolean => LOOPBACK_PEERS.has(address ?? '');

/**
 * Whether `host` (the Host header, or X-Forwarded-Host from a trusted proxy) is hubwarden's own:
 * `publicUrl`'s host (the default port written or not), or a loopback name when `peer` is loopback.
 */
export function isOwnHost(host: string | undefined, peer: string | undefined, publicUrl: string): boolean {
  if (!host || !HOST_SYNTAX.test(host)) return false;
  const own = new URL(publicUrl);
  let asked: URL;
  try {
    asked = new URL(`${own.protocol}//${host}`);
  } catch {
    return false;
  }
  if (asked.host === own.host) return true;
  return LOOPBACK_NAMES.has(asked.hostname) && isLoopbackPeer(peer);
}

/** The answer to a request that named another host: 421 Misdirected Request (RFC 9110 §15.5.20), saying where hubwarden answers. */
export function misdirectedText(publicUrl: string): string {
  return `this server answers browsers at ${new URL(publicUrl).origin} (server.publicUrl) or on loopback, not at the host this request named; `
    + 'open that address, or set server.publicUrl to the address you use\n';
}
