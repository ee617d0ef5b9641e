/**
 * A SCIM deprovisioning (Okta's or Entra's deactivation, Entra's DELETE) ends the person's
 * dashboard sessions, and a push that takes someone out of an allowed group withdraws the
 * administrator rights it gave their sessions, on the server as `npm start` composes it
 * (composeHubwarden). The requests are those the IdPs send
 * (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/,
 * https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { collect, type Store } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { SCIM_LABEL_PURPOSE, scimTokenLabel } from '../scim/auth.ts';
import { createApp } from '../app.ts';
import { composeHubwarden, type Hubwarden } from '../compose.ts';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { SessionStore, SignInRevoked, type SessionHolder } from './session-store.ts';
import { testKeyring } from '../../test/test-keyring.ts';

/** The servers' key: the SCIM client's label below is made with it, as they make it. */
const keyring = testKeyring();

const ENV = { ADMIN_TOKEN: 'admin-token-scim-leavers-0123456789', SCIM_TOKEN: 'scim-token-scim-leavers-0123456789', OIDC_SECRET: 'oidc-secret' };
const OKTA = 'Okta SCIM Client 1.0.0';
const ENTRA = 'Microsoft.Identity.AccountProvisioning';
const ENTRA_ADMINS = '6f1c3f0e-4a4b-4c1e-9d0e-2b7e1d2c3a4b';
/** An allowed group configured precomposed (U+00E9); the IdP below sends it decomposed ("e" + U+0301). */
const CAFE_ADMINS = 'Caf\u00e9 Admins';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * The SCIM push is answered by replica A; the sessions live on (and are read through) replica B,
 * the dashboard a person would use: on PostgreSQL, two stores on one schema.
 */
