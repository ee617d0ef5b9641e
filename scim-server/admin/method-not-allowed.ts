import type { RequestHandler, Router } from 'express';
import { Problem } from './problem.ts';

/**
 * A method a path of the admin API does not offer (`DELETE /hubs/{hubId}`, `GET …/remove`, `PUT
 * /tasks/{id}`): 405 with the methods it does offer in Allow (RFC 9110 §15.5.6: a 405 "MUST"
 * carry Allow), not the 404 "does not exist" that told an Okta Workflows card or a script its URL
 * was wrong when it was the method. OPTIONS answers 204 with Allow (RFC 9110 §9.3.7). A path no
 * route has stays a 404.
 *
 * The routes are read from the router's own stack, once, at the first request that needs them,
 * so a route added later is covered without a list kept by hand. Paths are matched as Express
 * matches these routes: case-insensitive, an optional trailing slash, a `:param` one non-empty
 * segment.
 */
export function methodNotAllowed(router: Router): RequestHandler {
  let table: Array<{ pattern: RegExp; path: string; methods: Set<string> }> | undefined;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const layer of (router as unknown as { stack: Array<{ route?: { path: unknown; methods: Record<string, boolean> } }> }).stack) {
      if (!layer.route || typeof layer.route.path !== 'string') continue;
      const methods = byPath.get(layer.route.path) ?? new Set<string>();
      for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') methods.add(method.toUpperCase());
      byPath.set(layer.route.path, methods);
    }
    return [...byPath].map(([path, methods]) => {
      // Express serves HEAD with each GET route.
      if (methods.has('GET')) methods.add('HEAD');
      const body = path.replace(/\/$/, '').split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
      return { pattern: new RegExp(`^${body}/?$`, 'i'), path: path.replace(/:(\w+)/g, '{$1}'), methods };
    });
  };
  return (req, res, next) => {
    table ??= build();
    // Every route the path matches (`/tasks/:id` and a later `/tasks/export` both match the latter).
    const routes = table.filter((r) => r.pattern.test(req.path));
    const methods = new Set(routes.flatMap((r) => [...r.methods]));
    if (routes.length === 0 || methods.has(req.method)) return next();
    const allow = [...methods, 'OPTIONS'].join(', ');
    if (req.method === 'OPTIONS') return void res.status(204).setHeader('Allow', allow).end();
    next(new Problem(405, 'method-not-allowed', `${req.method} is not offered on ${routes[0]!.path}; it answers ${allow}`, undefined, { Allow: allow }));
  };
}
