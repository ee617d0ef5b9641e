import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimReply, type ScimTestApp } from '../../scim-server/scim/test-app.ts';
import { OutboxReader } from './outbox-reader.ts';
import { OKTA, ENTRA, USER, GROUP, ENTERPRISE, PATCH, LIST, ERROR } from './replay-names.ts';

/**
 * Requests printed in Okta's SCIM 2.0 guide (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/)
 * and Microsoft's SCIM pages (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups,
 * https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility)
 * that no other replay (okta, entra, idp-edges, idp-gaps) sends as printed: each sent as shown, with
 * the answer RFC 7644 and the IdP expect.
 */
const HUB = 'verbatim';

/** An empty ListResponse as RFC 7644 §3.4.2 writes it: integers, and `Resources: []`. */
function assertEmptyList(reply: ScimReply): void {
  assert.equal(reply.status, 200, reply.text);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
  assert.deepEqual(reply.body, { schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
}

describe('IdP requests as the vendor docs print them', () => {
  let app: ScimTestApp;
  let outbox: OutboxReader;
  const okta = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, OKTA);
  const entra = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, ENTRA);
  const entraPatch = (path: string, ...Operations: unknown[]) => entra('PATCH', path, { schemas: [PATCH], Operations });
  const stored = async (id: string) => (await app.store.get('directoryUsers', HUB, id))!;
  const entraUser = (upn: string, externalId: string, extra: Record<string, unknown> = {}) => ({
    schemas: [USER, ENTERPRISE], externalId, userName: upn, active: true,
    emails: [{ primary: true, type: 'work', value: upn }], meta: { resourceType: 'User' },
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' }, roles: [], ...extra,
  });
  const create = async (body: unknown) => {
    const reply = await entra('POST', '/Users', body);
    assert.equal(reply.status, 201, reply.text);
    return reply.body.id as string;
  };

  before(async () => {
    app = await startScimApp({ hubs: [{ id: HUB, identityProvider: 'entra' }] });
    outbox = new OutboxReader(app, HUB);
  });
  after(() => app.close());

  test('Entra Example 1, "GET /Users?filter=externalId eq jyoung" (unquoted word): the user it names, and an empty ListResponse for a miss', async () => {
    const id = await create(entraUser('jyoung@contoso.example', 'jyoung'));
    const hit = await entra('GET', '/Users?filter=externalId eq jyoung');
    assert.equal(hit.status, 200, hit.text);
    assert.deepEqual([hit.body.schemas, hit.body.totalResults, hit.body.startIndex, hit.body.itemsPerPage], [[LIST], 1, 1, 1]);
    assert.deepEqual(hit.body.Resources.map((r: any) => [r.id, r.externalId, r.userName]), [[id, 'jyoung', 'jyoung@contoso.example']]);
    assertEmptyList(await entra('GET', '/Users?filter=externalId eq jdoe'));
  });

  test('Entra Test Connection: a random GUID as the matching attribute (quoted and unquoted, GUIDs that start like numbers) → 200 and an empty ListResponse', async () => {
    for (const guid of ['0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef', '12345678-1234-4234-8234-123456789012', '1e100000-0000-4000-8000-000000000000']) {
      for (const filter of [`userName eq "${guid}"`, `externalId eq "${guid}"`, `externalId eq ${guid}`, `emails[type eq "work"].value eq "${guid}"`]) {
        assertEmptyList(await entra('GET', `/Users?filter=${encodeURIComponent(filter)}`));
      }
      assertEmptyList(await entra('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${guid}"`)}`));
    }
    // A user whose externalId is such a GUID is found by it, unquoted, as sent.
    const id = await create(entraUser('guid@contoso.example', '1e100000-0000-4000-8000-000000000000'));
    const found = await entra('GET', '/Users?filter=externalId eq 1e100000-0000-4000-8000-000000000000');
    assert.deepEqual([found.status, found.body.Resources?.map((r: any) => r.id)], [200, [id]], found.text);
  });

  test('Entra\'s older create sample: top-level nulls (addresses, phoneNumbers, title, department, manager) → 201, nothing null echoed or stored', async () => {
    const reply = await entra('POST', '/Users', entraUser('nulls@contoso.example', '8e1a5bd4-5c1f-4e43-a2f5-1fb0c0a9a0e1', {
      addresses: null, phoneNumbers: null, title: null, department: null, manager: null,
    }));
    assert.equal(reply.status, 201, reply.text);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
    for (const key of ['addresses', 'phoneNumbers', 'title', 'department', 'manager', 'password']) assert.ok(!(key in reply.body), key);
    assert.ok(!/:\s*null\b/.test(reply.text), reply.text);
    assert.deepEqual([reply.body.schemas.includes(USER), typeof reply.body.id, reply.body.meta.resourceType], [true, 'string', 'User']);
    const user = await stored(reply.body.id);
    assert.ok(!JSON.stringify(user.scim).includes(':null'), JSON.stringify(user.scim));
  });

  test('Entra default "replace several": one Replace per path, name.familyName and the enterprise URN manager with Entra\'s list value → 204; the manager shown in the extension', async () => {
    const boss = await create(entraUser('boss@contoso.example', '2b0c1f3e-0000-4000-8000-000000000001'));
    const id = await create(entraUser('henry@contoso.example', '2b0c1f3e-0000-4000-8000-000000000002'));
    await outbox.next();
    const reply = await entraPatch(`/Users/${id}`,
      { op: 'Replace', path: 'displayName', value: 'Henry Ross' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'henry.ross@contoso.example' },
      { op: 'Replace', path: 'name.givenName', value: 'Henry' },
      { op: 'Replace', path: 'name.familyName', value: 'Ross' },
      { op: 'Replace', path: 'externalId', value: '2b0c1f3e-0000-4000-8000-000000000003' },
      { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: 'Tolk' },
      { op: 'Replace', path: `${ENTERPRISE}:manager`, value: [{ $ref: `http://localhost/scim/Users/${boss}`, value: boss }] });
    assert.deepEqual([reply.status, reply.text], [204, '']);
    const shown = (await entra('GET', `/Users/${id}`)).body;
    assert.deepEqual([shown.displayName, shown.name.givenName, shown.name.familyName, shown.externalId, shown.emails], ['Henry Ross', 'Henry', 'Ross', '2b0c1f3e-0000-4000-8000-000000000003', [{ primary: true, type: 'work', value: 'henry.ross@contoso.example' }]]);
    assert.equal(shown[ENTERPRISE].employeeNumber, 'Tolk');
    assert.equal(shown[ENTERPRISE].manager.value, boss);
    assert.ok(shown.schemas.includes(ENTERPRISE));
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['displayName', 'emails', 'externalId', 'name', `${ENTERPRISE}:employeeNumber`, `${ENTERPRISE}:manager`] }]]);
  });

  test('"active" as a boolean or as "True"/"False", by path or path-less, with Replace or Add: each → 204 and exactly one state change', async () => {
    const id = await create(entraUser('toggle@contoso.example', '3c0d2f4a-0000-4000-8000-000000000001'));
    await outbox.next();
    const steps: Array<[unknown, boolean]> = [
      [{ op: 'Replace', value: { active: 'False' } }, false],
      [{ op: 'Replace', value: { active: 'True' } }, true],
      [{ op: 'Add', path: 'active', value: 'False' }, false],
      [{ op: 'Add', path: 'active', value: 'True' }, true],
      [{ op: 'Replace', value: { active: false } }, false],
      [{ op: 'Replace', path: 'active', value: 'True' }, true],
    ];
    for (const [op, active] of steps) {
      const reply = await entraPatch(`/Users/${id}`, op);
      assert.equal(reply.status, 204, `${JSON.stringify(op)}: ${reply.text}`);
      assert.equal((await stored(id)).active, active, JSON.stringify(op));
      assert.deepEqual(await outbox.next(), [[{ kind: active ? 'user-activated' : 'user-deactivated', userId: id }]], JSON.stringify(op));
    }
    // Anything else is no boolean: 400 invalidValue with RFC 7644 §3.12's body, and nothing changes.
    const bad = await entraPatch(`/Users/${id}`, { op: 'Replace', path: 'active', value: 'No' });
    assert.equal(bad.status, 400, bad.text);
    assert.deepEqual([bad.body.schemas, bad.body.status, bad.body.scimType, typeof bad.body.detail], [[ERROR], '400', 'invalidValue', 'string']);
    assert.equal((await stored(id)).active, true);
    assert.deepEqual(await outbox.next(), []);
  });

  test('Entra roles on create with "display" (not displayName) and a string primary → 201, stored as a role', async () => {
    const reply = await entra('POST', '/Users', entraUser('display.role@contoso.example', '4d0e3a5b-0000-4000-8000-000000000001', {
      roles: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', display: 'Reader', value: 'r-1' }],
    }));
    assert.equal(reply.status, 201, reply.text);
    assert.deepEqual(reply.body.roles, [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'r-1', display: 'Reader' }]);
  });

  test('query-parameter names in any case: Filter, ExcludedAttributes, StartIndex and Count on groups by id and as a list', async () => {
    const uid = await create(entraUser('member@contoso.example', '5e0f4b6c-0000-4000-8000-000000000001'));
    const gid = (await entra('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Cased', members: [{ value: uid }] })).body.id as string;
    const byId = await entra('GET', `/Groups/${gid}?ExcludedAttributes=members`);
    assert.deepEqual([byId.status, byId.body.id, 'members' in byId.body], [200, gid, false], byId.text);
    const list = await entra('GET', `/Groups?EXCLUDEDATTRIBUTES=members&Filter=${encodeURIComponent('displayName eq "Meta Cased"')}&StartIndex=1&Count=100`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual([list.body.totalResults, list.body.Resources.map((g: any) => g.id), 'members' in list.body.Resources[0]], [1, [gid], false]);
    const users = await okta('GET', `/Users?FILTER=${encodeURIComponent('userName eq "member@contoso.example"')}&STARTINDEX=1&COUNT=100`);
    assert.deepEqual([users.status, users.body.Resources.map((u: any) => u.id)], [200, [uid]], users.text);
  });

  test('Okta group membership: remove by members[value eq "<uid>"] of a user who is no member, then add → 200; only the add takes effect', async () => {
    const [a, b] = [await create(entraUser('okta.a@okta.local', '00ua')), await create(entraUser('okta.b@okta.local', '00ub'))];
    const gid = (await okta('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Okta Push', members: [] })).body.id as string;
    await outbox.next();
    const reply = await okta('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [
      { op: 'replace', value: { id: gid, displayName: 'Meta Okta Push' } },
      { op: 'remove', path: `members[value eq "${b}"]` },
      { op: 'add', path: 'members', value: [{ value: a, display: 'okta.a@okta.local' }] },
    ] });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual([reply.body.id, reply.body.displayName], [gid, 'Meta Okta Push']);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [a]);
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Okta Push', added: [a], removed: [] }]]);
  });
});
