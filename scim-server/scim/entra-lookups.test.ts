import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

const newUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER], userName, emails: [{ type: 'work', value: userName, primary: true }], active: true, ...extra,
});

/**
 * The look-ups Entra makes before it writes, as Microsoft's SCIM tutorial shows them
 * (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups):
 * a miss makes Entra POST a second time (409).
 */
describe('SCIM Users: Entra\'s look-up filters', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'h', identityProvider: 'entra' }] });
  });
  after(() => app.close());
  const total = async (filter: string, extra = '') => (await scimRequest(app, 'h', 'GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`)).body.totalResults;

  test('Example 1: an unquoted externalId that looks like a number is matched as sent', async () => {
    assert.equal((await scimRequest(app, 'h', 'POST', '/Users', newUser('n1@example.com', { externalId: '00042' }))).status, 201);
    assert.equal((await scimRequest(app, 'h', 'POST', '/Users', newUser('n2@example.com', { externalId: '12345678901234567890' }))).status, 201);
    assert.equal(await total('externalId eq 00042'), 1);
    assert.equal(await total('externalId eq 12345678901234567890'), 1);
    assert.equal(await total('externalId eq 42'), 0);
  });
});
