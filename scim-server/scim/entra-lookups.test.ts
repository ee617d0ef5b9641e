import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CollectionName } from '../../agent/store/collections.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { ListRange } from '../../agent/store/store.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const newUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER], userName, emails: [{ type: 'work', value: userName, primary: true }], active: true, ...extra,
});

/**
 * The look-ups Entra makes before it writes, as Microsoft's SCIM tutorial shows them
 * (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups):
 * a miss makes Entra POST a second time (409) or re-send the manager.
 */
describe('SCIM Users: Entra\'s look-up filters', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'h', identityProvider: 'entra' }] });
  });
  after(() => app.close());
  const total = async (filter: string, extra = '') => (await scimRequest(app, 'h', 'GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`)).body.totalResults;

  test('Example 4: id eq X and manager eq M finds the user once the manager is set', async () => {
    const manager = (await scimRequest(app, 'h', 'POST', '/Users', newUser('mgr@example.com'))).body;
    const user = (await scimRequest(app, 'h', 'POST', '/Users', newUser('emp@example.com'))).body;
    const set = await scimRequest(app, 'h', 'PATCH', `/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'manager', value: [{ $ref: null, value: manager.id }] }] });
    assert.ok(set.status === 200 || set.status === 204, JSON.stringify(set.body));
    assert.equal(await total(`id eq "${user.id}" and manager eq "${manager.id}"`, '&attributes=id'), 1);
    assert.equal(await total(`id eq "${user.id}" and manager eq "${user.id}"`, '&attributes=id'), 0);
  });

  test('Example 1: an unquoted externalId that looks like a number is matched as sent', async () => {
    assert.equal((await scimRequest(app, 'h', 'POST', '/Users', newUser('n1@example.com', { externalId: '00042' }))).status, 201);
    assert.equal((await scimRequest(app, 'h', 'POST', '/Users', newUser('n2@example.com', { externalId: '12345678901234567890' }))).status, 201);
    assert.equal(await total('externalId eq 00042'), 1);
    assert.equal(await total('externalId eq 12345678901234567890'), 1);
    assert.equal(await total('externalId eq 42'), 0);
  });
});

/** A memory store that counts whole-partition listings of directory users. */
class ScanCountingStore extends MemoryStore {
  userScans = 0;
  override list<C extends CollectionName>(collection: C, partition: string, range?: ListRange) {
    if (collection === 'directoryUsers') this.userScans++;
    return super.list(collection, partition, range);
  }
}

/**
 * With an email as the matching attribute, Entra asks `emails[type eq "work"].value eq "…"` once
 * for every user it provisions (and Test Connection asks it with a random GUID): each must be an
 * index read, not a scan of the hub's whole directory (Okta waits 60 s, Entra's cycle multiplies it).
 */
describe('SCIM Users: an email look-up reads the email index', () => {
  let app: ScimTestApp;
  let store: ScanCountingStore;
  before(async () => {
    store = new ScanCountingStore();
    app = await startScimApp({ hubs: [{ id: 'h', identityProvider: 'entra' }, { id: 'other' }], store });
  });
  after(() => app.close());
  const ids = async (hub: string, filter: string) => (await scimRequest(app, hub, 'GET', `/Users?filter=${encodeURIComponent(filter)}`)).body.Resources.map((u: any) => u.userName);

  test('work email, any email, with "and"; the filter still decides (type, case, other hubs, deactivated users)', async () => {
    const home = { emails: [{ type: 'work', value: 'ann@example.com', primary: true }, { type: 'home', value: 'ann.home@example.com' }] };
    assert.equal((await scimRequest(app, 'h', 'POST', '/Users', newUser('ann@example.com', home))).status, 201);
    assert.equal((await scimRequest(app, 'h', 'POST', '/Users', newUser('bob@example.com', { active: false }))).status, 201);
    assert.equal((await scimRequest(app, 'other', 'POST', '/Users', newUser('ann@example.com'))).status, 201);
    store.userScans = 0;
    assert.deepEqual(await ids('h', 'emails[type eq "work"].value eq "ANN@example.com"'), ['ann@example.com']);
    assert.deepEqual(await ids('h', 'emails[type eq "work"].value eq "ann.home@example.com"'), [], 'a home email is not the work one');
    assert.deepEqual(await ids('h', 'emails[type eq "home"].value eq "ann.home@example.com"'), ['ann@example.com']);
    assert.deepEqual(await ids('h', 'emails.value eq "bob@example.com" and active eq false'), ['bob@example.com'], 'a deactivated user is still found');
    assert.deepEqual(await ids('h', 'emails eq "bob@example.com"'), ['bob@example.com']);
    assert.deepEqual(await ids('h', `emails[type eq "work"].value eq "${crypto.randomUUID()}"`), [], 'Test Connection: 200, empty');
    assert.equal(store.userScans, 0, 'no look-up listed the directory');
    // A filter that does not pin an email still scans, and still answers.
    assert.deepEqual(await ids('h', 'emails[type eq "work"].value co "ann"'), ['ann@example.com']);
    assert.equal(store.userScans, 1);
  });
});
