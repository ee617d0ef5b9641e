import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimReply, type ScimTestApp } from '../../scim-server/scim/test-app.ts';
import { suiteStores } from '../suite-stores.ts';
import { OutboxReader } from './outbox-reader.ts';
import { OKTA, ENTRA, USER, GROUP, ENTERPRISE, PATCH, ERROR } from './replay-names.ts';

/**
 * Request shapes Okta (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/) and
 * Entra (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
 * send that the conformance suites and the two replays leave out: the answer each IdP needs, what
 * is stored, and who joined or left in the outbox.
 */
const HUB = 'gaps';

function assertScimError(reply: ScimReply, status: number, scimType?: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
  assert.deepEqual(reply.body.schemas, [ERROR]);
  assert.equal(reply.body.status, String(status));
  assert.equal(typeof reply.body.detail, 'string');
  assert.equal(reply.body.scimType, scimType);
}

for (const kind of await suiteStores('memory', 'postgres')) describe(`IdP shapes the suites leave out (${kind.kind})`, { skip: kind.skip }, () => {
  let app: ScimTestApp;
  let outbox: OutboxReader;
  let dispose: () => Promise<void>;
  const okta = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => scimRequest(app, HUB, method, path, body, { ...OKTA, ...headers });
  const entra = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, ENTRA);
  const entraPatch = (path: string, ...Operations: unknown[]) => entra('PATCH', path, { schemas: [PATCH], Operations });
  const user = (login: string, extra: Record<string, unknown> = {}) => ({
    schemas: [USER], userName: login, name: { givenName: 'G', familyName: 'F' }, emails: [{ primary: true, type: 'work', value: login }], active: true, ...extra,
  });
  const create = async (login: string, extra: Record<string, unknown> = {}) => {
    const reply = await okta('POST', '/Users', user(login, extra));
    assert.equal(reply.status, 201, reply.text);
    return reply.body.id as string;
  };
  const members = async (gid: string) => (await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value);

  before(async () => {
    const opened = await kind.open();
    dispose = opened.dispose;
    app = await startScimApp({ store: opened.store, hubs: [{ id: HUB }] });
    outbox = new OutboxReader(app, HUB);
  });
  after(async () => {
    await app.close();
    await dispose();
  });

  test('Okta password sync (path-less and by path): 200 with the user, the password neither stored nor echoed, nothing written', async () => {
    const id = await create('pw@okta.local', { password: 'First-pw-1' });
    await outbox.next();
    const version = (await app.store.get('directoryUsers', HUB, id))!.version;
    for (const op of [{ op: 'replace', value: { password: 'Synced-pw-2' } }, { op: 'replace', path: 'password', value: 'Synced-pw-3' }]) {
      const reply = await okta('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [op] });
      assert.deepEqual([reply.status, reply.body.id, reply.body.active], [200, id, true], reply.text);
      assert.ok(!reply.text.includes('Synced-pw') && !reply.text.includes('"password"'));
    }
    const stored = (await app.store.get('directoryUsers', HUB, id))!;
    assert.equal(stored.version, version);
    assert.ok(!JSON.stringify(stored).includes('pw-'));
    assert.deepEqual(await outbox.next(), []);
  });

  test('GET, then PUT with the ETag it gave as If-Match: 200 and the next version; the same ETag again is 412 and changes nothing (users and groups)', async () => {
    const id = await create('etag@okta.local');
    const got = await okta('GET', `/Users/${id}`);
    const etag = got.headers.get('etag')!;
    assert.equal(etag, got.body.meta.version);
    const put = await okta('PUT', `/Users/${id}`, { ...got.body, displayName: 'First' }, { 'if-match': etag });
    assert.deepEqual([put.status, put.body.displayName, put.headers.get('etag')], [200, 'First', etag.replace(/^W\/"1-/, 'W/"2-')], 'the next version, the same standing');
    await outbox.next();
    const stale = await okta('PUT', `/Users/${id}`, { ...got.body, displayName: 'Second' }, { 'if-match': etag });
    assertScimError(stale, 412);
    assert.equal((await app.store.get('directoryUsers', HUB, id))!.displayName, 'First');

    const gid = (await okta('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Versioned', members: [{ value: id }] })).body.id;
    await outbox.next();
    const group = await okta('GET', `/Groups/${gid}`);
    assert.equal((await okta('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Meta Versioned 2' } }] })).status, 200);
    await outbox.next();
    assertScimError(await okta('PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'Meta Versioned', members: [] }, { 'if-match': group.headers.get('etag')! }), 412);
    assert.deepEqual(await members(gid), [id], 'a stale full push removes nobody');
    assert.deepEqual(await outbox.next(), []);
  });

  test('Okta AIW group update: GET /Groups/{id}, PUT that body back with one member more ($ref, type and meta as read): 200, only the new member joins', async () => {
    const [a, b, c] = [await create('aiw-a@okta.local'), await create('aiw-b@okta.local'), await create('aiw-c@okta.local')];
    const gid = (await okta('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta AIW Push', members: [{ value: a, display: 'aiw-a@okta.local' }, { value: b, display: 'aiw-b@okta.local' }] })).body.id;
    await outbox.next();
    const got = await okta('GET', `/Groups/${gid}`);
    assert.deepEqual(got.body.members.map((m: any) => [m.value, m.type, typeof m.$ref]), [[a, 'User', 'string'], [b, 'User', 'string']]);
    const put = await okta('PUT', `/Groups/${gid}`, { ...got.body, members: [...got.body.members, { value: c, display: 'aiw-c@okta.local' }] });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(await members(gid), [a, b, c]);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta AIW Push', added: [c], removed: [] }]]);
    const again = await okta('PUT', `/Groups/${gid}`, put.body);
    assert.equal(again.status, 200);
    assert.deepEqual(await outbox.next(), [], 'the same body again changes nothing');
  });

  test('Entra clears the manager: Remove by the unqualified path, then by the URN path when there is none (204, one delta)', async () => {
    const boss = await create('boss@contoso.example');
    const id = await create('report@contoso.example');
    await outbox.next();
    assert.equal((await entraPatch(`/Users/${id}`, { op: 'Add', path: 'manager', value: [{ $ref: null, value: boss }] })).status, 204);
    await outbox.next();
    assert.equal((await entraPatch(`/Users/${id}`, { op: 'Remove', path: 'manager' })).status, 204);
    const stored = (await app.store.get('directoryUsers', HUB, id))!;
    assert.equal((stored.scim[ENTERPRISE] as Record<string, unknown> | undefined)?.manager, undefined);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: [`${ENTERPRISE}:manager`] }]]);
    assert.equal((await entraPatch(`/Users/${id}`, { op: 'Remove', path: `${ENTERPRISE}:manager` })).status, 204);
    assert.deepEqual(await outbox.next(), []);
    const shown = (await entra('GET', `/Users/${id}`)).body;
    assert.equal(shown[ENTERPRISE]?.manager, undefined);
  });

  test('Entra, one PATCH: Remove with a value list naming a member and a non-member, and an Add: exactly who is named joins and leaves', async () => {
    const [a, b, c, d] = [await create('ga@contoso.example'), await create('gb@contoso.example'), await create('gc@contoso.example'), await create('gd@contoso.example')];
    const gid = (await entra('POST', '/Groups', { schemas: [GROUP], externalId: randomUUID(), displayName: 'Meta Mixed', members: [{ value: a }, { value: b }] })).body.id;
    await outbox.next();
    const reply = await entraPatch(`/Groups/${gid}`,
      { op: 'Remove', path: 'members', value: [{ $ref: null, value: a }, { $ref: null, value: c }] },
      { op: 'Add', path: 'members', value: [{ $ref: null, value: d }] });
    assert.deepEqual([reply.status, reply.text], [204, '']);
    assert.deepEqual(await members(gid), [b, d]);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Mixed', added: [d], removed: [a] }]]);
  });

  test('Entra renames a group to a name another group has (any case): 409 uniqueness, nothing written', async () => {
    await entra('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Taken' });
    const gid = (await entra('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Free' })).body.id;
    await outbox.next();
    assertScimError(await entraPatch(`/Groups/${gid}`, { op: 'Replace', path: 'displayName', value: 'META TAKEN' }), 409, 'uniqueness');
    assert.equal((await app.store.get('directoryGroups', HUB, gid))!.displayName, 'Meta Free');
    assert.deepEqual(await outbox.next(), []);
  });

  test('Entra\'s credential check reads a random user and group: 404 SCIM errors; a group list without members is a ListResponse', async () => {
    assertScimError(await entra('GET', `/Users/${randomUUID()}`), 404);
    assertScimError(await entra('GET', `/Groups/${randomUUID()}?excludedAttributes=members`), 404);
    const list = await entra('GET', '/Groups?excludedAttributes=members&startIndex=1&count=1');
    assert.equal(list.status, 200);
    assert.deepEqual([list.body.schemas, list.body.itemsPerPage, list.body.startIndex], [['urn:ietf:params:scim:api:messages:2.0:ListResponse'], 1, 1]);
    assert.ok(Number.isInteger(list.body.totalResults) && list.body.totalResults >= 1);
    assert.ok(!('members' in list.body.Resources[0]) && typeof list.body.Resources[0].id === 'string');
  });

  test('Entra adds roles over several PATCHes: the Add that would store more than 100 is refused, and the user can still be disabled', async () => {
    const id = await create('roles@contoso.example');
    await outbox.next();
    const roles = (from: number) => Array.from({ length: 60 }, (_, i) => ({ value: `{"id":"a${from + i}","value":"r${from + i}","displayName":"Role ${from + i}"}` }));
    assert.equal((await entraPatch(`/Users/${id}`, { op: 'Add', path: 'roles', value: roles(0) })).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['roles'] }]]);
    assertScimError(await entraPatch(`/Users/${id}`, { op: 'Add', path: 'roles', value: roles(60) }), 400, 'invalidValue');
    assert.equal(((await app.store.get('directoryUsers', HUB, id))!.scim.roles as unknown[]).length, 60);
    assert.deepEqual(await outbox.next(), []);
    const off = await entraPatch(`/Users/${id}`, { op: 'Replace', path: 'active', value: 'False' });
    assert.equal(off.status, 204, off.text);
    assert.equal((await app.store.get('directoryUsers', HUB, id))!.active, false);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: id }]]);
  });

  test('a user stored before today\'s limits (130 roles, a 2,000-character title) can still be disabled by Entra and Okta (PATCH, and the AIW PUT of what Okta read); only a write that changes those attributes is held to them', async () => {
    const id = await create('legacy@contoso.example');
    await outbox.next();
    // As an earlier version accepted it: the record is written directly, past today's limits.
    await app.store.transact(async (tx) => {
      const u = (await tx.get('directoryUsers', HUB, id))!;
      const roles = Array.from({ length: 130 }, (_, i) => ({ value: `r${i}` }));
      tx.put('directoryUsers', HUB, id, { ...u, scim: { ...u.scim, title: 't'.repeat(2000), roles }, version: u.version + 1 });
    });
    const off = await entraPatch(`/Users/${id}`, { op: 'Replace', path: 'active', value: 'False' });
    assert.equal(off.status, 204, off.text);
    assert.equal((await app.store.get('directoryUsers', HUB, id))!.active, false);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: id }]]);
    const on = await okta('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true, displayName: 'Legacy' } }] });
    assert.deepEqual([on.status, on.body.active, on.body.displayName], [200, true, 'Legacy'], on.text);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['displayName'] }, { kind: 'user-activated', userId: id }]]);
    const stored = (await app.store.get('directoryUsers', HUB, id))!;
    assert.deepEqual([(stored.scim.title as string).length, (stored.scim.roles as unknown[]).length], [2000, 130], 'what the PATCH did not name is kept as stored');
    // Okta's AIW apps deactivate with a PUT of the user they just read: what comes back as it was stored is kept.
    const got = await okta('GET', `/Users/${id}`);
    const put = await okta('PUT', `/Users/${id}`, { ...got.body, active: false, password: 'Okta-always-sends-1' });
    assert.deepEqual([put.status, put.body.active], [200, false], put.text);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: id }]]);
    assertScimError(await okta('PUT', `/Users/${id}`, { ...got.body, title: 'v'.repeat(2000) }), 400, 'invalidValue');
    // A write that names the over-long attribute is held to the limit; removing roles is allowed.
    assertScimError(await entraPatch(`/Users/${id}`, { op: 'Replace', path: 'title', value: 'u'.repeat(2000) }), 400, 'invalidValue');
    assert.equal((await entraPatch(`/Users/${id}`, { op: 'Remove', path: 'roles', value: [{ value: 'r0' }] })).status, 204);
    assert.equal(((await app.store.get('directoryUsers', HUB, id))!.scim.roles as unknown[]).length, 129);
    await outbox.next();
  });

  test('the same values with their objects\' keys in another order (Okta\'s PUT and replace of emails, Entra\'s replace of roles): nothing written, no delta', async () => {
    const id = await create('order@okta.local');
    await outbox.next();
    const got = await okta('GET', `/Users/${id}`);
    const version = got.body.meta.version;
    // The same values: name and the work email as Okta builds them from its profile, keys in its own order.
    const put = await okta('PUT', `/Users/${id}`, { ...got.body, name: { familyName: 'F', givenName: 'G' }, emails: [{ value: 'order@okta.local', type: 'work', primary: true }] });
    assert.deepEqual([put.status, put.body.meta.version], [200, version], put.text);
    const patched = await okta('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails', value: [{ type: 'work', primary: true, value: 'order@okta.local' }] }] });
    assert.deepEqual([patched.status, patched.body.meta.version], [200, version], patched.text);
    assert.equal((await app.store.get('directoryUsers', HUB, id))!.version, Number(/^W\/"(\d+)-/.exec(version)![1]));
    assert.deepEqual(await outbox.next(), [], 'no change, so no delta and no audited directory change');
    // A real change in the same shape is still one.
    const changed = await okta('PUT', `/Users/${id}`, { ...got.body, name: { familyName: 'Other', givenName: 'G' } });
    assert.equal(changed.status, 200);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['name'] }]]);
    // A name stored before today's limits, sent back reordered with active:false (the AIW deactivation): kept as stored, not refused.
    const long = 'f'.repeat(2000);
    await app.store.transact(async (tx) => {
      const u = (await tx.get('directoryUsers', HUB, id))!;
      tx.put('directoryUsers', HUB, id, { ...u, scim: { ...u.scim, name: { givenName: 'G', familyName: long } }, version: u.version + 1 });
    });
    const off = await okta('PUT', `/Users/${id}`, { ...got.body, name: { familyName: long, givenName: 'G' }, active: false });
    assert.deepEqual([off.status, off.body.active], [200, false], off.text);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: id }]]);
    // Entra: a role POSTed with displayName, asserted again (replace roles, the full list) with display.
    const role = { primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'r-1' };
    const rid = (await entra('POST', '/Users', user('role-order@contoso.example', { roles: [{ ...role, displayName: 'Reader' }] }))).body.id;
    await outbox.next();
    assert.equal((await entraPatch(`/Users/${rid}`, { op: 'replace', path: 'roles', value: [{ ...role, display: 'Reader' }] })).status, 204);
    assert.equal((await app.store.get('directoryUsers', HUB, rid))!.version, 1);
    assert.deepEqual(await outbox.next(), []);
  });

  test('a write to a user Entra hard-deleted is a 404 and stores nothing; a DELETE of it again is a 404', async () => {
    const id = await create('gone@contoso.example');
    await outbox.next();
    assert.equal((await entra('DELETE', `/Users/${id}`)).status, 204);
    await outbox.next();
    assertScimError(await entraPatch(`/Users/${id}`, { op: 'Replace', path: 'active', value: 'False' }), 404);
    assertScimError(await entra('DELETE', `/Users/${id}`), 404);
    assert.equal(await app.store.get('directoryUsers', HUB, id), undefined);
    assert.deepEqual(await outbox.next(), []);
  });

  test('Entra hard-deletes a manager: the users it managed lose the manager in the same write (user-updated deltas), other attributes kept', async () => {
    const boss = await create('gone.boss@contoso.example');
    const ryan = await create('ryan.managed@contoso.example', { [ENTERPRISE]: { department: 'Ads' } });
    const kim = await create('kim.managed@contoso.example');
    const gid = (await okta('POST', '/Groups', { schemas: [GROUP], displayName: 'Boss and co', members: [{ value: boss }] })).body.id as string;
    for (const id of [ryan, kim]) assert.equal((await entraPatch(`/Users/${id}`, { op: 'Add', path: 'manager', value: [{ $ref: null, value: boss }] })).status, 204);
    await outbox.next();
    const version = (await app.store.get('directoryUsers', HUB, ryan))!.version;
    assert.equal((await entra('DELETE', `/Users/${boss}`)).status, 204);
    const shown = await entra('GET', `/Users/${ryan}`);
    assert.deepEqual(shown.body[ENTERPRISE], { department: 'Ads' });
    assert.match(shown.body.meta.version, new RegExp(`^W/"${version + 1}-`));
    assert.equal((await entra('GET', `/Users/${kim}`)).body[ENTERPRISE], undefined);
    assert.deepEqual(await members(gid), []);
    const [written, ...more] = await outbox.next();
    assert.deepEqual(more, [], 'one write');
    assert.deepEqual(written!.filter((c) => c.kind === 'user-updated').map((c) => c.kind === 'user-updated' && [c.userId, c.attributes]).sort(), [[kim, [`${ENTERPRISE}:manager`]], [ryan, [`${ENTERPRISE}:manager`]]].sort());
    assert.deepEqual(written!.map((c) => c.kind), ['group-members', 'user-updated', 'user-updated', 'user-deleted']);
  });
});
