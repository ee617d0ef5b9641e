import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { suiteStores } from '../../test/suite-stores.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

/**
 * Okta's import pages with `startIndex += 100` until `totalResults`, and needs the order stable
 * across pages (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/): users and
 * groups written while it pages (a deactivation, a profile PUT, a membership PATCH, a new user)
 * must not move, or one is read twice and another never.
 */
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };
const HUB = 'import';

for (const kind of await suiteStores('memory', 'lowdb', 'postgres')) describe(`Okta import paging while writes land (${kind.kind})`, { skip: kind.skip }, () => {
  let app: ScimTestApp;
  let dispose: () => Promise<void>;
  const send = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, OKTA);
  before(async () => {
    const opened = await kind.open();
    dispose = opened.dispose;
    app = await startScimApp({ hubs: [{ id: HUB, identityProvider: 'okta' }], store: opened.store });
  });
  after(async () => {
    await app.close();
    await dispose();
  });

  test('users: each read once, whatever is written between pages', async () => {
    for (let i = 0; i < 7; i++) {
      const r = await send('POST', '/Users', { schemas: [USER], userName: `imp${i}@okta.local`, name: { givenName: 'I', familyName: `${i}` }, emails: [{ primary: true, value: `imp${i}@okta.local`, type: 'work' }], active: true });
      assert.equal(r.status, 201, r.text);
    }
    const seen: string[] = [];
    const first = (await send('GET', '/Users?startIndex=1&count=3')).body;
    seen.push(...first.Resources.map((u: any) => u.id));
    // Written between the pages: the first user of page 1 deactivated and PUT, the second PATCHed.
    const [a, b] = first.Resources;
    assert.equal((await send('PATCH', `/Users/${a.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] })).status, 200);
    const got = (await send('GET', `/Users/${a.id}`)).body;
    assert.equal((await send('PUT', `/Users/${a.id}`, { ...got, title: 'Imported' })).status, 200);
    assert.equal((await send('PATCH', `/Users/${b.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { displayName: 'Renamed' } }] })).status, 200);
    for (let start = 4; start <= first.totalResults; start += 3) seen.push(...(await send('GET', `/Users?startIndex=${start}&count=3`)).body.Resources.map((u: any) => u.id));
    assert.equal(seen.length, 7, 'no user read twice');
    assert.equal(new Set(seen).size, 7, 'every user read');
  });

  test('groups: each read once while membership PATCHes and a rename land', async () => {
    const users = (await send('GET', '/Users?startIndex=1&count=100')).body.Resources.map((u: any) => u.id as string);
    for (let i = 0; i < 5; i++) assert.equal((await send('POST', '/Groups', { schemas: [GROUP], displayName: `Imp ${i}`, members: [] })).status, 201);
    const seen: string[] = [];
    const first = (await send('GET', '/Groups?startIndex=1&count=2')).body;
    seen.push(...first.Resources.map((g: any) => g.id));
    for (const g of first.Resources) {
      const r = await send('PATCH', `/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: g.id, displayName: `${g.displayName} (renamed)` } }, { op: 'add', path: 'members', value: [{ value: users[0] }] }] });
      assert.equal(r.status, 200, r.text);
    }
    for (let start = 3; start <= first.totalResults; start += 2) seen.push(...(await send('GET', `/Groups?startIndex=${start}&count=2`)).body.Resources.map((g: any) => g.id));
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
  });
});