function suite(name: string, replicas: () => Promise<[Store, Store]>, opts: { skip?: string | false } = {}) {
  describe(name, { skip: opts.skip ?? false }, () => {
    const config = parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN]
  oidc: { issuer: "https://idp.acme.example", clientId: hubwarden, clientSecret: env:OIDC_SECRET, allowedGroups: [Hubwarden Admins, Hubwarden Owners, "${ENTRA_ADMINS}", "${CAFE_ADMINS}"] }
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_TOKEN] }
  `, '/tmp/hubwarden-scim-leavers/hubwarden.yaml', ENV);
    const client = scimTokenLabel(keyring.derive(SCIM_LABEL_PURPOSE), ENV.SCIM_TOKEN);
    const running: Array<{ hubwarden: Hubwarden; server: Server }> = [];
    let scimUrl: string;
    let dashboardUrl: string;
    let store: Store;
    let sessions: SessionStore;

    before(async () => {
      const [a, b] = await replicas();
      const urls: string[] = [];
      for (const s of [a, b]) {
        const hubwarden = composeHubwarden({ config, store: s, auditFile: false, keyring });
        const server = createApp({ store: s, routers: hubwarden.routers }).listen(0, '127.0.0.1');
        await new Promise((r) => server.once('listening', r));
        running.push({ hubwarden, server });
        urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      }
      [scimUrl, dashboardUrl] = urls as [string, string];
      store = b;
      sessions = new SessionStore(b);
    });
    after(async () => {
      for (const { hubwarden, server } of running) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await hubwarden.stop(0);
      }
    });

    const scim = async (method: string, path: string, body: unknown, agent = OKTA) => {
      const res = await fetch(`${scimUrl}/scim/v2/hubs/hub-a${path}`, {
        method, headers: { authorization: `Bearer ${ENV.SCIM_TOKEN}`, 'content-type': 'application/scim+json', 'user-agent': agent },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return res.status === 204 ? undefined : (await res.json()) as Record<string, unknown>;
    };
    const createUser = async (login: string, externalId: string) => (await scim('POST', '/Users', {
      schemas: [USER], userName: login, externalId, active: true, name: { givenName: 'A', familyName: 'B' },
      emails: [{ primary: true, type: 'work', value: login }],
    }))!.id as string;
    const createGroup = async (displayName: string, members: string[], externalId?: string) => (await scim('POST', '/Groups', {
      schemas: [GROUP], displayName, ...(externalId ? { externalId } : {}), members: members.map((value) => ({ value })),
    }))!.id as string;
    const signIn = (email: string, sub: string, adminGroups: string[] = [], issuedAt?: number) => {
      const holder: SessionHolder = { admin: adminGroups.length > 0, email, idpUserIds: [sub], ...(adminGroups.length ? { adminGroups } : {}) };
      return sessions.create(email, 'oidc', holder, issuedAt === undefined ? {} : { issuedAt });
    };
    const alive = async (id: string) => (await sessions.get(id)) !== undefined;
    const audited = async (action: string, directoryUserId: string) =>
      (await collect(store.newestFirst('audit'))).filter((e) => e.action === action && e.subject?.directoryUserId === directoryUserId);
    /** What the session may see: an administrator the hub's directory, someone with no hub role not. */
    const directoryStatus = async (cookie: string) =>
      (await fetch(`${dashboardUrl}/ui/api/hubs/hub-a/directory-users`, { headers: { cookie: `hubwarden-session=${cookie}` } })).status;

    test('Okta PATCH active:false ends the person\'s sessions (by email and by Okta id), audited as the SCIM client; a reactivated person signs in again', async () => {
      const jane = await createUser('jane@acme.example', '00u-jane');
      const byEmail = await signIn('jane@acme.example', '00u-jane', ['Hubwarden Admins']);
      // A session whose email the IdP marked unverified records none: found by the Okta user id.
      const byId = await sessions.create('oidc:00u-jane', 'oidc', { admin: false, idpUserIds: ['00u-jane'] });
      const raj = await signIn('raj@acme.example', '00u-raj', ['Hubwarden Admins']);
      const started = Date.now() - 1000;

      await scim('PATCH', `/Users/${jane}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.equal(await alive(byEmail.id), false, 'her session by email ended');
      assert.equal(await alive(byId.id), false, 'her session by Okta id ended');
      assert.equal(await alive(raj.id), true, 'someone else keeps theirs');
      const [entry, ...more] = await audited('end-dashboard-sessions', jane);
      assert.equal(more.length, 0);
      assert.equal(entry?.trigger.type, 'scim');
      assert.equal(entry?.trigger.actor, client);
      assert.equal(entry?.hubId, 'hub-a');
      assert.equal(entry?.outcome, 'ok');
      assert.equal(entry?.subject?.email, 'jane@acme.example');
      assert.equal(entry?.detail?.sessions, 2);
      assert.match(entry!.why, /deactivated/);
      // A sign-in that began before the deactivation is refused (the revocation mark) ...
      await assert.rejects(signIn('jane@acme.example', '00u-jane', ['Hubwarden Admins'], started), SignInRevoked);

      // ... a repeat of the push changes nothing and audits nothing more ...
      await scim('PATCH', `/Users/${jane}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.equal((await audited('end-dashboard-sessions', jane)).length, 1);
      // ... and once reactivated, a sign-in begun after the deactivation is let in.
      await scim('PATCH', `/Users/${jane}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
      await sleep(5);
      const back = await signIn('jane@acme.example', '00u-jane', ['Hubwarden Admins'], Date.now());
      assert.equal(await alive(back.id), true);
    });

    test('Entra\'s Replace active "False", Okta\'s PUT active:false and Entra\'s DELETE each end the sessions', async () => {
      const ana = await createUser('ana@acme.example', 'f2a1e0d4-ana');
      const bo = await createUser('bo@acme.example', '00u-bo');
      const cy = await createUser('cy@acme.example', 'c3b2-cy');
      const [anaS, boS, cyS] = [await signIn('ana@acme.example', 'pairwise-ana'), await signIn('bo@acme.example', '00u-bo'), await signIn('cy@acme.example', 'pairwise-cy')];

      await scim('PATCH', `/Users/${ana}`, { Operations: [{ op: 'Replace', path: 'active', value: 'False' }], schemas: [PATCH_OP] }, ENTRA);
      assert.equal(await alive(anaS.id), false, 'Entra deactivation');
      const current = (await scim('GET', `/Users/${bo}`, undefined))!;
      await scim('PUT', `/Users/${bo}`, { ...current, active: false });
      assert.equal(await alive(boS.id), false, 'Okta AIW PUT');
      await scim('DELETE', `/Users/${cy}`, undefined, ENTRA);
      assert.equal(await alive(cyS.id), false, 'Entra hard delete');
      for (const id of [ana, bo, cy]) assert.equal((await audited('end-dashboard-sessions', id)).length, 1, id);
      assert.match((await audited('end-dashboard-sessions', cy))[0]!.why, /deleted/);
    });

    test('a deactivation that also renames the person (one Entra PATCH: the leaver process changed the UPN and mail) ends the sessions of the name they had', async () => {
      const dee = await createUser('dee@acme.example', 'e7d6-dee');
      // Entra's OIDC `sub` is pairwise: the session is known by its email only.
      const deeS = await signIn('dee@acme.example', 'pairwise-dee');
      await scim('PATCH', `/Users/${dee}`, {
        schemas: [PATCH_OP], Operations: [
          { op: 'Replace', path: 'userName', value: 'left-dee@acme.example' },
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'left-dee@acme.example' },
          { op: 'Replace', path: 'active', value: 'False' },
        ],
      }, ENTRA);
      assert.equal(await alive(deeS.id), false, 'her session under the name she had ended');
    });

    test('Okta taking someone out of a pushed allowed group withdraws the administrator rights it gave; another group changes nothing', async () => {
      const kim = await createUser('kim@acme.example', '00u-kim');
      const lee = await createUser('lee@acme.example', '00u-lee');
      const admins = await createGroup('Hubwarden Admins', [kim, lee]);
      const other = await createGroup('Marketing', [kim, lee]);
      const kimS = await signIn('kim@acme.example', '00u-kim', ['Hubwarden Admins']);
      const leeS = await signIn('lee@acme.example', '00u-lee', ['Hubwarden Admins']);
      const started = Date.now() - 1000;
      assert.equal(await directoryStatus(kimS.id), 200, 'an administrator by the group');

      await scim('PATCH', `/Groups/${other}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${kim}"]` }] });
      assert.equal(await directoryStatus(kimS.id), 200, 'leaving another group changes nothing');

      await scim('PATCH', `/Groups/${admins}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${kim}"]` }] });
      assert.equal(await alive(kimS.id), true, 'the session stays ...');
      assert.equal(await directoryStatus(kimS.id), 403, '... without the administrator rights');
      assert.equal(await directoryStatus(leeS.id), 200, 'who stays in the group keeps them');
      const [entry] = await audited('withdraw-dashboard-admin-group', kim);
      assert.equal(entry?.trigger.actor, client);
      assert.equal(entry?.hubId, 'hub-a');
      assert.equal(entry?.detail?.group, 'Hubwarden Admins');
      // A sign-in with a token from before the removal, still listing the group, is refused; one without it is let in.
      await assert.rejects(signIn('kim@acme.example', '00u-kim', ['Hubwarden Admins'], started), SignInRevoked);
      await signIn('kim@acme.example', '00u-kim', [], started);
    });

    test('an allowed group the IdP sends in another Unicode form: leaving it withdraws its rights; a push that only re-spells it withdraws nothing', async () => {
      const ida = await createUser('ida@acme.example', '00u-ida');
      const jon = await createUser('jon@acme.example', '00u-jon');
      const cafe = await createGroup('Cafe\u0301 Admins', [ida, jon]);
      // The sign-in records the allowed group as configured (oidc-sign-in.ts), whatever form the token had.
      const idaS = await signIn('ida@acme.example', '00u-ida', [CAFE_ADMINS]);
      const jonS = await signIn('jon@acme.example', '00u-jon', [CAFE_ADMINS]);
      assert.equal(await directoryStatus(idaS.id), 200);
      await scim('PATCH', `/Groups/${cafe}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: cafe, displayName: CAFE_ADMINS } }] });
      assert.equal(await directoryStatus(jonS.id), 200, 'the same name in another form is no rename');
      await scim('PATCH', `/Groups/${cafe}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: cafe, displayName: 'Cafe\u0301 Admins' } }] });
      await scim('PATCH', `/Groups/${cafe}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${ida}"]` }] });
      assert.equal(await directoryStatus(idaS.id), 403, 'who left the group lost its rights');
      assert.equal(await directoryStatus(jonS.id), 200, 'who stays keeps them');
      assert.equal((await audited('withdraw-dashboard-admin-group', ida))[0]?.detail?.group, CAFE_ADMINS);
    });

    test('renaming a group allowed by its name withdraws that name\'s rights from its members; one allowed by its id keeps them', async () => {
      const ned = await createUser('ned@acme.example', '00u-ned');
      const owners = await createGroup('Hubwarden Owners', [ned]);
      const nedS = await signIn('ned@acme.example', '00u-ned', ['Hubwarden Owners']);
      assert.equal(await directoryStatus(nedS.id), 200);
      // Okta pushes a rename as a PATCH replacing displayName (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/).
      await scim('PATCH', `/Groups/${owners}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: owners, displayName: 'Hubwarden Owners (retired)' } }] });
      assert.equal(await alive(nedS.id), true, 'the session stays ...');
      assert.equal(await directoryStatus(nedS.id), 403, '... without the rights of a name a sign-in no longer finds');
      const [entry] = await audited('withdraw-dashboard-admin-group', ned);
      assert.match(entry?.why ?? '', /renamed Hubwarden Owners \(retired\)/);

      const pia = await createUser('pia@acme.example', 'e-pia');
      const it = await createGroup('IT Admins (EU)', [pia], ENTRA_ADMINS);
      const piaS = await signIn('pia@acme.example', 'pairwise-pia', [ENTRA_ADMINS]);
      await scim('PATCH', `/Groups/${it}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'IT Admins (Europe)' }] }, ENTRA);
      assert.equal(await directoryStatus(piaS.id), 200, 'Entra lists the group by its object id, which a rename keeps');
    });

    test('Entra taking someone out of an allowed group (by its object id), and deleting one, withdraw the rights', async () => {
      const max = await createUser('max@acme.example', 'e-max');
      const ola = await createUser('ola@acme.example', 'e-ola');
      const admins = await createGroup('IT Admins', [max, ola], ENTRA_ADMINS);
      const maxS = await signIn('max@acme.example', 'pairwise-max', [ENTRA_ADMINS]);
      const olaS = await signIn('ola@acme.example', 'pairwise-ola', [ENTRA_ADMINS]);

      await scim('PATCH', `/Groups/${admins}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: max }] }] }, ENTRA);
      assert.equal(await directoryStatus(maxS.id), 403);
      assert.equal(await directoryStatus(olaS.id), 200);

      await scim('DELETE', `/Groups/${admins}`, undefined, ENTRA);
      assert.equal(await directoryStatus(olaS.id), 403);
      assert.equal((await audited('withdraw-dashboard-admin-group', ola)).length, 1);
    });
  });
}

suite('a SCIM deprovisioning ends the dashboard access it should', async () => {
  const store = new MemoryStore();
  await store.open();
  return [store, store];
});

const db = await postgresForTests();
const drops: Array<() => Promise<void>> = [];
const open: PostgresStore[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close()));
  await Promise.all(drops.map((d) => d()));
});
suite('a SCIM deprovisioning ends the dashboard access it should, across replicas on PostgreSQL', async () => {
  const { schema, drop } = testSchema(db.url, 'scim_leavers');
  drops.push(drop);
  const stores = [new PostgresStore({ url: db.url, schema, poolSize: 2 }), new PostgresStore({ url: db.url, schema, poolSize: 2 })];
  for (const s of stores) { await s.open(); open.push(s); }
  return [stores[0]!, stores[1]!];
}, { skip: db.skip });
