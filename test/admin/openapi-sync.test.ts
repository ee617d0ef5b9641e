import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Router } from 'express';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { openApiDocument } from '../../scim-server/admin/openapi.ts';
import { FakeAgent } from './fake-agent.ts';
import { testConfig } from './test-server.ts';

/** Every route the admin router registers, as "METHOD /openapi/{path}". */
function registeredRoutes(router: Router): string[] {
  const out: string[] = [];
  for (const layer of (router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
    for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path}`);
  }
  return out.sort();
}

function documentedRoutes(): string[] {
  const doc = openApiDocument('http://x');
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
}

test('every registered admin route is in the OpenAPI document, and nothing else is', () => {
  const routes = registeredRoutes(createAdminRouter({ config: testConfig(), agent: new FakeAgent() }));
  assert.ok(routes.length >= 20, `found ${routes.length} routes`);
  assert.deepEqual(routes, documentedRoutes());
});

test('every $ref in the document resolves', () => {
  const doc = openApiDocument('http://hubwarden.test');
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(schemas|responses)\/(\w+)"/g)];
  assert.ok(refs.length > 10);
  for (const [, kind, name] of refs) assert.ok((doc.components as Record<string, Record<string, unknown>>)[kind][name], `${kind}/${name} is defined`);
  assert.equal(doc.servers[0].url, 'http://hubwarden.test/api/v1');
});
