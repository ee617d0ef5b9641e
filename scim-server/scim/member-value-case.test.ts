import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * Group `members.value` is "caseExact": false (RFC 7643 §8.7.1): a removal naming a member's id
 * in another case takes that member out, in Entra's value-list shape as in the filter shape
 * (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups),
 * rather than being answered 204 and leaving the person in the group (patch/apply.ts removalKey).
 */
describe('SCIM Groups: removing a member named in another case', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'h', identityProvider: 'entra' }] });
  });
  after(() => app.close());

  const member = async (userName: string) => (await scimRequest(app, 'h', 'POST', '/Users', { schemas: [USER], userName, emails: [{ type: 'work', value: userName, primary: true }], active: true })).body.id as string;

  test('Entra\'s Remove with a value list, and members[value eq …], take the member out', async () => {
    const ann = await member('ann@example.com');
    const bob = await member('bob@example.com');
    const kept = await member('kim@example.com');
    const group = (await scimRequest(app, 'h', 'POST', '/Groups', { schemas: [GROUP], displayName: 'Sales', members: [{ value: ann }, { value: bob }, { value: kept }] })).body;
    const byList = await scimRequest(app, 'h', 'PATCH', `/Groups/${group.id}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: ann.toUpperCase() }] }] });
    assert.equal(byList.status, 204, JSON.stringify(byList.body));
    const byFilter = await scimRequest(app, 'h', 'PATCH', `/Groups/${group.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${bob.toUpperCase()}"]` }] });
    assert.equal(byFilter.status, 204, JSON.stringify(byFilter.body));
    const after = (await scimRequest(app, 'h', 'GET', `/Groups/${group.id}`)).body;
    assert.deepEqual(after.members.map((m: { value: string }) => m.value), [kept]);
  });
});
