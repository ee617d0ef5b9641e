/**
 * The revocation marks a SCIM deprovisioning writes (scim-leavers.ts) are pruned once expired
 * without anyone signing in to the dashboard: a deployment that uses SCIM and the admin API only
 * kept a mark for every person it ever deprovisioned.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { createApp } from '../app.ts';
import { composeHubwarden } from '../compose.ts';
import { SIGN_IN_MARK_TTL_MS } from './session-revocation.ts';
import { testKeyring } from '../../test/test-keyring.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-leaver-marks-0123456789', SCIM_TOKEN: 'scim-token-leaver-marks-0123456789' };
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const config = parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN]
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_TOKEN] }
`, '/tmp/hubwarden-leaver-marks/hubwarden.yaml', ENV);

async function withServer(run: (scim: (method: string, path: string, body?: unknown) => Promise<Record<string, unknown> | undefined>, store: MemoryStore) => Promise<void>) {
  const store = new MemoryStore();
  const hubwarden = composeHubwarden({ config, store, auditFile: false, keyring: testKeyring() });
  const server = createApp({ store, routers: hubwarden.routers }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/hubs/hub-a`;
  try {
    await run(async (method, path, body) => {
      const res = await fetch(`${url}${path}`, {
        method, headers: { authorization: `Bearer ${ENV.SCIM_TOKEN}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return res.status === 204 ? undefined : (await res.json()) as Record<string, unknown>;
    }, store);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await hubwarden.stop(0);
  }
}

const createUser = async (scim: (m: string, p: string, b?: unknown) => Promise<Record<string, unknown> | undefined>, login: string) => (await scim('POST', '/Users', {
  schemas: [USER], userName: login, externalId: `00u-${login.split('@')[0]}`, active: true, name: { givenName: 'A', familyName: 'B' },
  emails: [{ primary: true, type: 'work', value: login }],
}))!.id as string;

/** A mark of an earlier deprovisioning, `ageMs` old. */
const seedMark = (store: MemoryStore, id: string, ageMs: number) => store.transact((tx) => tx.put('dashboardSignInMarks', '', id, { id, revokedAt: Date.now() - ageMs }));
const markIds = async (store: MemoryStore) => (await collect(store.list('dashboardSignInMarks', ''))).map((m) => m.id).sort();

describe('revocation marks of SCIM deprovisionings', () => {
  test('a deactivation prunes the marks past their life, with no dashboard sign-in; live marks stay', async () => {
    await withServer(async (scim, store) => {
      const jane = await createUser(scim, 'jane@acme.example');
      await seedMark(store, 'email:old@acme.example', SIGN_IN_MARK_TTL_MS + 60_000);
      await seedMark(store, 'email:recent@acme.example', 60_000);
      await scim('PATCH', `/Users/${jane}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.deepEqual(await markIds(store), ['email:jane@acme.example', 'email:recent@acme.example', 'id:00u-jane']);
    });
  });

  test('a DELETE prunes them too', async () => {
    await withServer(async (scim, store) => {
      const bo = await createUser(scim, 'bo@acme.example');
      await seedMark(store, 'id:00u-old', SIGN_IN_MARK_TTL_MS + 60_000);
      await scim('DELETE', `/Users/${bo}`);
      assert.deepEqual(await markIds(store), ['email:bo@acme.example', 'id:00u-bo']);
    });
  });
});
