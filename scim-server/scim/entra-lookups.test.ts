import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
