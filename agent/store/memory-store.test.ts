import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory-store.ts';

// Index upkeep only touches keys that changed (memory-store.ts keyDiff); these check that every
// shape of change still leaves each lookup exactly right.
declare module './collections.ts' {
  interface Collections {
    indexTestTeams: { id: string; members: string[] };
  }
}

const ids = async (store: MemoryStore, member: string) => (await store.lookup('indexTestTeams', 'team.member', member)).map((t) => t.id).sort();

async function storeWith(...teams: Array<[string, string[]]>): Promise<MemoryStore> {
  const store = new MemoryStore();
  store.defineIndex('indexTestTeams', 'team.member', (t) => t.members);
  await store.transact((tx) => {
    for (const [id, members] of teams) tx.put('indexTestTeams', 'hub', id, { id, members });
  });
  return store;
}

const put = (store: MemoryStore, id: string, members: string[]) => store.transact((tx) => tx.put('indexTestTeams', 'hub', id, { id, members }));

describe('MemoryStore index upkeep', () => {
  test('appending members adds only them and keeps the old ones', async () => {
    const store = await storeWith(['t1', ['a', 'b']], ['t2', ['b']]);
    await put(store, 't1', ['a', 'b', 'c', 'd']);
    assert.deepEqual(await ids(store, 'a'), ['t1']);
    assert.deepEqual(await ids(store, 'b'), ['t1', 't2']);
    assert.deepEqual(await ids(store, 'd'), ['t1']);
  });

  test('removing, reordering and replacing members drops exactly the gone keys', async () => {
    const store = await storeWith(['t1', ['a', 'b', 'c']], ['t2', ['c']]);
    await put(store, 't1', ['c', 'x', 'a']);
    assert.deepEqual(await ids(store, 'b'), []);
    assert.deepEqual(await ids(store, 'a'), ['t1']);
    assert.deepEqual(await ids(store, 'c'), ['t1', 't2']);
    assert.deepEqual(await ids(store, 'x'), ['t1']);
    await put(store, 't1', []);
    assert.deepEqual(await ids(store, 'c'), ['t2']);
    assert.deepEqual(await ids(store, 'x'), []);
    await put(store, 't1', ['b']);
    assert.deepEqual(await ids(store, 'b'), ['t1']);
  });

  test('a key listed twice stays filed while the record still lists it; delete removes all', async () => {
    const store = await storeWith(['t1', ['a', 'a', 'b']]);
    await put(store, 't1', ['a', 'b', 'b']);
    assert.deepEqual(await ids(store, 'a'), ['t1']);
    assert.deepEqual(await ids(store, 'b'), ['t1']);
    await store.transact((tx) => tx.delete('indexTestTeams', 'hub', 't1'));
    assert.deepEqual(await ids(store, 'a'), []);
    assert.deepEqual(await ids(store, 'b'), []);
  });

  test('a redefined index refiles records under its new keys', async () => {
    const store = await storeWith(['t1', ['a']]);
    store.defineIndex('indexTestTeams', 'team.member', (t) => t.members.map((m) => m.toUpperCase()));
    await put(store, 't1', ['b']);
    assert.deepEqual(await ids(store, 'A'), []);
    assert.deepEqual(await ids(store, 'B'), ['t1']);
  });
});
