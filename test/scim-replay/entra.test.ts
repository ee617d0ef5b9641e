import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimTestApp } from '../../scim-server/scim/test-app.ts';
import { suiteStores } from '../suite-stores.ts';
import { OutboxReader } from './outbox-reader.ts';
import { ENTRA, USER, ENTERPRISE, PATCH } from './replay-names.ts';

/**
 * Microsoft Entra's documented request sequences (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups), replayed over HTTP
 * with Entra's headers (application/scim+json even on GETs): responses, stored desired state and
 * outbox deltas.
 */
const HUB = 'entra-hub';

for (const kind of await suiteStores('memory', 'postgres')) describe(`Entra replay (${kind.kind})`, { skip: kind.skip }, () => {
  let app: ScimTestApp;
  let outbox: OutboxReader;
  let dispose: () => Promise<void>;
  const call = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, ENTRA);
  const patch = (path: string, ...Operations: unknown[]) => call('PATCH', path, { Operations, schemas: [PATCH] });
  const ids: Record<string, string> = {};

  before(async () => {
    const opened = await kind.open();
    dispose = opened.dispose;
    app = await startScimApp({ store: opened.store, hubs: [{ id: HUB, identityProvider: 'entra' }] });
    outbox = new OutboxReader(app, HUB);
  });
  after(async () => {
    await app.close();
    await dispose();
  });

  const entraUser = (upn: string, extra: Record<string, unknown> = {}) => ({
    schemas: [USER, ENTERPRISE], externalId: randomUUID(), userName: upn, active: true,
    emails: [{ primary: true, type: 'work', value: upn }], meta: { resourceType: 'User' },
    name: { formatted: 'Ryan Leenay', familyName: 'Leenay', givenName: 'Ryan' }, roles: [], ...extra,
  });

  test('test connection: random-GUID queries answer 200 with an empty ListResponse', async () => {
    const users = await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}"`)}`);
    assert.equal(users.status, 200);
    assert.deepEqual([users.body.totalResults, users.body.Resources], [0, []]);
    const groups = await call('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "nobody"')}`);
    assert.deepEqual([groups.status, groups.body.Resources], [200, []]);
    assert.deepEqual(await outbox.next(), []);
  });

  test('create: enterprise URN without extension object, nulls, the typo\'d URN; then found by externalId', async () => {
    const body = entraUser('ryan@contoso.example', { addresses: null, phoneNumbers: null, title: null, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User': { department: 'Ads', manager: null } });
    const created = await call('POST', '/Users', body);
    assert.equal(created.status, 201);
    ids.ryan = created.body.id;
    assert.ok(!('title' in created.body) && !('addresses' in created.body));
    assert.deepEqual(created.body[ENTERPRISE], { department: 'Ads' });
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-created', userId: ids.ryan }]]);
    const byExternalId = await call('GET', `/Users?filter=externalId eq ${body.externalId}`);
    assert.deepEqual(byExternalId.body.Resources.map((u: any) => u.id), [ids.ryan]);
    ids.mgr = (await call('POST', '/Users', entraUser('boss@contoso.example'))).body.id;
    await outbox.next();
  });

  test('capitalised ops, one per path → 204 and one user-updated delta', async () => {
    const reply = await patch(`/Users/${ids.ryan}`,
      { op: 'Replace', path: 'displayName', value: 'Ryan L.' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ryan.l@contoso.example' },
      { op: 'Replace', path: 'name.givenName', value: 'Ry' },
      { op: 'Add', path: 'nickName', value: 'Babs' },
      { op: 'Replace', path: 'externalId', value: 'a1b2c3d4-0000-4000-8000-000000000001' },
      { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: '1001' });
    assert.equal(reply.status, 204);
    const stored = (await app.store.get('directoryUsers', HUB, ids.ryan))!;
    assert.deepEqual([stored.displayName, stored.email, (stored.scim.name as any).givenName, stored.scim.nickName, stored.externalId], ['Ryan L.', 'ryan.l@contoso.example', 'Ry', 'Babs', 'a1b2c3d4-0000-4000-8000-000000000001']);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: ids.ryan, attributes: ['displayName', 'emails', 'externalId', 'name', 'nickName', `${ENTERPRISE}:employeeNumber`] }]]);
  });

  test('flagged shape: path-less Replace with dotted and URN keys', async () => {
    assert.equal((await patch(`/Users/${ids.ryan}`, { op: 'replace', value: { 'name.familyName': 'Lee', [`${ENTERPRISE}:employeeNumber`]: '1002' } })).status, 204);
    const stored = (await app.store.get('directoryUsers', HUB, ids.ryan))!;
    assert.equal((stored.scim.name as any).familyName, 'Lee');
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: ids.ryan, attributes: ['name', `${ENTERPRISE}:employeeNumber`] }]]);
  });

  test('disable with the string "False", enable with boolean true', async () => {
    assert.equal((await patch(`/Users/${ids.ryan}`, { op: 'Replace', path: 'active', value: 'False' })).status, 204);
    assert.equal((await app.store.get('directoryUsers', HUB, ids.ryan))!.active, false);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: ids.ryan }]]);
    assert.equal((await call('GET', `/Users/${ids.ryan}`)).body.active, false, 'returned whether or not active');
    await patch(`/Users/${ids.ryan}`, { op: 'replace', path: 'active', value: true });
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-activated', userId: ids.ryan }]]);
  });

  test('periodic PATCH active="True" on an active user: 204, nothing written; re-assigning a deprovisioned user: found while inactive, then enabled with "True"', async () => {
    const upn = 'again@contoso.example';
    const body = entraUser(upn);
    const id = (await call('POST', '/Users', body)).body.id;
    await outbox.next();
    const version = (await app.store.get('directoryUsers', HUB, id))!.version;
    for (const value of ['True', true, 'true']) {
      assert.equal((await patch(`/Users/${id}`, { op: 'Replace', path: 'active', value })).status, 204);
    }
    assert.equal((await app.store.get('directoryUsers', HUB, id))!.version, version, 'a PATCH that changes nothing writes nothing');
    assert.deepEqual(await outbox.next(), []);

    assert.equal((await patch(`/Users/${id}`, { op: 'Replace', path: 'active', value: 'False' })).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: id }]]);
    // Assigned again: Entra looks the user up by its matching attribute (both forms), finds the inactive one, enables it.
    for (const filter of [`userName eq "${upn}"`, `externalId eq "${body.externalId}"`]) {
      const found = await call('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      assert.deepEqual([found.status, found.body.Resources.map((r: any) => [r.id, r.active])], [200, [[id, false]]], filter);
    }
    assert.equal((await patch(`/Users/${id}`, { op: 'Replace', path: 'active', value: 'True' }, { op: 'Replace', path: 'displayName', value: 'Back Again' })).status, 204);
    assert.deepEqual((await app.store.get('directoryUsers', HUB, id))!.active, true);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['displayName'] }, { kind: 'user-activated', userId: id }]]);
  });

  test('manager: unqualified path with Entra\'s list value; URN path with a plain string', async () => {
    await patch(`/Users/${ids.ryan}`, { op: 'Add', path: 'manager', value: [{ $ref: `http://x/scim/Users/${ids.mgr}`, value: ids.mgr }] });
    const shown = (await call('GET', `/Users/${ids.ryan}`)).body;
    assert.deepEqual(shown[ENTERPRISE].manager, { value: ids.mgr, $ref: `http://x/scim/Users/${ids.mgr}` });
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: ids.ryan, attributes: [`${ENTERPRISE}:manager`] }]]);
    await patch(`/Users/${ids.ryan}`, { op: 'Replace', path: `${ENTERPRISE}:manager`, value: 'someone-else' });
    assert.deepEqual(((await app.store.get('directoryUsers', HUB, ids.ryan))!.scim[ENTERPRISE] as any).manager, { value: 'someone-else' });
    await outbox.next();
    // Microsoft's inbound collection writes the URN and the attribute with a dot.
    assert.equal((await patch(`/Users/${ids.ryan}`, { op: 'replace', path: `${ENTERPRISE}.manager`, value: ids.mgr })).status, 204);
    assert.deepEqual(((await app.store.get('directoryUsers', HUB, ids.ryan))!.scim[ENTERPRISE] as any).manager, { value: ids.mgr });
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: ids.ryan, attributes: [`${ENTERPRISE}:manager`] }]]);
    await patch(`/Users/${ids.ryan}`, { op: 'Replace', path: `${ENTERPRISE}:manager`, value: 'someone-else' });
    await outbox.next();
  });

  test('roles: stringified JSON values are stored as roles', async () => {
    await patch(`/Users/${ids.ryan}`, { op: 'Add', path: 'roles', value: [{ value: '{"id":"7c1a","value":"25","displayName":"Role1234"}' }] });
    assert.deepEqual((await app.store.get('directoryUsers', HUB, ids.ryan))!.scim.roles, [{ value: '25', display: 'Role1234' }]);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: ids.ryan, attributes: ['roles'] }]]);
    // AssertiveAppRoleAssignmentsComplex: the full list by replace. A POST carries roles with `displayName` and a string `primary`.
    assert.equal((await patch(`/Users/${ids.ryan}`, { op: 'replace', path: 'roles', value: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', displayName: 'Reader', value: 'r-1' }] })).status, 204);
    assert.deepEqual((await app.store.get('directoryUsers', HUB, ids.ryan))!.scim.roles, [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'r-1', display: 'Reader' }]);
    await outbox.next();
    const withRoles = await call('POST', '/Users', entraUser('roles@contoso.example', { roles: [{ primary: 'False', type: 'WindowsAzureActiveDirectoryRole', displayName: 'Writer', value: 'w-1' }] }));
    assert.equal(withRoles.status, 201);
    assert.deepEqual(withRoles.body.roles, [{ primary: false, type: 'WindowsAzureActiveDirectoryRole', value: 'w-1', display: 'Writer' }]);
    await outbox.next();
  });

  test('look-ups: every uniqueness attribute is filterable (userName, externalId, work email, displayName, id; members[value eq] on groups); eq and "and"', async () => {
    const body = entraUser('lookup@contoso.example', { displayName: 'Look Up' });
    const id = (await call('POST', '/Users', body)).body.id;
    const gid = (await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Meta Lookups', members: [{ value: id }] })).body.id;
    await outbox.next();
    const users = async (filter: string) => (await call('GET', `/Users?filter=${encodeURIComponent(filter)}`)).body.Resources.map((r: any) => r.id);
    for (const filter of [
      'userName eq "LOOKUP@contoso.example"', `externalId eq "${body.externalId}"`, 'emails[type eq "work"].value eq "lookup@contoso.example"',
      'displayName eq "Look Up"', `id eq "${id}"`, `userName eq "lookup@contoso.example" and externalId eq "${body.externalId}"`,
    ]) assert.deepEqual(await users(filter), [id], filter);
    assert.deepEqual(await users(`emails[type eq "home"].value eq "lookup@contoso.example"`), []);
    const groups = await call('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`members[value eq "${id}"]`)}`);
    assert.deepEqual([groups.status, groups.body.Resources.map((g: any) => g.id), 'members' in groups.body.Resources[0]], [200, [gid], false]);
  });

  test('groups: create empty, excludedAttributes=members, add, legacy Remove with value list, non-member no-op, rename', async () => {
    const u = [ids.ryan, ids.mgr];
    u.push((await call('POST', '/Users', entraUser('third@contoso.example'))).body.id);
    await outbox.next();
    const created = await call('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: randomUUID(), displayName: 'Meta Admins', meta: { resourceType: 'Group' },
    });
    assert.equal(created.status, 201);
    const gid = created.body.id;
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-created', groupId: gid, displayName: 'Meta Admins', members: [] }]]);

    assert.equal((await patch(`/Groups/${gid}`, { op: 'Add', path: 'members', value: u.map((value) => ({ $ref: null, value })) })).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Admins', added: u, removed: [] }]]);
    const slim = await call('GET', `/Groups/${gid}?excludedAttributes=members`);
    assert.equal(slim.status, 200);
    assert.ok(!('members' in slim.body));
    const listed = await call('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Meta Admins"')}`);
    assert.ok(listed.body.Resources.length === 1 && !('members' in listed.body.Resources[0]));

    assert.equal((await patch(`/Groups/${gid}`, { op: 'Remove', path: 'members', value: [{ value: u[0] }] })).status, 204);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [u[1], u[2]], 'only the listed member left');
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Admins', added: [], removed: [u[0]] }]]);

    assert.equal((await patch(`/Groups/${gid}`, { op: 'Remove', path: 'members', value: [{ value: u[0] }] })).status, 204);
    assert.deepEqual(await outbox.next(), [], 'removing a non-member records nothing');

    assert.equal((await patch(`/Groups/${gid}`, { op: 'Replace', path: 'displayName', value: 'Meta Owners' })).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-renamed', groupId: gid, from: 'Meta Admins', to: 'Meta Owners', members: [u[1], u[2]] }]]);

    // Hard delete of a member: out of the group first, with a group-members delta, in the same write.
    const thirdCreated = (await app.store.get('directoryUsers', HUB, u[2]))!.created;
    assert.equal((await call('DELETE', `/Users/${u[2]}`)).status, 204);
    assert.deepEqual(await outbox.next(), [[
      { kind: 'group-members', groupId: gid, displayName: 'Meta Owners', added: [], removed: [u[2]] },
      // Its creation time too (RFC 7643 §3.1 meta.created): agent/dispatch/ambiguous-person.ts.
      { kind: 'user-deleted', userId: u[2], userName: 'third@contoso.example', emails: ['third@contoso.example'], created: thirdCreated },
    ]]);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [u[1]]);
    assert.equal((await call('GET', `/Users/${u[2]}`)).status, 404);
  });

  test('tutorial member shapes: several members in one PATCH, Add and Remove with "$ref": null remove only the listed ones', async () => {
    const u: string[] = [];
    for (const n of ['t1', 't2', 't3', 't4']) u.push((await call('POST', '/Users', entraUser(`${n}@contoso.example`))).body.id);
    await outbox.next();
    const gid = (await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], externalId: randomUUID(), displayName: 'Meta Tutorial', members: [] })).body.id;
    await outbox.next();
    const added = await patch(`/Groups/${gid}`, { op: 'Add', path: 'members', value: [{ $ref: null, value: u[0] }, { $ref: null, value: u[1] }] }, { op: 'Add', path: 'members', value: [{ $ref: null, value: u[2] }, { $ref: null, value: u[3] }] });
    assert.equal(added.status, 204);
    assert.equal(added.text, '', 'a group PATCH answers 204 with no member list');
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Tutorial', added: u, removed: [] }]]);
    const removed = await patch(`/Groups/${gid}`, { op: 'Remove', path: 'members', value: [{ $ref: null, value: u[1] }, { $ref: null, value: u[3] }] });
    assert.equal(removed.status, 204);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [u[0], u[2]], 'only the two listed members left');
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Tutorial', added: [], removed: [u[1], u[3]] }]]);
  });

  test('mass-removal guard: a Remove on members whose value names nobody (null, [], {}, [{}]) removes nobody', async () => {
    const u: string[] = [];
    for (const n of ['m1', 'm2']) u.push((await call('POST', '/Users', entraUser(`${n}@contoso.example`))).body.id);
    const gid = (await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Meta Guarded', members: u.map((value) => ({ value })) })).body.id;
    await outbox.next();
    for (const value of [null, [], {}, [{}], [{ $ref: null, value: null }]]) {
      for (const op of [{ op: 'Remove', path: 'members', value }, { op: 'Remove', path: 'members', Value: value }]) {
        const reply = await patch(`/Groups/${gid}`, op);
        assert.equal(reply.status, 204, JSON.stringify(op));
        assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), u, `${JSON.stringify(op)} must remove nobody`);
      }
    }
    assert.deepEqual(await outbox.next(), [], 'no removal recorded');
    // The listed member still goes (Entra's shape), the other stays.
    assert.equal((await patch(`/Groups/${gid}`, { op: 'Remove', path: 'members', value: [{ value: u[0] }] })).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Guarded', added: [], removed: [u[0]] }]]);
  });

  test('aadOptscim062020 in the tenant URL: the flag rides on every request; compliant shapes apply exactly', async () => {
    const flagged = (path: string) => `${path}${path.includes('?') ? '&' : '?'}aadOptscim062020`;
    const fcall = (method: string, path: string, body?: unknown) => call(method, flagged(path), body);
    const fpatch = (path: string, ...Operations: unknown[]) => fcall('PATCH', path, { schemas: [PATCH], Operations });
    const u: string[] = [];
    for (const n of ['f1', 'f2', 'f3']) {
      const created = await fcall('POST', '/Users', entraUser(`${n}@contoso.example`));
      assert.equal(created.status, 201);
      u.push(created.body.id);
    }
    const found = await fcall('GET', `/Users?filter=${encodeURIComponent('userName eq "f2@contoso.example"')}`);
    assert.deepEqual([found.status, found.body.Resources.map((r: any) => r.id)], [200, [u[1]]]);
    const gid = (await fcall('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Meta Flagged' })).body.id;
    await outbox.next();
    assert.equal((await fpatch(`/Groups/${gid}`, { op: 'add', path: 'members', value: u.map((value) => ({ value })) })).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Flagged', added: u, removed: [] }]]);
    // Flagged remove: lower-case op, the member named by a value filter, no value.
    assert.equal((await fpatch(`/Groups/${gid}`, { op: 'remove', path: `members[value eq "${u[1]}"]` })).status, 204);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [u[0], u[2]]);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Flagged', added: [], removed: [u[1]] }]]);
    // Flagged disable: a real boolean. The user stays a member (the agent, not SCIM, takes the seat).
    assert.equal((await fpatch(`/Users/${u[0]}`, { op: 'replace', path: 'active', value: false })).status, 204);
    assert.equal((await app.store.get('directoryUsers', HUB, u[0]))!.active, false);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: u[0] }]]);
    const slim = await fcall('GET', `/Groups/${gid}?excludedAttributes=members`);
    assert.deepEqual([slim.status, 'members' in slim.body], [200, false]);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [u[0], u[2]]);
  });

  test('UPN rename: Replace userName → 204 and a userName delta; found by the new name only; a taken name (any case) is 409 and changes nothing', async () => {
    const id = (await call('POST', '/Users', entraUser('old.upn@contoso.example'))).body.id;
    await call('POST', '/Users', entraUser('taken.upn@contoso.example'));
    await outbox.next();
    assert.equal((await patch(`/Users/${id}`, { op: 'Replace', path: 'userName', value: 'new.upn@contoso.example' })).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['userName'] }]]);
    const byName = async (name: string) => (await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`)).body.Resources.map((r: any) => r.id);
    assert.deepEqual(await byName('old.upn@contoso.example'), []);
    assert.deepEqual(await byName('NEW.upn@contoso.example'), [id]);
    const clash = await patch(`/Users/${id}`, { op: 'Replace', path: 'userName', value: 'Taken.UPN@contoso.example' });
    assert.deepEqual([clash.status, clash.body.scimType], [409, 'uniqueness']);
    assert.equal((await app.store.get('directoryUsers', HUB, id))!.userName, 'new.upn@contoso.example');
    assert.deepEqual(await outbox.next(), []);
  });
});
