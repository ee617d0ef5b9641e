import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** "josé" precomposed (U+00E9, NFC) and decomposed ("e" + U+0301, NFD): the same name (RFC 7643 §9.4). */
const NFC = 'jos\u00e9';
const NFD = 'jose\u0301';

describe('SCIM: names compared whatever their Unicode normalization form', () => {
  let app: ScimTestApp;
  let decomposed: string;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'h', identityProvider: 'okta' }] });
    const created = await scimRequest(app, 'h', 'POST', '/Users', { schemas: [USER], userName: `${NFD}@example.com`, displayName: `${NFD} Díaz`, emails: [{ value: `${NFD}@example.com`, primary: true }] });
    assert.equal(created.status, 201);
    decomposed = created.body.id;
  });
  after(() => app.close());

  test("Okta's lookup-then-create: userName eq in the other form finds the user, and the create is a 409", async () => {
    const found = await scimRequest(app, 'h', 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${NFC.toUpperCase()}@example.com"`)}&startIndex=1&count=100`);
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.Resources.map((u: { id: string }) => u.id), [decomposed]);
    // The scan path (no index: `sw`) and the displayName index agree.
    const sw = await scimRequest(app, 'h', 'GET', `/Users?filter=${encodeURIComponent(`userName sw "${NFC}"`)}`);
    assert.equal(sw.body.totalResults, 1);
    const byName = await scimRequest(app, 'h', 'GET', `/Users?filter=${encodeURIComponent(`displayName eq "${NFC} Díaz"`)}`);
    assert.equal(byName.body.totalResults, 1);
    const dup = await scimRequest(app, 'h', 'POST', '/Users', { schemas: [USER], userName: `${NFC}@example.com`, emails: [{ value: `${NFC}@example.com`, primary: true }] });
    assert.equal(dup.status, 409, dup.text);
    assert.equal(dup.body.scimType, 'uniqueness');
    assert.equal(dup.body.status, '409');
  });

  test('a rename onto another user\'s name in the other form is a 409; the user\'s own name in the other form is not', async () => {
    const other = await scimRequest(app, 'h', 'POST', '/Users', { schemas: [USER], userName: 'other@example.com' });
    assert.equal(other.status, 201);
    const clash = await scimRequest(app, 'h', 'PATCH', `/Users/${other.body.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'userName', value: `${NFC}@example.com` }] });
    assert.equal(clash.status, 409, clash.text);
    const own = await scimRequest(app, 'h', 'PATCH', `/Users/${decomposed}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'userName', value: `${NFC}@example.com` }] });
    assert.equal(own.status, 204, own.text);
  });

  test('group displayName: unique and found whatever the form', async () => {
    assert.equal((await scimRequest(app, 'h', 'POST', '/Groups', { schemas: [GROUP], displayName: `Café ${NFD}` })).status, 201);
    const dup = await scimRequest(app, 'h', 'POST', '/Groups', { schemas: [GROUP], displayName: `Café ${NFC}` });
    assert.equal(dup.status, 409, dup.text);
    const found = await scimRequest(app, 'h', 'GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "café ${NFC}"`)}`);
    assert.equal(found.body.totalResults, 1);
  });

  test('group displayName is compared as sent, surrounding spaces included: "Sales" and "Sales " are two groups, each found by its own name', async () => {
    // Not trimmed: RFC 7643 folds no whitespace (caseExact, §2.2, is about case; §8.7.1 does not
    // even make the name unique, Entra asks that), and the IdP's group name is kept as sent. A 409 for "Sales " would leave Okta's follow-up `displayName eq "Sales "`
    // finding nothing (the push stuck), and trimming that look-up too would link two IdP groups to
    // one, each full push replacing the other's members. Teams match names untrimmed (groupKey).
    for (const displayName of ['Sales', 'Sales ']) assert.equal((await scimRequest(app, 'h', 'POST', '/Groups', { schemas: [GROUP], displayName })).status, 201, JSON.stringify(displayName));
    for (const displayName of ['Sales', 'Sales ']) {
      const found = await scimRequest(app, 'h', 'GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`);
      assert.deepEqual(found.body.Resources.map((g: { displayName: string }) => g.displayName), [displayName]);
    }
  });
});
