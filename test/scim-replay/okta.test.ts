import assert from 'node:assert/strict';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { SCIM_LABEL_PURPOSE, scimTokenLabel } from '../../scim-server/scim/auth.ts';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimTestApp } from '../../scim-server/scim/test-app.ts';
import { suiteStores } from '../suite-stores.ts';
import { OutboxReader } from './outbox-reader.ts';
import { OKTA, USER, GROUP, PATCH } from './replay-names.ts';

/**
 * Okta's documented request sequences (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/), replayed over HTTP: the
 * responses Okta needs, the desired state stored, and the explicit deltas in the outbox.
 */
const HUB = 'okta-hub';

for (const kind of await suiteStores('memory', 'postgres')) describe(`Okta replay (${kind.kind})`, { skip: kind.skip }, () => {
  let app: ScimTestApp;
  let outbox: OutboxReader;
  let dispose: () => Promise<void>;
  const call = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, OKTA);
  const ids: Record<string, string> = {};

  before(async () => {
    const opened = await kind.open();
    dispose = opened.dispose;
    app = await startScimApp({ store: opened.store, hubs: [{ id: HUB, identityProvider: 'okta' }] });
    outbox = new OutboxReader(app, HUB);
  });
  after(async () => {
    await app.close();
    await dispose();
  });

  const oktaUser = (login: string, given: string) => ({
    schemas: [USER], userName: login, name: { givenName: given, familyName: 'User' },
    emails: [{ primary: true, value: login, type: 'work' }], displayName: `${given} User`, locale: 'en-US',
    externalId: `00u${given}`, groups: [], password: 'Okta-always-sends-1', active: true,
  });

  test('create user: lookup by userName (empty list, integers), then POST → 201 with the user', async () => {
    const lookup = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "test.user@okta.local"')}&startIndex=1&count=100`);
    assert.equal(lookup.status, 200);
    assert.deepEqual(lookup.body, { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    const created = await call('POST', '/Users', oktaUser('test.user@okta.local', 'Test'));
    assert.equal(created.status, 201);
    assert.equal(created.body.userName, 'test.user@okta.local');
    assert.equal(created.body.active, true);
    assert.ok(!('password' in created.body) && !('groups' in created.body));
    ids.test = created.body.id;
    const stored = (await app.store.get('directoryUsers', HUB, ids.test))!;
    assert.deepEqual([stored.userName, stored.email, stored.externalId, stored.active], ['test.user@okta.local', 'test.user@okta.local', '00uTest', true]);
    assert.ok(!JSON.stringify(stored).includes('Okta-always-sends-1'));
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-created', userId: ids.test }]]);
    // Who: the credential that authenticated (a prefix of its SHA-256), not the user agent the caller claims (kept beside it).
    const tokenHash = scimTokenLabel(Keyring.loadSync(app.config.pathOf(app.config.file.secrets.keyFile)).derive(SCIM_LABEL_PURPOSE), app.token(HUB)).slice('scim-token:'.length);
    assert.deepEqual((await outbox.triggers())[0], { type: 'scim', idp: 'okta', actor: `scim-token:${tokenHash}`, detail: 'user-agent: Okta SCIM Client 1.0.0' });
    // A second POST of the same login (any case) is a 409 that Okta shows, and records nothing.
    assert.equal((await call('POST', '/Users', oktaUser('TEST.USER@okta.local', 'Test'))).status, 409);
    assert.deepEqual(await outbox.next(), []);
  });

  test('profile update: GET, merge, PUT the full object back → 200; only real changes become a delta', async () => {
    const current = (await call('GET', `/Users/${ids.test}`)).body;
    const merged = { ...current, name: { ...current.name, familyName: 'Renamed' }, groups: [], password: 'again', emails: [{ ...current.emails[0], display: 'Work' }] };
    const put = await call('PUT', `/Users/${ids.test}`, merged);
    assert.equal(put.status, 200);
    assert.equal(put.body.name.familyName, 'Renamed');
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: ids.test, attributes: ['emails', 'name'] }]]);
    const again = await call('PUT', `/Users/${ids.test}`, { ...merged, meta: put.body.meta });
    assert.equal(again.status, 200);
    assert.deepEqual(await outbox.next(), [], 'a PUT that changes nothing records nothing');
  });

  test('deactivate (OIN PATCH without path) and reactivate; the user stays readable and filterable', async () => {
    const off = await call('PATCH', `/Users/${ids.test}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    assert.equal(off.status, 200, 'Okta gets the user back');
    assert.equal(off.body.active, false);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: ids.test }]]);
    assert.equal((await app.store.get('directoryUsers', HUB, ids.test))!.active, false);
    const found = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "test.user@okta.local"')}&startIndex=1&count=100`);
    assert.equal(found.body.totalResults, 1);
    assert.equal(found.body.Resources[0].active, false);
    // AIW apps deactivate with a PUT; reactivation the same way.
    const on = await call('PUT', `/Users/${ids.test}`, { ...found.body.Resources[0], active: true });
    assert.equal(on.body.active, true);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-activated', userId: ids.test }]]);
  });

  test('re-assigning a deprovisioned user (OIN): found by userName while inactive, PATCH active true → 200 and activated; sent again → 200, nothing written', async () => {
    const id = (await call('POST', '/Users', oktaUser('rehire@okta.local', 'Rehire'))).body.id;
    await call('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    await outbox.next();
    const lookup = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "rehire@okta.local"')}&startIndex=1&count=100`);
    assert.deepEqual(lookup.body.Resources.map((r: any) => [r.id, r.active]), [[id, false]], 'Okta links to the user instead of POSTing again');
    // The second time as Okta's SPEC test names itself: it too gets the user back.
    for (const agent of ['Okta SCIM Client 1.0.0', 'OKTA SCIM Integration']) {
      const on = await scimRequest(app, HUB, 'PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] }, { 'user-agent': agent });
      assert.deepEqual([on.status, on.body.id, on.body.active], [200, id, true]);
    }
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-activated', userId: id }]], 'activated once; the repeat records nothing');
  });

  test('active omitted: a POST makes the user active; a PUT without it keeps the current state (never a silent deactivation or reactivation)', async () => {
    const { active: _omitted, ...body } = oktaUser('noactive@okta.local', 'Noactive');
    const created = await call('POST', '/Users', body);
    assert.deepEqual([created.status, created.body.active], [201, true]);
    const id = created.body.id;
    await outbox.next();
    const put = await call('PUT', `/Users/${id}`, { ...body, displayName: 'Still Active' });
    assert.deepEqual([put.status, put.body.active], [200, true]);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['displayName'] }]]);
    await call('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    await outbox.next();
    const again = await call('PUT', `/Users/${id}`, { ...body, displayName: 'Still Inactive' });
    assert.deepEqual([again.status, again.body.active], [200, false]);
    assert.equal((await app.store.get('directoryUsers', HUB, id))!.active, false);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['displayName'] }]]);
    // Nor does a null, or a PATCH that removes the attribute, change it either way.
    assert.equal((await call('PUT', `/Users/${id}`, { ...body, displayName: 'Still Inactive', active: null })).body.active, false);
    await call('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
    await outbox.next();
    for (const op of [{ op: 'remove', path: 'active' }, { op: 'replace', path: 'active', value: null }]) {
      const reply = await call('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [op] });
      assert.deepEqual([reply.status, reply.body.active], [200, true], JSON.stringify(op));
    }
    assert.deepEqual(await outbox.next(), [], 'nothing recorded');
  });

  test('push groups: create, lookup, rename with id in value, membership remove+add, full replace, PUT, delete', async () => {
    for (const [key, given] of [['ann', 'Ann'], ['bob', 'Bob'], ['cy', 'Cy']] as const) {
      ids[key] = (await call('POST', '/Users', oktaUser(`${key}@okta.local`, given))).body.id;
    }
    await outbox.next();
    const created = await call('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Advertisers', members: [] });
    assert.equal(created.status, 201);
    const gid = created.body.id;
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-created', groupId: gid, displayName: 'Meta Advertisers', members: [] }]]);
    const lookup = await call('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Meta Advertisers"')}&startIndex=1&count=100`);
    assert.deepEqual(lookup.body.Resources.map((g: any) => g.id), [gid]);

    const add = await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [
      { op: 'replace', value: { id: gid, displayName: 'Meta Advertisers' } },
      { op: 'add', path: 'members', value: [{ value: ids.ann, display: 'ann@okta.local' }, { value: ids.bob, display: 'bob@okta.local' }] },
    ] });
    assert.equal(add.status, 200);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Advertisers', added: [ids.ann, ids.bob], removed: [] }]]);

    const rename = await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Meta Ads' } }] });
    assert.equal(rename.body.displayName, 'Meta Ads');
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-renamed', groupId: gid, from: 'Meta Advertisers', to: 'Meta Ads', members: [ids.ann, ids.bob] }]]);

    await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [
      { op: 'replace', value: { id: gid, displayName: 'Meta Ads' } },
      { op: 'remove', path: `members[value eq "${ids.ann}"]` },
      { op: 'add', path: 'members', value: [{ value: ids.cy, display: 'cy@okta.local' }] },
    ] });
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Ads', added: [ids.cy], removed: [ids.ann] }]]);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [ids.bob, ids.cy]);

    await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'members', value: [{ value: ids.ann }, { value: ids.cy }] }] });
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Ads', added: [ids.ann], removed: [ids.bob] }]]);

    const put = await call('PUT', `/Groups/${gid}`, { schemas: [GROUP], id: gid, displayName: 'Meta Ads', members: [{ value: ids.bob }] });
    assert.equal(put.status, 200);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Ads', added: [ids.bob], removed: [ids.ann, ids.cy] }]]);

    assert.equal((await call('DELETE', `/Groups/${gid}`)).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-deleted', groupId: gid, displayName: 'Meta Ads', members: [ids.bob] }]]);
    assert.equal((await call('GET', `/Groups/${gid}`)).status, 404);
  });

  test('full push with no members left: replace members [] (by path, or path-less beside id and displayName) empties the group; add with type and display', async () => {
    const u: string[] = [];
    for (const [key, given] of [['dee', 'Dee'], ['eve', 'Eve'], ['fay', 'Fay']] as const) u.push((await call('POST', '/Users', oktaUser(`${key}@okta.local`, given))).body.id);
    const gid = (await call('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Pushed', members: [] })).body.id;
    await outbox.next();
    const added = await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [
      { op: 'replace', value: { id: gid, displayName: 'Meta Pushed' } },
      { op: 'add', path: 'members', value: u.map((value, i) => ({ value, display: `${['dee', 'eve', 'fay'][i]}@okta.local`, type: 'User' })) },
    ] });
    assert.equal(added.status, 200);
    assert.equal(added.body.id, gid);
    assert.ok(!('members' in added.body), 'members are left out of the reply');
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Pushed', added: u, removed: [] }]]);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members, u.map((value, i) => ({ value, display: `${['dee', 'eve', 'fay'][i]}@okta.local` })));

    const emptied = await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'members', value: [] }] });
    assert.equal(emptied.status, 200);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members, []);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Pushed', added: [], removed: u }]]);

    await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: u[0] }, { value: u[1] }] }] });
    await outbox.next();
    const pathless = await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Meta Pushed', members: [] } }] });
    assert.equal(pathless.status, 200);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members, []);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Pushed', added: [], removed: [u[0], u[1]] }]]);
    // As Okta sends it in the wild (jelhub/scimgateway#111): no `schemas`, `members` first.
    await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: u[2] }] }] });
    await outbox.next();
    const bare = await call('PATCH', `/Groups/${gid}`, { Operations: [{ op: 'replace', value: { members: [], id: gid, displayName: 'Meta Pushed' } }] });
    assert.equal(bare.status, 200);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Pushed', added: [], removed: [u[2]] }]]);
  });

  test('AIW apps: PUT with active:false deactivates (membership kept); PUT of the group with typed members sets exactly those', async () => {
    const uid = (await call('POST', '/Users', oktaUser('gus@okta.local', 'Gus'))).body.id;
    const other = (await call('POST', '/Users', oktaUser('hal@okta.local', 'Hal'))).body.id;
    const gid = (await call('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta AIW', members: [{ value: uid }] })).body.id;
    await outbox.next();
    const current = (await call('GET', `/Users/${uid}`)).body;
    const off = await call('PUT', `/Users/${uid}`, { ...current, active: false, groups: [], password: 'Okta-always-sends-1' });
    assert.equal(off.status, 200);
    assert.equal(off.body.active, false);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: uid }]], 'only the deactivation: nothing else in the profile changed');
    const stored = (await app.store.get('directoryUsers', HUB, uid))!;
    assert.deepEqual([stored.active, stored.userName, stored.externalId, (stored.scim.name as any).givenName], [false, 'gus@okta.local', '00uGus', 'Gus']);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [uid]);

    const put = await call('PUT', `/Groups/${gid}`, { schemas: [GROUP], id: gid, displayName: 'Meta AIW', members: [{ value: other, display: 'hal@okta.local', type: 'User' }] });
    assert.equal(put.status, 200);
    // Okta "doesn't require the list of users to be returned" (groups.ts replaceGroup).
    assert.deepEqual([put.body.id, put.body.displayName, 'members' in put.body], [gid, 'Meta AIW', false]);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members, [{ value: other, display: 'hal@okta.local' }]);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta AIW', added: [other], removed: [uid] }]]);
  });

  test('import paging: startIndex += 100 walks every user once', async () => {
    for (let i = 0; i < 205; i++) await call('POST', '/Users', oktaUser(`bulk${i}@okta.local`, `Bulk${i}`));
    const seen = new Set<string>();
    let total = Infinity;
    for (let start = 1; start <= total; start += 100) {
      const page = (await call('GET', `/Users?startIndex=${start}&count=100`)).body;
      total = page.totalResults;
      for (const u of page.Resources) seen.add(u.id);
    }
    assert.equal(total, 216);
    assert.equal(seen.size, 216);
    // Groups are imported the same way.
    const groups = (await call('GET', '/Groups?startIndex=1&count=100')).body;
    assert.deepEqual([groups.totalResults, groups.startIndex, groups.itemsPerPage], [2, 1, 2]);
    assert.deepEqual(groups.Resources.map((g: any) => g.displayName).sort(), ['Meta AIW', 'Meta Pushed']);
  });
});
