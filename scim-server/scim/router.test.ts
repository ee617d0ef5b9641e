import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FailureLimiter } from '../auth-failures.ts';
import type { CollectionName } from '../../agent/store/collections.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect, type ListRange } from '../../agent/store/store.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const HUB_EXT = 'urn:hubwarden:params:scim:schemas:extension:hub:2.0:User';

const newUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER], userName, name: { givenName: 'G', familyName: 'F' }, emails: [{ type: 'work', value: userName, primary: true }], active: true, ...extra,
});

/** Everything stored for a hub, to prove a rejected request changed nothing. */
async function snapshot(app: ScimTestApp, hubId: string): Promise<string> {
  return JSON.stringify((await collect(app.store.list('directoryUsers', hubId))).concat(await collect(app.store.list('directoryGroups', hubId)) as any, await collect(app.store.list('outbox', hubId)) as any));
}

function assertScimError(reply: { status: number; body: any; headers: Headers }, status: number, scimType?: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.deepEqual(reply.body.schemas, [ERROR]);
  assert.equal(reply.body.status, String(status));
  assert.equal(typeof reply.body.detail, 'string');
  if (scimType) assert.equal(reply.body.scimType, scimType);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
}

describe('SCIM router: bad input', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'alpha', identityProvider: 'okta' }, { id: 'beta' }], failures: new FailureLimiter({ scim: { maxFailures: 1000, windowMs: 60_000 } }) });
    assert.equal((await scimRequest(app, 'alpha', 'POST', '/Users', newUser('taken@example.com'))).status, 201);
  });
  after(() => app.close());

  test('malformed JSON → 400 invalidSyntax, nothing stored', async () => {
    const before = await snapshot(app, 'alpha');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', '{"userName": "x", '), 400, 'invalidSyntax');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', '[1,2]'), 400, 'invalidSyntax');
    assert.equal(await snapshot(app, 'alpha'), before);
  });

  test('wrong content type → 415 with a SCIM body; scim+json accepted even on GET', async () => {
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', JSON.stringify(newUser('ct@example.com')), { 'content-type': 'text/plain' }), 415);
    const get = await scimRequest(app, 'alpha', 'GET', '/Users', undefined, { 'content-type': 'application/scim+json; charset=utf-8' });
    assert.equal(get.status, 200);
  });

  test('body over 1 MB → 413', async () => {
    const huge = newUser('big@example.com', { title: 'x'.repeat(1024 * 1024 + 10) });
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', huge), 413);
    assert.equal((await scimRequest(app, 'alpha', 'GET', '/Users?filter=userName eq "big@example.com"')).body.totalResults, 0);
  });

  test('a group write may be larger (Okta AIW PUTs a group with all its members): 15,000 members in a 1.1 MB PUT are taken; over 16 MB → 413', async () => {
    // On hub beta: the fuzz test below snapshots hub alpha's records around each of its 400
    // requests, and 15,000 more there made it take minutes (a kept-alive connection then idled
    // past the server's keep-alive timeout under load, and a request failed with "fetch failed").
    const at = '2026-12-05T00:00:00.000Z';
    const ids = Array.from({ length: 15_000 }, (_, n) => `big-member-${String(n).padStart(5, '0')}`);
    await app.store.transact((tx) => {
      for (const id of ids) tx.put('directoryUsers', 'beta', id, { hubId: 'beta', id, userName: `${id}@example.com`, active: true, email: `${id}@example.com`, emails: [`${id}@example.com`], scim: {}, created: at, lastModified: at, version: 1 } as never);
    });
    const created = await scimRequest(app, 'beta', 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Everyone (AIW)', members: [] });
    assert.equal(created.status, 201);
    const put = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Everyone (AIW)', members: ids.map((value) => ({ value, display: `${value}@example.com` })) };
    assert.ok(JSON.stringify(put).length > 1024 * 1024, 'the body is over the 1 MB other writes may send');
    const replaced = await scimRequest(app, 'beta', 'PUT', `/Groups/${created.body.id}`, put);
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body).slice(0, 300));
    assert.equal(((await app.store.get('directoryGroups', 'beta', created.body.id)) as { members: unknown[] }).members.length, 15_000);
    const tooLarge = await scimRequest(app, 'beta', 'PUT', `/Groups/${created.body.id}`, { ...put, displayName: 'x'.repeat(17 * 1024 * 1024) });
    assertScimError(tooLarge, 413);
    assert.match(tooLarge.body.detail, /larger than 16777216 bytes/);
  });

  test('unknown hub → 401 as a wrong credential (hub ids cannot be probed); unknown endpoint → 404', async () => {
    // Any token, even one that opens another hub: the answer is the one a configured hub gives a wrong token.
    const unknown = await scimRequest(app, 'nope', 'GET', '/Users', undefined, { authorization: `Bearer ${app.token('alpha')}` });
    assertScimError(unknown, 401);
    const wrong = await scimRequest(app, 'alpha', 'GET', '/Users', undefined, { authorization: 'Bearer not-a-token-of-alpha' });
    assertScimError(wrong, 401);
    assert.equal(unknown.headers.get('www-authenticate'), 'Bearer realm="hubwarden scim nope"');
    assert.equal(unknown.body.detail.replace('nope', 'alpha'), wrong.body.detail, 'nothing tells an unknown hub from a wrong token');
    assertScimError(await scimRequest(app, 'alpha', 'GET', '/Widgets'), 404);
  });

  test('/Bulk and POST /.search → 501 with a SCIM error body (RFC 7644 §3.12), only with a valid token; nothing stored', async () => {
    const before = await snapshot(app, 'alpha');
    const bulk = { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'POST', path: '/Users', bulkId: 'q1', data: newUser('bulk@example.com') }] };
    const search = { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "taken@example.com"' };
    for (const [method, path, body] of [['POST', '/Bulk', bulk], ['GET', '/bulk', undefined], ['POST', '/.search', search], ['POST', '/Users/.search', search], ['POST', '/groups/.search', search]] as const) {
      assertScimError(await scimRequest(app, 'alpha', method, path, body), 501);
      assertScimError(await scimRequest(app, 'alpha', method, path, body, { authorization: 'Bearer not-a-token-of-alpha' }), 401);
    }
    assert.equal(await snapshot(app, 'alpha'), before);
  });

  test('bad filter → 400 invalidFilter; bad startIndex → 400 invalidValue', async () => {
    assertScimError(await scimRequest(app, 'alpha', 'GET', `/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter');
    assertScimError(await scimRequest(app, 'alpha', 'GET', `/Groups?filter=${encodeURIComponent('(displayName eq "a"')}`), 400, 'invalidFilter');
    assertScimError(await scimRequest(app, 'alpha', 'GET', '/Users?startIndex=abc'), 400, 'invalidValue');
    // A parameter given twice, in any case: which one was meant would be a guess.
    assertScimError(await scimRequest(app, 'alpha', 'GET', '/Users?filter=userName%20eq%20%22a%22&filter=userName%20eq%20%22b%22'), 400, 'invalidValue');
    assertScimError(await scimRequest(app, 'alpha', 'GET', '/Users?count=1&Count=2'), 400, 'invalidValue');
  });

  test('wrong attribute types → 400 invalidValue, nothing stored', async () => {
    const before = await snapshot(app, 'alpha');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', newUser('t@example.com', { active: 'perhaps' })), 400, 'invalidValue');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', { ...newUser('t@example.com'), userName: 42 }), 400, 'invalidValue');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', newUser('t@example.com', { emails: 'a@b.c' })), 400, 'invalidValue');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', newUser('t@example.com', { name: 'Ada' })), 400, 'invalidValue');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Groups', { displayName: ['x'] }), 400, 'invalidValue');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', { name: { givenName: 'no userName' } }), 400, 'invalidValue');
    assert.equal(await snapshot(app, 'alpha'), before);
  });

  test('duplicate userName (any case) → 409 uniqueness; duplicate group displayName → 409', async () => {
    const before = await snapshot(app, 'alpha');
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Users', newUser('TAKEN@Example.COM')), 409, 'uniqueness');
    assert.equal(await snapshot(app, 'alpha'), before);
    assert.equal((await scimRequest(app, 'alpha', 'POST', '/Groups', { displayName: 'Meta Admins' })).status, 201);
    assertScimError(await scimRequest(app, 'alpha', 'POST', '/Groups', { displayName: 'meta admins' }), 409, 'uniqueness');
    // The same userName in another hub is another person.
    assert.equal((await scimRequest(app, 'beta', 'POST', '/Users', newUser('taken@example.com'))).status, 201);
  });

  test('PATCH add or replace without a "value" member → 400 invalidValue; the group keeps its members', async () => {
    const member = (await scimRequest(app, 'alpha', 'POST', '/Users', newUser('kept@example.com'))).body.id;
    const gid = (await scimRequest(app, 'alpha', 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Keeps members', members: [{ value: member }] })).body.id;
    const before = await snapshot(app, 'alpha');
    // RFC 7644 §3.5.2.3: a replace "MUST contain a value member"; read as no value, it emptied the group.
    for (const op of ['replace', 'Replace', 'add']) {
      assertScimError(await scimRequest(app, 'alpha', 'PATCH', `/Groups/${gid}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op, path: 'members' }] }), 400, 'invalidValue');
    }
    assertScimError(await scimRequest(app, 'alpha', 'PATCH', `/Users/${member}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName' }] }), 400, 'invalidValue');
    assert.equal(await snapshot(app, 'alpha'), before);
    // A remove needs no value, and an explicit null still clears (RFC 7643 §2.5).
    assert.equal((await scimRequest(app, 'alpha', 'PATCH', `/Groups/${gid}`, { Operations: [{ op: 'remove', path: `members[value eq "${member}"]` }] })).status, 204);
  });

  test('ids of any shape that do not exist → 404 on GET, PUT, PATCH, DELETE', async () => {
    for (const id of ['00919288221112222', 'x'.repeat(300), 'weird%20id', '%E2%9C%93', '..%2F..%2Fetc', 'null', '-1']) {
      for (const kind of ['Users', 'Groups']) {
        assertScimError(await scimRequest(app, 'alpha', 'GET', `/${kind}/${id}`), 404);
        assertScimError(await scimRequest(app, 'alpha', 'DELETE', `/${kind}/${id}`), 404);
        assertScimError(await scimRequest(app, 'alpha', 'PATCH', `/${kind}/${id}`, { Operations: [{ op: 'replace', value: { active: false } }] }), 404);
        assertScimError(await scimRequest(app, 'alpha', 'PUT', `/${kind}/${id}`, newUser('p@example.com', { displayName: 'p' })), 404);
        // A body this server would refuse does not turn the unknown id into a 400.
        assertScimError(await scimRequest(app, 'alpha', 'PUT', `/${kind}/${id}`, { userName: 5, displayName: 5, members: 'x' }), 404);
      }
    }
  });

  test('fuzzed bodies never produce a 500 and rejected ones change nothing', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const junk = (): unknown => pick<() => unknown>([
      () => null, () => 1, () => -0.5, () => true, () => 'False', () => '', () => 'x', () => [], () => {}, () => [null],
      () => ({ value: pick([1, 'a', null, {}]) }), () => [{ value: {} }], () => [{ type: 'work' }], () => '{"value":1}', () => ({ nested: { deeper: [] } }),
    ])();
    const keys = ['userName', 'active', 'emails', 'name', 'displayName', 'members', 'roles', 'manager', 'externalId', 'id', 'schemas', 'meta', 'name.givenName',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'emails[type eq "work"].value', 'members[value eq "x"]', 'password', 'groups', '$ref', 'Operations'];
    const created = await scimRequest(app, 'alpha', 'POST', '/Users', newUser('fuzz@example.com'));
    const group = await scimRequest(app, 'alpha', 'POST', '/Groups', { displayName: 'Fuzz', members: [{ value: created.body.id }] });
    for (let i = 0; i < 400; i++) {
      const obj: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) obj[pick(keys)] = junk();
      const op = { op: pick(['add', 'Replace', 'remove', 'bogus', 5]), path: pick([undefined, ...keys, 'members[value eq', 'emails[type eq "work"]x']), value: rand() < 0.5 ? junk() : obj };
      const [method, path, body] = pick<[string, string, unknown]>([
        ['POST', '/Users', obj], ['POST', '/Groups', obj], ['PUT', `/Users/${created.body.id}`, obj], ['PUT', `/Groups/${group.body.id}`, obj],
        ['PATCH', `/Users/${created.body.id}`, { Operations: [op] }], ['PATCH', `/Groups/${group.body.id}`, { Operations: [op, op] }],
        ['PATCH', `/Users/${created.body.id}`, obj],
      ]);
      const before = await snapshot(app, 'alpha');
      const reply = await scimRequest(app, 'alpha', method, path, body);
      assert.ok(reply.status < 500, `${method} ${path} ${JSON.stringify(body)} → ${reply.status} ${reply.text}`);
      if (reply.status >= 400) assert.equal(await snapshot(app, 'alpha'), before, `${method} ${path} ${JSON.stringify(body)} was rejected but changed the store`);
    }
  });

  test('deeply nested or huge values are rejected with a short detail, never a 500', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const reply = await scimRequest(app, 'alpha', 'POST', '/Users', `{"userName": ${deep}}`);
    assertScimError(reply, 400, 'invalidValue');
    assert.ok(reply.body.detail.length < 200, reply.body.detail.slice(0, 300));
    const patch = await scimRequest(app, 'alpha', 'PATCH', `/Users/${(await scimRequest(app, 'alpha', 'GET', '/Users')).body.Resources[0].id}`, `{"Operations":[{"op":"replace","value":{"displayName":${deep}}}]}`);
    assertScimError(patch, 400, 'invalidValue');
  });

  test('responses: scim+json, meta with absolute location and ETag, no password echoed', async () => {
    const reply = await scimRequest(app, 'alpha', 'POST', '/Users', newUser('meta@example.com', { password: 's3cret!' }));
    assert.equal(reply.status, 201);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.equal(reply.body.meta.resourceType, 'User');
    assert.match(reply.body.meta.location, /^https?:\/\/[^/]+\/scim\/v2\/hubs\/alpha\/Users\//);
    assert.equal(reply.headers.get('location'), reply.body.meta.location);
    // The record's version, then the hub extension's tag (resources/user-version.ts).
    assert.match(reply.body.meta.version, /^W\/"1-[A-Za-z0-9_-]+"$/);
    assert.equal(reply.headers.get('etag'), reply.body.meta.version);
    assert.ok(!reply.text.includes('s3cret!'));
    assert.ok(!JSON.stringify(await app.store.get('directoryUsers', 'alpha', reply.body.id)).includes('s3cret!'));
  });
});

describe('SCIM router: lists', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'list' }] });
    for (let i = 1; i <= 7; i++) assert.equal((await scimRequest(app, 'list', 'POST', '/Users', newUser(`u${i}@example.com`, { externalId: `ext-${i}` }))).status, 201);
  });
  after(() => app.close());

  test('startIndex/count page in a stable order, as integers; startIndex<1 is clamped; parameter names in any case', async () => {
    const names: string[] = [];
    for (let start = 1; start <= 7; start += 3) {
      const page = await scimRequest(app, 'list', 'GET', `/users?StartIndex=${start}&COUNT=3`);
      assert.equal(page.body.totalResults, 7);
      assert.equal(page.body.startIndex, start);
      assert.equal(page.body.itemsPerPage, page.body.Resources.length);
      names.push(...page.body.Resources.map((u: any) => u.userName));
    }
    assert.deepEqual(names, [1, 2, 3, 4, 5, 6, 7].map((i) => `u${i}@example.com`));
    const clamped = await scimRequest(app, 'list', 'GET', '/Users?startindex=0&count=2');
    assert.equal(clamped.body.startIndex, 1);
    // Out of range (RFC 7644 §3.4.2.4): startIndex < 1 is 1, a negative count is 0, a count above
    // the maximum is the maximum; past the last result an empty page that echoes an integer (a
    // value of 400 digits is Infinity to JavaScript, which JSON writes as null).
    for (const resource of ['/Users', '/Groups', '/Users?filter=userName pr&']) {
      const q = (query: string) => scimRequest(app, 'list', 'GET', `${resource}${resource.includes('?') ? '' : '?'}${query}`);
      for (const huge of ['99999999999999999999', '9'.repeat(400)]) {
        const past = await q(`startIndex=${huge}&count=${huge}`);
        assert.equal(past.status, 200, JSON.stringify(past.body));
        assert.ok(Number.isSafeInteger(past.body.startIndex) && past.body.startIndex > 1, `startIndex ${past.body.startIndex}`);
        assert.deepEqual([past.body.itemsPerPage, past.body.Resources], [0, []]);
      }
      const low = await q(`startIndex=-${'9'.repeat(400)}&count=-${'9'.repeat(400)}`);
      assert.deepEqual([low.status, low.body.startIndex, low.body.itemsPerPage], [200, 1, 0]);
      for (const bad of ['1e400', '1.5', '0x10', 'NaN', 'Infinity']) assertScimError(await q(`startIndex=${bad}`), 400, 'invalidValue');
    }
    assert.equal(clamped.body.Resources[0].userName, 'u1@example.com');
    const empty = await scimRequest(app, 'list', 'GET', `/Users?filter=${encodeURIComponent('externalId eq "nobody"')}`);
    assert.deepEqual([empty.body.totalResults, empty.body.itemsPerPage, empty.body.startIndex, empty.body.Resources], [0, 0, 1, []]);
  });

  test('filters by externalId (quoted or not) and userName in any case; attributes projection', async () => {
    const byExt = await scimRequest(app, 'list', 'GET', '/Users?filter=externalId eq ext-3');
    assert.deepEqual(byExt.body.Resources.map((u: any) => u.userName), ['u3@example.com']);
    const byName = await scimRequest(app, 'list', 'GET', `/Users?filter=${encodeURIComponent('USERNAME eq "U5@EXAMPLE.COM"')}&attributes=userName`);
    assert.deepEqual(Object.keys(byName.body.Resources[0]).sort(), ['id', 'meta', 'schemas', 'userName']);
  });

  test('externalId is not unique (two users may share one, a filter finds both); a client\'s id and meta are ignored', async () => {
    const a = await scimRequest(app, 'list', 'POST', '/Users', newUser('shared-a@example.com', { externalId: 'shared-ext', id: 'client-id', meta: { created: '2000-01-01T00:00:00Z', version: 'W/"99"' } }));
    const b = await scimRequest(app, 'list', 'POST', '/Users', newUser('shared-b@example.com', { externalId: 'shared-ext' }));
    assert.deepEqual([a.status, b.status], [201, 201]);
    assert.notEqual(a.body.id, 'client-id');
    assert.notEqual(a.body.meta.created, '2000-01-01T00:00:00Z');
    assert.match(a.body.meta.version, /^W\/"1-/);
    assert.equal((await scimRequest(app, 'list', 'GET', '/Users/client-id')).status, 404);
    const found = await scimRequest(app, 'list', 'GET', `/Users?filter=${encodeURIComponent('externalId eq "shared-ext"')}`);
    assert.deepEqual(found.body.Resources.map((u: any) => u.id).sort(), [a.body.id, b.body.id].sort());
    for (const id of [a.body.id, b.body.id]) assert.equal((await scimRequest(app, 'list', 'DELETE', `/Users/${id}`)).status, 204);
  });

  test('deactivated users stay readable and filterable', async () => {
    const u = (await scimRequest(app, 'list', 'GET', '/Users?filter=userName eq "u2@example.com"')).body.Resources[0];
    assert.equal((await scimRequest(app, 'list', 'PATCH', `/Users/${u.id}`, { Operations: [{ op: 'replace', value: { active: false } }] })).status, 204);
    const found = await scimRequest(app, 'list', 'GET', '/Users?filter=userName eq "u2@example.com" and active eq false');
    assert.equal(found.body.totalResults, 1);
    assert.equal((await scimRequest(app, 'list', 'GET', `/Users/${u.id}`)).body.active, false);
  });

  test('discovery: ResourceTypes Users first, Schemas with "User Account" and no nulls, serviceConfiguration alias', async () => {
    const rt = await scimRequest(app, 'list', 'GET', '/ResourceTypes');
    assert.equal(rt.body.Resources[0].endpoint, '/Users');
    const schemas = await scimRequest(app, 'list', 'GET', '/Schemas');
    assert.ok(schemas.text.includes('"User Account"'));
    assert.ok(!schemas.text.includes('null'));
    assert.equal((await scimRequest(app, 'list', 'GET', '/serviceConfiguration')).body.patch.supported, true);
    assert.equal((await scimRequest(app, 'list', 'GET', '/ServiceProviderConfig')).body.filter.supported, true);
  });

  test('the hub extension shows the member\'s hub state and ignores writes', async () => {
    const u = (await scimRequest(app, 'list', 'GET', '/Users?filter=userName eq "u4@example.com"')).body.Resources[0];
    assert.deepEqual(u[HUB_EXT], { status: 'not_in_hub' });
    const now = new Date().toISOString();
    await app.store.transact((tx) => {
      tx.put('appMembers', 'list', 'm-4', { hubId: 'list', id: 'm-4', email: 'u4@example.com', role: 'EMPLOYEE', firstSeenAt: now, lastSeenAt: now });
      tx.put('memberMatches', 'list', 'm-4', { hubId: 'list', memberId: 'm-4', outcome: 'onboarded', directoryUserId: u.id, manual: false, at: now });
      tx.put('exemptions', 'list', 'm-4', { hubId: 'list', memberId: 'm-4', reason: 'agency contractor', until: '2999-01-01T00:00:00Z', by: 'owner@example.com', at: now });
    });
    const shown = await scimRequest(app, 'list', 'GET', `/Users/${u.id}`);
    assert.deepEqual(shown.body[HUB_EXT], { status: 'exempted', appRole: 'EMPLOYEE', exemption: { reason: 'agency contractor', until: '2999-01-01T00:00:00Z' } });
    const put = await scimRequest(app, 'list', 'PUT', `/Users/${u.id}`, newUser('u4@example.com', { [HUB_EXT]: { status: 'onboarded', appRole: 'ADMIN' } }));
    assert.equal(put.status, 200);
    assert.equal(put.body[HUB_EXT].appRole, 'EMPLOYEE');
  });
});

describe('SCIM router: versions', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'etag' }] });
  });
  after(() => app.close());

  test('If-Match with a stale version → 412 and nothing changes; the current one applies', async () => {
    const created = await scimRequest(app, 'etag', 'POST', '/Users', newUser('v@example.com'));
    const id = created.body.id;
    const op = { Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }] };
    assertScimError(await scimRequest(app, 'etag', 'PATCH', `/Users/${id}`, op, { 'if-match': 'W/"7"' }), 412);
    assert.equal((await app.store.get('directoryUsers', 'etag', id))!.version, 1);
    assert.equal((await scimRequest(app, 'etag', 'PATCH', `/Users/${id}`, op, { 'if-match': 'W/"1"' })).status, 204);
    assert.equal((await app.store.get('directoryUsers', 'etag', id))!.displayName, 'Changed');
    assertScimError(await scimRequest(app, 'etag', 'DELETE', `/Users/${id}`, undefined, { 'if-match': 'W/"1"' }), 412);
    assert.equal((await scimRequest(app, 'etag', 'DELETE', `/Users/${id}`, undefined, { 'if-match': '*' })).status, 204);
  });
});

/** A memory store that records every `list` call's range (to prove a page reads only that page). */
class ListRecordingStore extends MemoryStore {
  readonly lists: Array<{ collection: string; partition: string; range?: ListRange }> = [];
  override list<C extends CollectionName>(collection: C, partition: string, range?: ListRange) {
    this.lists.push({ collection, partition, range });
    return super.list(collection, partition, range);
  }
}

describe('SCIM router: reads through the asynchronous store', () => {
  let app: ScimTestApp;
  let store: ListRecordingStore;
  before(async () => {
    store = new ListRecordingStore();
    app = await startScimApp({ hubs: [{ id: 'pages' }], store });
  });
  after(() => app.close());

  test('a list without a filter counts and reads only the requested page (startIndex is 1-based)', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) ids.push((await scimRequest(app, 'pages', 'POST', '/Users', newUser(`p${i}@example.com`))).body.id);
    for (let i = 1; i <= 4; i++) assert.equal((await scimRequest(app, 'pages', 'POST', '/Groups', { displayName: `G${i}` })).status, 201);
    store.lists.length = 0;
    const users = await scimRequest(app, 'pages', 'GET', '/Users?startIndex=3&count=2');
    assert.deepEqual([users.body.totalResults, users.body.startIndex, users.body.itemsPerPage], [6, 3, 2]);
    assert.deepEqual(users.body.Resources.map((u: any) => u.id), ids.slice(2, 4));
    const groups = await scimRequest(app, 'pages', 'GET', '/Groups?startIndex=4&count=10');
    assert.deepEqual([groups.body.totalResults, groups.body.itemsPerPage], [4, 1]);
    assert.equal(groups.body.Resources[0].displayName, 'G4');
    assert.deepEqual(store.lists, [
      { collection: 'directoryUsers', partition: 'pages', range: { offset: 2, limit: 2 } },
      { collection: 'directoryGroups', partition: 'pages', range: { offset: 3, limit: 10 } },
    ]);
    // count=0 and a startIndex past the end answer the total without reading a page.
    store.lists.length = 0;
    assert.deepEqual((await scimRequest(app, 'pages', 'GET', '/Users?count=0')).body.totalResults, 6);
    const past = await scimRequest(app, 'pages', 'GET', '/Users?startIndex=50');
    assert.deepEqual([past.body.totalResults, past.body.itemsPerPage], [6, 0]);
    assert.deepEqual(store.lists, []);
  });

  test('an equality filter on an indexed attribute reads no listing', async () => {
    store.lists.length = 0;
    assert.equal((await scimRequest(app, 'pages', 'GET', '/Users?filter=userName eq "P2@example.com"')).body.totalResults, 1);
    assert.equal((await scimRequest(app, 'pages', 'GET', '/Groups?filter=displayName eq "g3"')).body.totalResults, 1);
    assert.deepEqual(store.lists, []);
  });

  test('concurrent writes: one userName taken once; concurrent member adds to one group all survive', async () => {
    const posts = await Promise.all(Array.from({ length: 5 }, () => scimRequest(app, 'pages', 'POST', '/Users', newUser('race@example.com'))));
    assert.deepEqual(posts.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
    const members: string[] = [];
    for (let i = 0; i < 6; i++) members.push((await scimRequest(app, 'pages', 'POST', '/Users', newUser(`m${i}@example.com`))).body.id);
    const group = (await scimRequest(app, 'pages', 'POST', '/Groups', { displayName: 'Race' })).body;
    const adds = await Promise.all(members.map((value) => scimRequest(app, 'pages', 'PATCH', `/Groups/${group.id}`, { Operations: [{ op: 'add', path: 'members', value: [{ value }] }] })));
    assert.deepEqual(adds.map((r) => r.status), members.map(() => 204));
    const stored = (await app.store.get('directoryGroups', 'pages', group.id))!;
    assert.deepEqual(stored.members.map((m) => m.value).sort(), [...members].sort());
    assert.equal(stored.version, 1 + members.length);
  });
});
