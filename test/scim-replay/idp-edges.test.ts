import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimTestApp } from '../../scim-server/scim/test-app.ts';
import { OutboxReader } from './outbox-reader.ts';
import { ENTRA, USER, GROUP, ENTERPRISE, PATCH, LIST, ERROR } from './replay-names.ts';

/**
 * Request shapes of Okta (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/)
 * and Entra (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups,
 * https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility)
 * that the replays (okta, entra, idp-gaps) did not send over HTTP: the answer each IdP needs,
 * what is stored and the delta recorded.
 */
const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0', accept: 'application/scim+json', 'content-type': 'application/scim+json; charset=utf-8' };
const HUB = 'edges';

describe('IdP request shapes at the edges', () => {
  let app: ScimTestApp;
  let outbox: OutboxReader;
  const okta = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, OKTA);
  const entra = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, ENTRA);
  const entraPatch = (id: string, ...Operations: unknown[]) => entra('PATCH', `/Users/${id}`, { Operations, schemas: [PATCH] });
  const stored = async (id: string) => (await app.store.get('directoryUsers', HUB, id))!;
  const entraUser = async (upn: string, extra: Record<string, unknown> = {}) => {
    const reply = await entra('POST', '/Users', {
      schemas: [USER, ENTERPRISE], externalId: randomUUID(), userName: upn, active: true,
      emails: [{ primary: true, type: 'work', value: upn }], name: { formatted: 'Ann Lee', familyName: 'Lee', givenName: 'Ann' }, roles: [], ...extra,
    });
    assert.equal(reply.status, 201, reply.text);
    return reply.body.id as string;
  };

  before(async () => {
    app = await startScimApp({ hubs: [{ id: HUB }] });
    outbox = new OutboxReader(app, HUB);
  });
  after(() => app.close());

  test('Entra flagged (aadOptscim062020), Microsoft\'s sample: one path-less replace whose keys are displayName, the work email by filter, name parts and an enterprise URN → 204, the invite email follows', async () => {
    const id = await entraUser('flag@contoso.example');
    await outbox.next();
    const reply = await entra('PATCH', `/Users/${id}?aadOptscim062020`, { schemas: [PATCH], Operations: [{ op: 'replace', value: {
      displayName: 'Pvlo', 'emails[type eq "work"].value': 'pvlo@contoso.example', 'name.givenName': 'Henry', 'name.familyName': 'Ross', [`${ENTERPRISE}:employeeNumber`]: 'Tolk',
    } }] });
    assert.deepEqual([reply.status, reply.text], [204, '']);
    const user = await stored(id);
    assert.deepEqual(user.scim.emails, [{ primary: true, type: 'work', value: 'pvlo@contoso.example' }], 'the work email replaced, not a second one added');
    assert.deepEqual([user.email, user.displayName, user.scim.name, user.scim[ENTERPRISE]], ['pvlo@contoso.example', 'Pvlo', { formatted: 'Ann Lee', familyName: 'Ross', givenName: 'Henry' }, { employeeNumber: 'Tolk' }]);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['displayName', 'emails', 'name', `${ENTERPRISE}:employeeNumber`] }]]);
  });

  test('Entra sends Add and Replace interchangeably: Replace sets what has no value yet, Add replaces a single value, never a second work email', async () => {
    const boss = await entraUser('boss@contoso.example');
    const bare = await entra('POST', '/Users', { schemas: [USER], userName: 'bare@contoso.example', active: true });
    const id = bare.body.id as string;
    await outbox.next();
    const empty = await entraPatch(id,
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'bare@contoso.example' },
      { op: 'Replace', path: 'nickName', value: 'Bee' },
      { op: 'Replace', path: 'manager', value: boss },
      { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Ads' });
    assert.equal(empty.status, 204, empty.text);
    let user = await stored(id);
    assert.deepEqual([user.scim.emails, user.email, user.scim.nickName, user.scim[ENTERPRISE]], [[{ type: 'work', value: 'bare@contoso.example' }], 'bare@contoso.example', 'Bee', { manager: { value: boss }, department: 'Ads' }]);
    const full = await entraPatch(id,
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'bare2@contoso.example' },
      { op: 'Add', path: 'nickName', value: 'Bea' },
      { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Sales' });
    assert.equal(full.status, 204, full.text);
    user = await stored(id);
    assert.deepEqual([user.scim.emails, user.email, user.scim.nickName, (user.scim[ENTERPRISE] as any).department], [[{ type: 'work', value: 'bare2@contoso.example' }], 'bare2@contoso.example', 'Bea', 'Sales']);
    assert.deepEqual(await outbox.next(), [
      [{ kind: 'user-updated', userId: id, attributes: ['emails', 'nickName', `${ENTERPRISE}:department`, `${ENTERPRISE}:manager`] }],
      [{ kind: 'user-updated', userId: id, attributes: ['emails', 'nickName', `${ENTERPRISE}:department`] }],
    ]);
  });

  test('Entra empty-value replaces: null unsets (RFC 7643 §2.5), "" is stored as sent, [] empties a list; each a 204, and the user can still be disabled', async () => {
    const id = await entraUser('empty@contoso.example', { title: 'Lead', nickName: 'Em', [ENTERPRISE]: { department: 'Ads', employeeNumber: '7' }, roles: [{ value: 'r-1' }] });
    await outbox.next();
    const reply = await entraPatch(id,
      { op: 'Replace', path: 'title', value: null },
      { op: 'Replace', path: `${ENTERPRISE}:department`, value: null },
      { op: 'Replace', path: 'name.givenName', value: null },
      { op: 'Replace', path: 'nickName', value: '' },
      { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: '' },
      { op: 'Replace', path: 'roles', value: [] });
    assert.equal(reply.status, 204, reply.text);
    const user = (await entra('GET', `/Users/${id}`)).body;
    assert.ok(!('title' in user), 'null: no title');
    assert.deepEqual([user.name, user.nickName, user[ENTERPRISE], user.roles ?? []], [{ formatted: 'Ann Lee', familyName: 'Lee' }, '', { employeeNumber: '' }, []]);
    assert.equal(user.emails[0].value, 'empty@contoso.example', 'what the PATCH did not name is kept');
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: id, attributes: ['name', 'nickName', 'roles', 'title', `${ENTERPRISE}:department`, `${ENTERPRISE}:employeeNumber`] }]]);
    assert.equal((await entraPatch(id, { op: 'Replace', path: 'active', value: 'False' })).status, 204);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: id }]]);
  });

  test('Okta writes with "charset=utf-8" and Accept: scim+json: 201/200 with the user; a duplicate is 409 with the RFC 7644 §3.12 body; a group look-up that misses is an empty ListResponse of integers; Entra\'s "+"-encoded look-up finds it once made', async () => {
    const body = { schemas: [USER], userName: 'chars@okta.local', name: { givenName: 'Zoë', familyName: 'Ñúñez' }, emails: [{ primary: true, value: 'chars@okta.local', type: 'work' }], displayName: 'Zoë Ñúñez', locale: 'en-US', externalId: '00uZoe', groups: [], password: 'Okta-always-sends-1', active: true };
    const created = await okta('POST', '/Users', body);
    assert.deepEqual([created.status, created.body.name.givenName], [201, 'Zoë'], created.text);
    assert.match(created.headers.get('content-type') ?? '', /^application\/scim\+json/);
    const id = created.body.id as string;
    const put = await okta('PUT', `/Users/${id}`, { ...created.body, displayName: 'Zoë N.', groups: [], password: 'Okta-always-sends-1' });
    assert.deepEqual([put.status, put.body.displayName], [200, 'Zoë N.'], put.text);
    const off = await okta('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    assert.deepEqual([off.status, off.body.id, off.body.active], [200, id, false], off.text);

    const dup = await okta('POST', '/Users', body);
    assert.equal(dup.status, 409);
    assert.match(dup.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.deepEqual([dup.body.schemas, dup.body.status, dup.body.scimType, typeof dup.body.detail], [[ERROR], '409', 'uniqueness', 'string']);

    const miss = await okta('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Meta Nobody"')}&startIndex=1&count=100`);
    assert.equal(miss.status, 200);
    assert.deepEqual(miss.body, { schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    const made = await okta('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Nobody', members: [] });
    assert.equal(made.status, 201, made.text);
    // Entra form-encodes the spaces of a filter as "+" (https://github.com/audriga/scim-server-php/issues/1).
    const plus = await entra('GET', '/Groups?excludedAttributes=members&filter=displayName+eq+%22Meta+Nobody%22');
    assert.deepEqual([plus.status, plus.body.Resources.map((g: any) => g.id), 'members' in plus.body.Resources[0]], [200, [made.body.id], false]);
  });

  test('Entra\'s tutorial "Disable User" sample, as printed (Operations before schemas, "Replace" with a boolean false) → 204, the user disabled, a user-deactivated delta', async () => {
    // https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups, "Disable User".
    const id = await entraUser('disable.sample@contoso.example');
    await outbox.next();
    const reply = await entra('PATCH', `/Users/${id}`, JSON.parse(`{
      "Operations": [{ "op": "Replace", "path": "active", "value": false }],
      "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]
    }`));
    assert.deepEqual([reply.status, reply.text], [204, '']);
    assert.equal((await stored(id)).active, false);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-deactivated', userId: id }]]);
    assert.equal((await entra('GET', `/Users/${id}`)).body.active, false, 'returned whether or not the user is active');
  });

  test('AzureAdScimPatch2017 in the tenant URL (the old PATCH behaviour): "False" disables, a Remove with a value list removes only the listed member, Add nickName sets it', async () => {
    // https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility:
    // the flag rolls back to the old shapes, which are these.
    const legacy = (path: string) => `${path}${path.includes('?') ? '&' : '?'}AzureAdScimPatch2017`;
    const [a, b] = [await entraUser('legacy.a@contoso.example'), await entraUser('legacy.b@contoso.example')];
    const gid = (await entra('POST', legacy('/Groups'), { schemas: [GROUP], externalId: randomUUID(), displayName: 'Meta Legacy', members: [] })).body.id as string;
    await outbox.next();
    assert.equal((await entra('PATCH', legacy(`/Groups/${gid}`), { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: a }, { $ref: null, value: b }] }] })).status, 204);
    await outbox.next();
    const removed = await entra('PATCH', legacy(`/Groups/${gid}`), JSON.parse(`{"schemas":["${PATCH}"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"${a}"}]}]}`));
    assert.deepEqual([removed.status, removed.text], [204, '']);
    assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [b], 'only the listed member leaves');
    assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: 'Meta Legacy', added: [], removed: [a] }]]);
    const off = await entra('PATCH', legacy(`/Users/${b}`), JSON.parse(`{"schemas":["${PATCH}"],"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"Add","path":"nickName","value":"Babs"}]}`));
    assert.equal(off.status, 204, off.text);
    const user = await stored(b);
    assert.deepEqual([user.active, user.scim.nickName], [false, 'Babs']);
    assert.deepEqual(await outbox.next(), [[{ kind: 'user-updated', userId: b, attributes: ['nickName'] }, { kind: 'user-deactivated', userId: b }]]);
  });

  test('structural elements in any case (Entra: "Don\'t require a case-sensitive match on structural elements"): a member removal by any spelling of op, keys, path or filter removes exactly that member', async () => {
    // https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
    const spellings: Array<[string, (id: string) => unknown]> = [
      ['REMOVE, value list', (id) => ({ schemas: [PATCH], Operations: [{ op: 'REMOVE', path: 'members', value: [{ value: id }] }] })],
      ['rEmOvE, value filter', (id) => ({ schemas: [PATCH], Operations: [{ op: 'rEmOvE', path: `members[value eq "${id}"]` }] })],
      ['path Members, filter Value EQ', (id) => ({ schemas: [PATCH], Operations: [{ op: 'Remove', path: `Members[Value EQ "${id}"]` }] })],
      ['keys operations, Op, Path, Value', (id) => ({ schemas: [PATCH], operations: [{ Op: 'Remove', Path: 'Members', Value: [{ value: id }] }] })],
    ];
    for (const [label, body] of spellings) {
      const [a, b] = [await entraUser(`case.a.${spellings.findIndex(([l]) => l === label)}@contoso.example`), await entraUser(`case.b.${spellings.findIndex(([l]) => l === label)}@contoso.example`)];
      const gid = (await entra('POST', '/Groups', { schemas: [GROUP], displayName: `Meta Case ${label}`, members: [{ value: a }, { value: b }] })).body.id as string;
      await outbox.next();
      const reply = await entra('PATCH', `/Groups/${gid}`, body(a));
      assert.equal(reply.status, 204, `${label}: ${reply.text}`);
      assert.deepEqual((await app.store.get('directoryGroups', HUB, gid))!.members.map((m) => m.value), [b], label);
      assert.deepEqual(await outbox.next(), [[{ kind: 'group-members', groupId: gid, displayName: `Meta Case ${label}`, added: [], removed: [a] }]], label);
    }
  });
});
