import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory-store.ts';
import type { Change } from './store.ts';

// Index upkeep only touches keys that changed (memory-store.ts keyDiff); these check that every
// shape of change still leaves each lookup exactly right.
declare module './collections.ts' {
  interface Collections {
    indexTestTeams: { id: string; members: string[] };
    heldTestItems: { id: string; n: number };
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

/** A store whose durable writes wait for the test: it makes them durable, or fails and reverts them. */
class HeldPersist extends MemoryStore {
  private held: Array<{ changes: readonly Change[]; before: readonly unknown[]; resolve: () => void; reject: (err: Error) => void }> = [];

  protected override persist(changes: readonly Change[], before: readonly unknown[]): Promise<void> {
    return new Promise((resolve, reject) => this.held.push({ changes, before, resolve, reject }));
  }

  durable(): void {
    for (const h of this.held.splice(0)) h.resolve();
  }

  /** As a durable store does when a write fails: every held write is undone, newest first, and rejected. */
  fail(): void {
    const failed = this.held.splice(0);
    for (const h of [...failed].reverse()) this.revert(h.changes, h.before);
    for (const h of failed) h.reject(new Error('disk refused the write'));
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('MemoryStore: a transaction is acknowledged only once what it read is durable', () => {
  test('one with no writes waits for the writes in flight, and fails with them', async () => {
    const store = new HeldPersist();
    const exists = () => store.transact(async (tx) => (await tx.get('heldTestItems', 'h', 'a')) !== undefined);
    assert.equal(await exists(), false, 'nothing in flight: resolved at once');
    const first = store.transact((tx) => tx.put('heldTestItems', 'h', 'a', { id: 'a', n: 1 }));
    let answered: boolean | undefined;
    const read = exists().then((v) => (answered = v));
    await tick();
    assert.equal(answered, undefined, 'not before the write it read is durable');
    store.durable();
    await first;
    assert.equal(await read, true);

    const second = store.transact((tx) => tx.put('heldTestItems', 'h', 'b', { id: 'b', n: 1 }));
    second.catch(() => {});
    const readB = store.transact(async (tx) => (await tx.get('heldTestItems', 'h', 'b')) !== undefined);
    await tick();
    store.fail();
    await assert.rejects(second, /disk refused/);
    await assert.rejects(readB, /disk refused/);
  });

  test('one running when a write is reverted is refused, with nothing applied', async () => {
    const store = new HeldPersist();
    const first = store.transact((tx) => tx.put('heldTestItems', 'h', 'a', { id: 'a', n: 1 }));
    first.catch(() => {});
    let go!: () => void;
    const going = new Promise<void>((r) => (go = r));
    const derived = store.transact(async (tx) => {
      const a = await tx.get('heldTestItems', 'h', 'a');
      await going;
      tx.put('heldTestItems', 'h', 'b', { id: 'b', n: (a?.n ?? 0) + 1 });
    });
    await tick();
    store.fail();
    go();
    await assert.rejects(derived, /may have read was undone/);
    assert.equal(await store.get('heldTestItems', 'h', 'b'), undefined);
    assert.equal(await store.get('heldTestItems', 'h', 'a'), undefined);
  });
});
