import type { IncomingMessage } from 'node:http';
import { everyHubToken, type AdminTokens } from '../admin/admin-tokens.ts';
import { bearerToken } from '../bearer.ts';
import { isLoopbackPeer, isOwnHost } from '../own-host.ts';

/** Whether `server.trustProxy` names any proxy (false, 0, '' and [] name none). */
export function proxyConfigured(trustProxy: boolean | number | string | readonly string[] | undefined): boolean {
  if (Array.isArray(trustProxy)) return trustProxy.length > 0;
  return Boolean(trustProxy);
}

/**
 * Who may scrape `/metrics` (hub ids, task counts, process figures: not for strangers, and it
 * shares the listener SCIM needs reachable). A scraper on this machine, talking to hubwarden
 * directly, may; anyone else sends an admin token (`Authorization: Bearer`, which Prometheus sends
 * from `authorization: { credentials }`). A request through a reverse proxy arrives from loopback
 * too: with `server.trustProxy` set, a proxy is in front, so a loopback peer may be that proxy and
 * proves nothing (a plain nginx `proxy_pass` adds no X-Forwarded-For); without it, a request that
 * carries a forwarding header is not treated as local either. With `publicUrl`, the loopback grant
 * also wants the Host to be hubwarden's own (own-host.ts): a browser on this machine showing a page
 * of another site rebound to 127.0.0.1 is a loopback peer too, but names that site's host.
 */
export function metricsAccess(tokens: AdminTokens, behindProxy = false, publicUrl?: string): (req: IncomingMessage) => boolean {
  return (req) => {
    const forwarded = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
    const peer = req.socket.remoteAddress;
    // A browser on this machine is a loopback peer too: a page of another site rebound to
    // 127.0.0.1 names its own host, so the loopback grant also wants hubwarden's (own-host.ts).
    if (!behindProxy && !forwarded && isLoopbackPeer(peer) && (publicUrl === undefined || isOwnHost(req.headers.host, peer, publicUrl))) return true;
    // A token scoped to some hubs may not: the figures name every hub.
    return everyHubToken(tokens, bearerToken(req.headers.authorization));
  };
}

/**
 * Whether the request carries a right admin token that is limited to some hubs
 * (`server.adminTokens[].hubs`): refused by `metricsAccess`, but not a wrong token. The metrics
 * router answers it 403 saying why, without spending the address's failed-token budget: a
 * scraper given a hub's token counted as guessing, and within minutes its address was past the
 * budget the admin API and the dashboard's sign-in share (auth-failures.ts).
 */
export function scopedAdminToken(tokens: AdminTokens): (req: IncomingMessage) => boolean {
  return (req) => {
    const token = bearerToken(req.headers.authorization);
    const actor = token ? tokens.actorFor(token) : undefined;
    return actor !== undefined && tokens.scopeOf(actor) !== undefined;
  };
}
