import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CollectionName } from '../../agent/store/collections.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { ListRange } from '../../agent/store/store.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** Records every whole-partition read, so a test can say a look-up read none. */
class ListRecordingStore extends MemoryStore {
  readonly lists: Array<{ collection: string; partition: string; range?: ListRange }> = [];
  override list<C extends CollectionName>(collection: C, partition: string, range?: ListRange) {
    this.lists.push({ collection, partition, range });
    return super.list(collection, partition, range);
  }
}

/**
 * The groups of one user, `members[value eq …]` (a filter the SCIM checklist both IdPs are held to
 * names, https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups):
 * answered from the members index, not a read of the hub's every group, which went in the hub's
 * scan turns (two at a time, then 429 with Retry-After).
 */
describe('SCIM Groups: a user\'s groups by members filter', () => {
  let app: ScimTestApp;
  let store: ListRecordingStore;
  const users: string[] = [];
  const groups: Record<string, string> = {};
  before(async () => {
    store = new ListRecordingStore();
    app = await startScimApp({ hubs: [{ id: 'mem', identityProvider: 'entra' }, { id: 'other', identityProvider: 'entra' }], store });
    for (let i = 0; i < 3; i++) users.push((await scimRequest(app, 'mem', 'POST', '/Users', { schemas: [USER], userName: `m${i}@example.com` })).body.id);
    const made = async (displayName: string, members: string[]) => {
      const reply = await scimRequest(app, 'mem', 'POST', '/Groups', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
      assert.equal(reply.status, 201, reply.text);
      groups[displayName] = reply.body.id;
    };
    await made('Sales', [users[0]!, users[1]!]);
    await made('Ads', [users[0]!]);
    await made('Ops', [users[2]!]);
    // Another hub's group naming the same id is not this hub's.
    const elsewhere = (await scimRequest(app, 'other', 'POST', '/Users', { schemas: [USER], userName: 'x@example.com' })).body.id;
    await store.transact((tx) => tx.put('directoryGroups', 'other', 'g-x', { hubId: 'other', id: 'g-x', displayName: 'X', members: [{ value: users[0]! }, { value: elsewhere }], scim: {}, created: '2026-01-01T00:00:00Z', lastModified: '2026-01-01T00:00:00Z', version: 1 }));
  });
  after(() => app.close());

  const names = async (filter: string, extra = '&excludedAttributes=members') => {
    const reply = await scimRequest(app, 'mem', 'GET', `/Groups?filter=${encodeURIComponent(filter)}${extra}`);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.body.totalResults, reply.body.Resources.length);
    return reply.body.Resources.map((g: { displayName: string }) => g.displayName).sort();
  };

  test('members[value eq], members.value eq and members eq, alone or under "and", in any case: the same groups, and no listing read', async () => {
    store.lists.length = 0;
    assert.deepEqual(await names(`members[value eq "${users[0]}"]`), ['Ads', 'Sales']);
    assert.deepEqual(await names(`members.value eq "${users[1]}"`), ['Sales']);
    assert.deepEqual(await names(`members eq "${users[2]}"`), ['Ops']);
    assert.deepEqual(await names(`MEMBERS[VALUE EQ "${users[0]!.toUpperCase()}"]`), ['Ads', 'Sales']);
    assert.deepEqual(await names(`members[value eq "${users[0]}"] and displayName eq "Ads"`), ['Ads']);
    assert.deepEqual(await names(`externalId pr and members[value eq "${users[0]}"]`), []);
    assert.deepEqual(await names('members[value eq "nobody"]'), []);
    assert.deepEqual(store.lists, []);
  });

  test('the answer is what a scan finds: members shown unless excluded, paging over the matches', async () => {
    const page = await scimRequest(app, 'mem', 'GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${users[0]}"]`)}&startIndex=2&count=1`);
    assert.deepEqual([page.body.totalResults, page.body.startIndex, page.body.itemsPerPage], [2, 2, 1]);
    assert.ok(page.body.Resources[0].members.some((m: { value: string }) => m.value === users[0]));
    // A filter no index serves still reads the hub, and agrees.
    assert.deepEqual(await names(`members[value eq "${users[0]}"] or displayName eq "nothing"`), ['Ads', 'Sales']);
  });
});
