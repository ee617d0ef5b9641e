/**
 * Every route an Express router registers, read from its stack (nested routers included), for the
 * tests that make sure no route is left unguarded or unclassified: route-guards.test.ts (session,
 * CSRF, bearer token on every route) and authz-matrix.test.ts (every route has a row).
 *
 * Reads Express 5's router internals (router 2.x: `stack`, `route`, `rawPath`); a layout it does
 * not know fails loudly here rather than listing fewer routes.
 */
import type { Router } from 'express';

/** Methods a route registered with `.all()` answers: each is tried. */
export const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface RegisteredRoute {
  method: string;
  /** The Express path with the mount prefix, e.g. `/ui/api/v1/hubs/:hubId/members`. */
  path: string;
}

/** A `use(path, handler)` that is not a router: it answers every method under `path` itself. */
export interface Mount {
  path: string;
  handlers: string[];
}

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
  name: string;
}

const PLAIN_PATH = /^(\/[\w.@-]*|\/:\w+)*\/?$/;
const join = (prefix: string, path: string) => (path === '/' ? prefix || '/' : `${prefix}${path}`);

/**
 * The routes and the mounts of `router` under `prefix`. `adapters` names mounts (by full path)
 * whose handler hands every request to another router (the dashboard's `/ui/api/v1` runs the
 * admin router inside a closure, where the stack cannot see it): that router's routes are listed
 * under the mount.
 */
export function routeTable(router: Router, prefix = '', adapters: Record<string, Router> = {}): { routes: RegisteredRoute[]; mounts: Mount[] } {
  const routes: RegisteredRoute[] = [];
  const mounts = new Map<string, string[]>();
  const walk = (stack: Layer[] | undefined, at: string) => {
    if (!Array.isArray(stack)) throw new Error(`route table: no router stack under "${at || '/'}" (an Express layout this helper does not know)`);
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path;
        if (typeof path !== 'string' || !PLAIN_PATH.test(path)) throw new Error(`route table: ${at}${String(path)} is not a plain path (segments and :params); teach pathPattern about it`);
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (!on) continue;
          if (method === '_all') for (const m of ALL_METHODS) routes.push({ method: m, path: join(at, path) });
          else routes.push({ method: method.toUpperCase(), path: join(at, path) });
        }
        continue;
      }
      const raw = layer.rawPath;
      if (typeof raw !== 'string') throw new Error(`route table: a middleware under "${at || '/'}" is mounted at ${String(raw)}, not a plain path`);
      const here = raw === '/' ? at : join(at, raw);
      if (Array.isArray(layer.handle.stack)) walk(layer.handle.stack, here);
      else if (raw !== '/') mounts.set(here, [...(mounts.get(here) ?? []), layer.name]);
    }
  };
  walk((router as unknown as { stack?: Layer[] }).stack, prefix);
  for (const [path, inner] of Object.entries(adapters)) {
    if (!mounts.has(path)) throw new Error(`route table: no mount at ${path} to list ${inner.name || 'a router'} under`);
    walk((inner as unknown as { stack?: Layer[] }).stack, path);
  }
  const seen = new Set<string>();
  const unique = routes.filter((r) => !seen.has(`${r.method} ${r.path}`) && seen.add(`${r.method} ${r.path}`));
  return { routes: unique, mounts: [...mounts].map(([path, handlers]) => ({ path, handlers })) };
}

/**
 * Whether a concrete path (query left off) is one `route` answers: Express's own matching for
 * these routers (case-insensitive, an optional trailing slash, a parameter is one non-empty segment).
 */
export function pathPattern(route: RegisteredRoute): RegExp {
  const body = route.path.replace(/\/$/, '').split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return new RegExp(`^${body}/?$`, 'i');
}

/** A concrete URL path for `route`: each `:param` from `values`, or `fallback`. */
export function concretePath(route: RegisteredRoute, values: Record<string, string>, fallback = 'x'): string {
  return route.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(values[name] ?? fallback));
}
