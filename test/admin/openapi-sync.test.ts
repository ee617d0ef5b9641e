/**
 * The served OpenAPI document against the routes: every route the admin router registers is
 * documented with its path parameters, and nothing else is; the parameters and request bodies
 * are the zod schemas the routes validate with; and the real agent's answers (a running
 * hubwarden after a check for updates on the Meta sandbox) parse with the strict schema that
 * the served document names for each response, so a field the API sends without documenting it
 * fails here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Router } from 'express';
import { z } from 'zod';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { openApiDocument, type OpenApiDocument, type OpenApiOperation } from '../../scim-server/admin/openapi.ts';
import { MEMBER_STATUSES, membersQuery, auditQuery, matchBody } from '../../scim-server/admin/request-schemas.ts';
import { componentsByName } from '../../scim-server/admin/response-schemas.ts';
import { ADMIN_TOKEN, HUB, startDashboardWorld, type DashboardWorld } from '../browser/dashboard-world.ts';
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

const operations = (doc: OpenApiDocument) =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op: op as OpenApiOperation })));

describe('the served OpenAPI document and the routes', () => {
  let world: DashboardWorld;
  let served: OpenApiDocument;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${world.url}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() as unknown };
  };

  before(async () => {
    world = await startDashboardWorld();
    served = await (await fetch(`${world.url}/api/v1/openapi.json`)).json() as OpenApiDocument;
    const check = await world.agent.api.checkForUpdates(HUB, { type: 'schedule', detail: 'openapi sync' });
    for (const end = Date.now() + 20_000; (await world.agent.api.task(check.id))?.status !== 'completed';) {
      if (Date.now() > end) throw new Error('the check for updates did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(() => world?.close());

  test('the served document is the generated one, for this server', () => {
    assert.deepEqual(served, JSON.parse(JSON.stringify(openApiDocument(world.config.file.server.publicUrl))));
    assert.equal(served.servers[0].url, `${world.url}/api/v1`);
  });

  test('every registered admin route is documented with its path parameters, and nothing else is', () => {
    const routes = registeredRoutes(createAdminRouter({ config: testConfig(), agent: new FakeAgent() }));
    assert.ok(routes.length >= 20, `found ${routes.length} routes`);
    assert.deepEqual(operations(served).map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort(), routes);
    for (const { path, op } of operations(served)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      assert.deepEqual((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name), inPath, `${op.operationId}: path parameters`);
    }
  });

  test('parameters and request bodies are the zod schemas the routes validate with', () => {
    const listMembers = served.paths['/hubs/{hubId}/members'].get!;
    assert.deepEqual(listMembers.parameters!.filter((p) => p.in === 'query').map((p) => p.name), Object.keys(membersQuery.shape));
    assert.deepEqual(served.paths['/audit'].get!.parameters!.map((p) => p.name), Object.keys(auditQuery.shape));
    const limit = listMembers.parameters!.find((p) => p.name === 'limit')!.schema;
    assert.deepEqual([limit.minimum, limit.maximum], [1, 500], 'the same bounds the route enforces');
    const match = served.paths['/hubs/{hubId}/members/{memberId}/match'].post!.requestBody!.content['application/json'].schema;
    assert.deepEqual(match.required, ['directoryUserId']);
    assert.equal(match.additionalProperties, false, 'strict, as matchBody is');
    assert.deepEqual(Object.keys(match.properties as object), Object.keys(matchBody.shape));
    assert.ok(served.paths['/audit'].get!.responses['200'].content!['text/csv'], 'the CSV answer is documented');
    const refs = [...JSON.stringify(served).matchAll(/"\$ref":"#\/components\/(schemas|responses)\/(\w+)"/g)];
    assert.ok(refs.length > 10);
    for (const [, kind, name] of refs) assert.ok((served.components as Record<string, Record<string, unknown>>)[kind][name], `${kind}/${name} is defined`);
  });

  /** Parses an answer with the zod schema the served document names for that status. */
  function conforms(op: OpenApiOperation, status: number, body: unknown): void {
    const response = op.responses[String(status)];
    assert.ok(response, `${op.operationId}: HTTP ${status} is documented (${JSON.stringify(body).slice(0, 300)})`);
    const ref = (response.content?.['application/json']?.schema.$ref ?? (response as { $ref?: string }).$ref) as string;
    const name = ref.replace(/^#\/components\/(schemas|responses)\//, '');
    const schema = componentsByName.get(name === 'BadRequest' || name === 'NotFound' || name === 'Conflict' ? 'Problem' : name);
    assert.ok(schema, `${op.operationId}: ${name} is a generated component`);
    const result = schema.safeParse(body);
    assert.ok(result.success, `${op.operationId} ${status}: ${result.success ? '' : z.prettifyError(result.error)}`);
  }

  test('the real agent\'s answers match the documented schemas, route by route', async () => {
    const hub = served.paths;
    const member = (await world.agent.api.members(HUB, { status: 'onboarded', limit: 1 })).items[0];
    const partner = (await world.agent.api.members(HUB, { status: 'guest', limit: 10 })).items.find((m) => m.kind === 'partner-user');
    assert.ok(partner?.partnerBusinessName, 'a partner guest with its business name is among the answers');
    const calls: Array<[OpenApiOperation, string, string, unknown?]> = [
      [hub['/hubs'].get!, 'GET', '/hubs'],
      [hub['/hubs/{hubId}'].get!, 'GET', `/hubs/${HUB}`],
      ...(MEMBER_STATUSES).map((s): [OpenApiOperation, string, string] => [hub['/hubs/{hubId}/members'].get!, 'GET', `/hubs/${HUB}/members?status=${s}`]),
      [hub['/hubs/{hubId}/members/{memberId}'].get!, 'GET', `/hubs/${HUB}/members/${encodeURIComponent(partner.id)}`],
      [hub['/hubs/{hubId}/plan'].get!, 'GET', `/hubs/${HUB}/plan`],
      [hub['/hubs/{hubId}/members/{memberId}/exempt'].post!, 'POST', `/hubs/${HUB}/members/${member.id}/exempt`, { reason: 'openapi sync', until: '2030-01-01' }],
      [hub['/hubs/{hubId}/members/{memberId}/unexempt'].post!, 'POST', `/hubs/${HUB}/members/${member.id}/unexempt`, {}],
      [hub['/hubs/{hubId}/check-for-updates'].post!, 'POST', `/hubs/${HUB}/check-for-updates`, {}],
      [hub['/people/{email}/reevaluate'].post!, 'POST', '/people/ada.lovelace%40sandbox.example/reevaluate', {}],
      [hub['/tasks'].get!, 'GET', '/tasks?limit=500'],
      [hub['/reports'].get!, 'GET', '/reports'],
      [hub['/approvals'].get!, 'GET', '/approvals'],
      [hub['/audit'].get!, 'GET', '/audit?limit=500'],
      [hub['/hubs/{hubId}/members'].get!, 'GET', '/hubs/nope/members'],
      [hub['/audit'].get!, 'GET', '/audit?limit=501'],
    ];
    for (const [op, method, path, body] of calls) {
      const res = await api(method, path, body);
      conforms(op, res.status, res.body);
    }
    const tasks = (await api('GET', '/tasks?limit=500')).body as { items: Array<{ id: string }> };
    assert.ok(tasks.items.length > 5);
    for (const t of tasks.items.slice(0, 20)) conforms(hub['/tasks/{id}'].get!, 200, (await api('GET', `/tasks/${t.id}`)).body);
  });
});
