/**
 * A person Okta deactivates over SCIM (PATCH active=false) while in a mapped group and holding no
 * seat or invite yet is written `removed`; reactivated (PATCH active=true), they are written what
 * anyone without a seat is (`pending`), not left `removed`: Okta group rules, Entra dynamic groups
 * and reports read the attribute (docs/writeback.md). Hubwarden as `npm start` wires it
 * (composeHubwarden: the SCIM server on the store), with write-back to the Okta emulator through
 * the real okta-sdk-nodejs. The agent is not started: no invite is sent, the window in which the
 * person is wanted and holds nothing. The requests are Okta's
 * (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { parseConfig } from '../../config/load.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden, type Hubwarden } from '../../scim-server/compose.ts';
import type { Store } from '../../agent/store/store.ts';
import { createWriteback, type Writeback } from '../../agent/writeback/writeback.ts';
import { childLogger } from '../../agent/log/logger.ts';
import { createOktaEmulator, type OktaEmulator } from '../emulators/okta/okta-emulator.ts';
import { suiteStores } from '../suite-stores.ts';
import { testKeyring } from '../test-keyring.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-reactivated-0123456789', SCIM_TOKEN: 'scim-token-reactivated-0123456789', OKTA_TOKEN: 'okta-token-reactivated-never-logged' };
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const HUB_EXT = 'urn:hubwarden:params:scim:schemas:extension:hub:2.0:User';
const HUB = 'hub-a';
const STATUS = 'hubwarden_hub_a_status';
const JANE = '00ujane0000000000001';
const RAJ = '00uraj00000000000001';

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`a person deactivated and reactivated over SCIM, holding no seat (${kind.kind})`, { skip: kind.skip }, () => {
    let okta: OktaEmulator;
    let closeOkta: () => Promise<void>;
    let store: Store;
    let dispose: () => Promise<void>;
    let hubwarden: Hubwarden;
    let server: Server;
    let scimUrl: string;
    let writeback: Writeback;

    before(async () => {
      okta = createOktaEmulator({ token: ENV.OKTA_TOKEN, editDeactivatedUserProfiles: true, users: [{ id: JANE, login: 'jane@acme.example' }, { id: RAJ, login: 'raj@acme.example' }] });
      const listening = await okta.listen();
      closeOkta = listening.close;
      const config = parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN]
identityProviders:
  okta: { kind: okta, orgUrl: "${listening.url}", token: env:OKTA_TOKEN }
hubs:
  - id: ${HUB}
    connector: meta-business
    identityProvider: okta
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_TOKEN] }
    teams:
      - group: Meta Advertisers
        appRole: EMPLOYEE
`, '/tmp/hubwarden-reactivated-standing/hubwarden.yaml', ENV);
      ({ store, dispose } = await kind.open());
      hubwarden = composeHubwarden({ config, store, auditFile: false, keyring: testKeyring() });
      server = createApp({ store, routers: hubwarden.routers }).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      scimUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/hubs/${HUB}`;
      writeback = createWriteback({ config, store, log: childLogger('writeback-e2e') });
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await hubwarden.stop(0);
      await dispose();
      await closeOkta();
    });

    const scim = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${scimUrl}${path}`, {
        method, headers: { authorization: `Bearer ${ENV.SCIM_TOKEN}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return res.status === 204 ? undefined : (await res.json()) as Record<string, any>;
    };
    const createUser = async (login: string, externalId: string) => (await scim('POST', '/Users', {
      schemas: [USER], userName: login, externalId, active: true, name: { givenName: 'A', familyName: 'B' }, emails: [{ primary: true, type: 'work', value: login }],
    }))!.id as string;
    const setActive = (id: string, active: boolean) => scim('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
    /** One write-back run: the status each Okta update sent, by Okta user id. */
    const writeBack = async () => {
      okta.control.clearCalls();
      const report = await writeback.run(HUB);
      assert.equal(report.failed, 0, JSON.stringify(report.problems));
      return okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/'))
        .map((c) => [c.path.slice('/api/v1/users/'.length), (c.body as { profile: Record<string, unknown> }).profile[STATUS]]).sort();
    };
    const written = async (id: string) => (await store.get('writebackState', HUB, id))?.written?.status;

    let jane: string;
    let raj: string;
    let group: string;

    test('in the mapped group, no seat or invite yet: pending', async () => {
      jane = await createUser('jane@acme.example', JANE);
      raj = await createUser('raj@acme.example', RAJ);
      group = (await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Advertisers', members: [{ value: jane }, { value: raj }] }))!.id as string;
      assert.deepEqual(await writeBack(), [[JANE, 'pending'], [RAJ, 'pending']]);
    });

    test('deactivated: removed; reactivated: pending again, and nothing sent once it is', async () => {
      await setActive(jane, false);
      assert.deepEqual(await writeBack(), [[JANE, 'removed']]);
      assert.equal(await written(jane), 'removed');

      await setActive(jane, true);
      assert.equal((await scim('GET', `/Users/${jane}`))![HUB_EXT].status, 'not_in_hub', 'the SCIM extension: no seat');
      assert.deepEqual(await writeBack(), [[JANE, 'pending']], 'reactivated, holding no seat: told pending, as before the deactivation');
      assert.equal(await written(jane), 'pending');
      assert.equal(okta.state().users.find((u) => u.id === JANE)!.profile[STATUS], 'pending');
      assert.deepEqual(await writeBack(), [], 'no call when nothing changed');
    });

    test('taken out of the mapped group while deactivated, then reactivated: pending, not removed', async () => {
      await setActive(raj, false);
      await scim('PATCH', `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${raj}"]` }] });
      assert.deepEqual(await writeBack(), [[RAJ, 'removed']]);
      await setActive(raj, true);
      assert.deepEqual(await writeBack(), [[RAJ, 'pending']]);
      assert.deepEqual(await writeBack(), []);
    });
  });
}
