/**
 * Every status the admin API answers is one the served OpenAPI document lists for that operation,
 * with a body the document's Problem schema accepts: a connector builder (Okta Workflows' API
 * connector, a generated client) branches on the documented statuses only. Bodies too large,
 * of another media type, and a store that refuses writes for a while (503 with Retry-After, to
 * send the same request again) were answered but not documented.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { OpenApiDocument, OpenApiOperation } from '../../scim-server/admin/openapi.ts';
import { componentsByName } from '../../scim-server/admin/response-schemas.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { listeningAdminApi } from './admin-api-server.ts';
import { TEST_ENV } from './test-server.ts';

const auth = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` };

describe('admin API: the statuses answered are the documented ones', () => {
  const server = listeningAdminApi();
  const { agent } = server;

  /** The answer's status is documented for the operation, its body is a Problem, and the documented headers are sent. */
  async function documented(doc: OpenApiDocument, op: OpenApiOperation, res: Response): Promise<void> {
    const response = op.responses[String(res.status)] as { $ref?: string } | undefined;
    assert.ok(response, `${op.operationId}: HTTP ${res.status} is documented`);
    const name = response.$ref?.replace('#/components/responses/', '') ?? '';
    const shared = (doc.components.responses as Record<string, { content: Record<string, { schema: { $ref: string } }>; headers?: Record<string, unknown> }>)[name];
    assert.ok(shared, `${op.operationId} ${res.status}: a shared problem response (${name})`);
    assert.equal(shared.content['application/problem+json'].schema.$ref, '#/components/schemas/Problem');
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const parsed = componentsByName.get('Problem')!.safeParse(await res.json());
    assert.ok(parsed.success, parsed.success ? '' : z.prettifyError(parsed.error));
    for (const header of Object.keys(shared.headers ?? {})) assert.ok(res.headers.get(header), `${op.operationId} ${res.status}: ${header} is sent`);
  }

  test('413, 415 and a store refusing writes (503 with Retry-After) are documented where they are answered', async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json() as OpenApiDocument;
    const exempt = doc.paths['/hubs/{hubId}/members/{memberId}/exempt'].post!;
    const offboard = doc.paths['/people/{email}/offboard'].post!;
    const post = (path: string, body: string, type = 'application/json') => fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });

    await documented(doc, exempt, await post('/hubs/acme-ads/members/1001/exempt', JSON.stringify({ reason: 'x'.repeat(1024 * 1024 + 1) })));
    await documented(doc, exempt, await post('/hubs/acme-ads/members/1001/exempt', 'reason=x', 'application/x-www-form-urlencoded'));
    await documented(doc, offboard, await post('/people/jane%40example.com/offboard', '{}', 'text/plain'));

    const unavailable = () => { throw new StoreUnavailable('ENOSPC while appending to the journal', 7); };
    Object.assign(agent, { offboard: unavailable, exemptMember: unavailable, hubs: unavailable });
    const refused = await post('/people/jane%40example.com/offboard', '{}');
    assert.deepEqual([refused.status, refused.headers.get('retry-after')], [503, '7']);
    await documented(doc, offboard, refused);
    await documented(doc, exempt, await post('/hubs/acme-ads/members/1001/exempt', JSON.stringify({ reason: 'x' })));
    await documented(doc, doc.paths['/hubs'].get!, await fetch(`${server.url}/api/v1/hubs`, { headers: auth }));
  });
});
