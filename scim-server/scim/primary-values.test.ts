import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const newUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER], userName, emails: [{ type: 'work', value: userName, primary: true }], active: true, ...extra,
});

/** The primary email decides where a person's invite goes: one primary, and the newest wins. */
describe('SCIM Users: one primary value per attribute (RFC 7643 §2.4, RFC 7644 §3.5.2)', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'h', identityProvider: 'entra' }] });
  });
  after(() => app.close());
  const stored = async (id: string) => (await app.store.get('directoryUsers', 'h', id)) as DirectoryUserRecord;
  const primaries = (u: DirectoryUserRecord) => (u.scim.emails as Array<{ value: string; primary?: boolean }>).filter((e) => e.primary === true).map((e) => e.value);

  test('PATCH adding a primary email demotes the old one, and the invite email follows', async () => {
    const u = (await scimRequest(app, 'h', 'POST', '/Users', newUser('old@example.com'))).body;
    const r = await scimRequest(app, 'h', 'PATCH', `/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'home', primary: true }] }] });
    assert.ok(r.status === 200 || r.status === 204, JSON.stringify(r.body));
    const after = await stored(u.id);
    assert.deepEqual(primaries(after), ['new@example.com']);
    assert.equal(after.email, 'new@example.com');
  });

  test('PATCH replacing emails[type eq "home"].primary moves the primary back and forth', async () => {
    const u = (await scimRequest(app, 'h', 'POST', '/Users', newUser('w@example.com', { emails: [{ type: 'work', value: 'w@example.com', primary: true }, { type: 'home', value: 'h@example.com' }] }))).body;
    await scimRequest(app, 'h', 'PATCH', `/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'emails[type eq "home"].primary', value: 'True' }] });
    assert.equal((await stored(u.id)).email, 'h@example.com');
    assert.deepEqual(primaries(await stored(u.id)), ['h@example.com']);
    await scimRequest(app, 'h', 'PATCH', `/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "work"].primary', value: true }] });
    assert.equal((await stored(u.id)).email, 'w@example.com');
    assert.deepEqual(primaries(await stored(u.id)), ['w@example.com']);
  });

  test('PATCH creating a value its filter pins primary (no value matched) demotes the old primary', async () => {
    const u = (await scimRequest(app, 'h', 'POST', '/Users', newUser('pin@example.com'))).body;
    const r = await scimRequest(app, 'h', 'PATCH', `/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'emails[type eq "home" and primary eq "True"].value', value: 'pinned@example.com' }] });
    assert.ok(r.status === 200 || r.status === 204, JSON.stringify(r.body));
    const after = await stored(u.id);
    assert.deepEqual(primaries(after), ['pinned@example.com']);
    assert.equal(after.email, 'pinned@example.com');
  });

  test('POST or PUT with two primary values → 400 invalidValue, nothing stored', async () => {
    const two = { emails: [{ type: 'work', value: 'a@example.com', primary: true }, { type: 'home', value: 'b@example.com', primary: 'True' }] };
    const post = await scimRequest(app, 'h', 'POST', '/Users', newUser('two@example.com', two));
    assert.equal(post.status, 400);
    assert.deepEqual(post.body.schemas, [ERROR]);
    assert.equal(post.body.scimType, 'invalidValue');
    assert.match(post.body.detail, /emails: primary may be true on one value only/);
    assert.equal((await scimRequest(app, 'h', 'GET', `/Users?filter=${encodeURIComponent('userName eq "two@example.com"')}`)).body.totalResults, 0);

    const u = (await scimRequest(app, 'h', 'POST', '/Users', newUser('put@example.com'))).body;
    const put = await scimRequest(app, 'h', 'PUT', `/Users/${u.id}`, newUser('put@example.com', { phoneNumbers: [{ value: '1', primary: true }, { value: '2', primary: true }] }));
    assert.equal(put.status, 400);
    assert.equal(put.body.scimType, 'invalidValue');
    assert.equal((await stored(u.id)).version, 1);
  });
});
