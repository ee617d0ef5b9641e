import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENTERPRISE_SCHEMA } from './attributes.ts';
import { parseListQuery, project } from './list.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

/**
 * RFC 7644 §3.9 `attributes` / `excludedAttributes` with names in RFC 7644 §3.10 notation: a
 * sub-attribute (`emails.value`, `name.givenName`, `members.display`) names only itself.
 */
const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u1',
  userName: 'ada@example.com',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ type: 'work', value: 'ada@example.com', primary: true }, { type: 'home', value: 'ada@home.example' }],
  [ENTERPRISE_SCHEMA]: { department: 'Ads', manager: { value: 'm1', displayName: 'Boss' } },
  meta: { resourceType: 'User' },
};
const projected = (params: Record<string, string>) => project(user, parseListQuery(new Map(Object.entries(params).map(([k, v]) => [k.toLowerCase(), v]))));

describe('SCIM projection: sub-attributes', () => {
  test('attributes: two sub-attributes of one multi-valued attribute are both kept', () => {
    assert.deepEqual(projected({ attributes: 'emails.value,emails.type' }).emails, [{ value: 'ada@example.com', type: 'work' }, { value: 'ada@home.example', type: 'home' }]);
    assert.deepEqual(projected({ attributes: 'emails.TYPE' }).emails, [{ type: 'work' }, { type: 'home' }]);
  });

  test('attributes: an attribute asked for whole stays whole beside one of its sub-attributes, in either order', () => {
    assert.deepEqual(projected({ attributes: 'emails,emails.value' }).emails, user.emails);
    assert.deepEqual(projected({ attributes: 'emails.value,emails' }).emails, user.emails);
    assert.deepEqual(projected({ attributes: 'name,name.givenName' }).name, user.name);
  });

  test('excludedAttributes: a sub-attribute is dropped, its parent and siblings kept', () => {
    const out = projected({ excludedAttributes: 'name.givenName,emails.primary' });
    assert.deepEqual(out.name, { familyName: 'Lovelace' });
    assert.deepEqual(out.emails, [{ type: 'work', value: 'ada@example.com' }, { type: 'home', value: 'ada@home.example' }]);
    assert.equal(out.userName, 'ada@example.com');
    assert.deepEqual(projected({ excludedAttributes: `${ENTERPRISE_SCHEMA}:manager.displayName` })[ENTERPRISE_SCHEMA], { department: 'Ads', manager: { value: 'm1' } });
    assert.deepEqual(user.name, { givenName: 'Ada', familyName: 'Lovelace' }, 'the resource itself is not changed');
  });
});

describe('SCIM projection: an extension named by its schema URN (RFC 7644 §3.10)', () => {
  test('attributes=<URN> returns the whole extension plus id, schemas, meta; excludedAttributes=<URN> drops it', () => {
    const out = projected({ attributes: ENTERPRISE_SCHEMA });
    assert.deepEqual(out[ENTERPRISE_SCHEMA], user[ENTERPRISE_SCHEMA]);
    assert.deepEqual(Object.keys(out).sort(), ['id', 'meta', 'schemas', ENTERPRISE_SCHEMA].sort());
    assert.deepEqual(projected({ attributes: `userName,${ENTERPRISE_SCHEMA.toLowerCase()}` })[ENTERPRISE_SCHEMA], user[ENTERPRISE_SCHEMA], 'any case');
    const dropped = projected({ excludedAttributes: ENTERPRISE_SCHEMA });
    assert.equal(dropped[ENTERPRISE_SCHEMA], undefined);
    assert.equal(dropped.userName, 'ada@example.com');
  });
});

describe('SCIM projection over HTTP', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'proj' }] });
  });
  after(() => app.close());

  test('excludedAttributes=members.display keeps the members (without display); excludedAttributes=members drops them', async () => {
    const u = await scimRequest(app, 'proj', 'POST', '/Users', { userName: 'grace@example.com' });
    assert.equal(u.status, 201);
    const g = await scimRequest(app, 'proj', 'POST', '/Groups', { displayName: 'Ads', members: [{ value: u.body.id, display: 'Grace' }] });
    assert.equal(g.status, 201);
    const one = await scimRequest(app, 'proj', 'GET', `/Groups/${g.body.id}?excludedAttributes=members.display`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.members.map((m: { value: string; display?: string }) => [m.value, m.display]), [[u.body.id, undefined]]);
    const list = await scimRequest(app, 'proj', 'GET', '/Groups?filter=displayName eq "Ads"&excludedAttributes=members.display');
    assert.equal(list.body.Resources[0].members.length, 1);
    assert.equal((await scimRequest(app, 'proj', 'GET', `/Groups/${g.body.id}?excludedAttributes=members`)).body.members, undefined);
  });

  test('attributes=<enterprise URN> on a user, by id and in a list, returns the extension', async () => {
    const u = await scimRequest(app, 'proj', 'POST', '/Users', { userName: 'ext@example.com', [ENTERPRISE_SCHEMA]: { department: 'Legal', employeeNumber: '7' } });
    assert.equal(u.status, 201);
    const one = await scimRequest(app, 'proj', 'GET', `/Users/${u.body.id}?attributes=${encodeURIComponent(ENTERPRISE_SCHEMA)}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body[ENTERPRISE_SCHEMA], { department: 'Legal', employeeNumber: '7' });
    assert.equal(one.body.id, u.body.id);
    assert.equal(one.body.userName, undefined);
    const list = await scimRequest(app, 'proj', 'GET', `/Users?filter=userName eq "ext@example.com"&attributes=${encodeURIComponent(ENTERPRISE_SCHEMA)}`);
    assert.deepEqual(list.body.Resources[0][ENTERPRISE_SCHEMA], { department: 'Legal', employeeNumber: '7' });
  });
});
