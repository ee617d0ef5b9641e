import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { configSchema } from '../../config/schema.ts';
import { MembersIndex } from './members-index.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import '../app-state/records.ts';

const hub = configSchema.parse({ hubs: [{ id: 'h', connector: 'meta-business', meta: { businessId: '1' } }] }).hubs[0];
const at = '2026-11-01T00:00:00.000Z';
const user = (id: string, email: string): DirectoryUserRecord => ({ hubId: 'h', id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });

test('directory bursts are picked up at most once per lag window; snapshot and decisions at once', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => {
    tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', email: 'ann@x.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', 'h', 'm2', { hubId: 'h', id: 'm2', email: 'bob@x.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
  });
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at), 500);
  await new Promise((r) => setTimeout(r, 600)); // the first build is "old" once the window has passed
  assert.equal((await index.get('h', 'm1'))?.status, 'unmatched');
  // A first directory change after a quiet spell shows at once…
  await new Promise((r) => setTimeout(r, 600));
  await store.transact((tx) => tx.put('directoryUsers', 'h', 'u1', user('u1', 'ann@x.com')));
  assert.equal((await index.get('h', 'm1'))?.status, 'onboarded');
  // …the next one within the window waits for it…
  await store.transact((tx) => tx.put('directoryUsers', 'h', 'u2', user('u2', 'bob@x.com')));
  assert.equal((await index.get('h', 'm2'))?.status, 'unmatched');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await index.get('h', 'm2'))?.status, 'onboarded');
  // …while a snapshot change rebuilds at once.
  await store.transact((tx) => tx.delete('appMembers', 'h', 'm2'));
  assert.equal(await index.get('h', 'm2'), undefined);
  index.close();
});

test("an owner's decision re-builds only its row; counts, filters and orders follow", async () => {
  const store = new MemoryStore();
  await store.transact((tx) => {
    for (const [id, email] of [['m1', 'ann@x.com'], ['m2', 'bob@x.com'], ['m3', 'cy@x.com']]) tx.put('appMembers', 'h', id, { hubId: 'h', id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('directoryUsers', 'h', 'u1', user('u1', 'ann@x.com'));
  });
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at));
  assert.deepEqual(await index.counts('h'), { onboarded: 1, invited: 0, lapsed: 0, unmatched: 2, guest: 0, exempted: 0 });
  assert.deepEqual((await index.query('h', { sort: 'status' }))!.items.map((v) => v.id), ['m1', 'm2', 'm3']);
  const before = await index.get('h', 'm3');
  await store.transact((tx) => tx.put('exemptions', 'h', 'm2', { hubId: 'h', memberId: 'm2', reason: 'agency', by: 'owner', at }));
  assert.equal((await index.get('h', 'm2'))?.status, 'exempted');
  assert.equal(await index.get('h', 'm3'), before, 'other rows are kept as they were');
  assert.deepEqual(await index.counts('h'), { onboarded: 1, invited: 0, lapsed: 0, unmatched: 1, guest: 0, exempted: 1 });
  assert.deepEqual((await index.query('h', { status: 'exempted' }))!.items.map((v) => v.id), ['m2']);
  assert.deepEqual((await index.query('h', { sort: 'status' }))!.items.map((v) => v.id), ['m2', 'm1', 'm3']);
  await store.transact((tx) => tx.put('matchDecisions', 'h', 'm3', { hubId: 'h', memberId: 'm3', outcome: 'onboarded', manual: true, directoryUserId: 'u1', at }));
  assert.deepEqual([(await index.get('h', 'm3'))?.status, (await index.get('h', 'm3'))?.directoryUserId], ['onboarded', 'u1']);
  assert.deepEqual(await index.counts('h'), { onboarded: 2, invited: 0, lapsed: 0, unmatched: 0, guest: 0, exempted: 1 });
  index.close();
});

test('concurrent requests for the same hub share one build; a request after a change is not served a build that started before it', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => {
    for (const [id, email] of [['m1', 'ann@x.com'], ['m2', 'bob@x.com']]) tx.put('appMembers', 'h', id, { hubId: 'h', id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
  });
  // Count the builds by their listing of the hub's members; `hold` makes the next listing read
  // everything at once and then wait (a build caught between its reads and its end).
  let builds = 0;
  let hold: { read: () => void; release: Promise<void> } | undefined;
  const list = store.list.bind(store) as (c: string, p: string, range?: unknown) => AsyncIterable<unknown>;
  store.list = ((c: string, p: string, range?: unknown) => {
    if (c !== 'appMembers' || p !== 'h') return list(c, p, range);
    builds++;
    const held = hold;
    hold = undefined;
    if (!held) return list(c, p, range);
    return (async function* () {
      const records: unknown[] = [];
      for await (const r of list(c, p, range)) records.push(r);
      held.read();
      await held.release;
      yield* records;
    })();
  }) as typeof store.list;
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at));
  const [a, b, counts] = await Promise.all([index.get('h', 'm1'), index.query('h', {}), index.counts('h')]);
  assert.equal(builds, 1, 'one build for three requests');
  assert.equal(a?.status, 'unmatched');
  assert.equal(b?.total, 2);
  assert.deepEqual(counts, { onboarded: 0, invited: 0, lapsed: 0, unmatched: 2, guest: 0, exempted: 0 });
  assert.equal((await index.get('h', 'm2'))?.status, 'unmatched');
  assert.equal(builds, 1, 'served from the cache');

  // A snapshot change after a build has read the members: a request made after it is not given
  // that build (it waits for it, then builds again); one made before the change shares it.
  await store.transact((tx) => tx.delete('appMembers', 'h', 'm1')); // invalidates the cache
  let read!: () => void;
  const wasRead = new Promise<void>((r) => { read = r; });
  let release!: () => void;
  hold = { read, release: new Promise<void>((r) => { release = r; }) };
  const early = index.get('h', 'm2'); // starts a build
  const alsoEarly = index.counts('h'); // shares it
  await wasRead;
  await store.transact((tx) => tx.put('appMembers', 'h', 'm3', { hubId: 'h', id: 'm3', email: 'cy@x.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
  const late = index.get('h', 'm3');
  release();
  assert.equal((await early)?.id, 'm2');
  assert.deepEqual(await alsoEarly, { onboarded: 0, invited: 0, lapsed: 0, unmatched: 1, guest: 0, exempted: 0 }, 'the build it shared, read before m3 came');
  assert.equal((await late)?.id, 'm3', 'the member added after the first build read the members is there');
  assert.equal(builds, 3);
  assert.deepEqual(await index.counts('h'), { onboarded: 0, invited: 0, lapsed: 0, unmatched: 2, guest: 0, exempted: 0 });
  assert.equal(builds, 3, 'the second build was kept; the first was not (it was outdated)');
  index.close();
});

test('the views of at most `hubs` hubs are kept, least recently read dropped first; views unread for `idleMs` are dropped', async () => {
  const store = new MemoryStore();
  const hubs = new Map(['a', 'b', 'c'].map((id) => [id, { ...hub, id }]));
  await store.transact((tx) => {
    for (const h of hubs.keys()) tx.put('appMembers', h, 'm1', { hubId: h, id: 'm1', email: `ann@${h}.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
  });
  const index = new MembersIndex(store, () => hubs, () => new Date(at), 2000, { hubs: 2, idleMs: 1_500 });
  await index.counts('a');
  await index.counts('b');
  assert.deepEqual(index.cachedHubs(), ['a', 'b']);
  await index.counts('a'); // read again: b is now the least recently read
  await index.counts('c');
  assert.deepEqual(index.cachedHubs(), ['a', 'c']);
  assert.equal((await index.get('b', 'm1'))?.email, 'ann@b.com', 'a dropped hub is built again when read');
  assert.deepEqual(index.cachedHubs(), ['c', 'b']);
  await new Promise((r) => setTimeout(r, 2_600));
  assert.deepEqual(index.cachedHubs(), [], 'unread for longer than idleMs');
  index.close();
});

test("changes whose notifications a replica missed (its change feed was cut) are seen once the store says so, not only after the next change to the hub", async () => {
  // A shared store's replica: another replica's commits reach `subscribe` listeners only while the
  // feed is connected (`lose` drops them, as a cut LISTEN connection does), then `subscribeMissed`.
  class Replica extends MemoryStore {
    lose = false;
    private readonly missed = new Set<() => void>();
    override subscribe(listener: Parameters<MemoryStore['subscribe']>[0]): () => void {
      return super.subscribe((changes) => { if (!this.lose) listener(changes); });
    }
    subscribeMissed(listener: () => void): () => void {
      this.missed.add(listener);
      return () => this.missed.delete(listener);
    }
    resumed(): void {
      for (const l of this.missed) l();
    }
  }
  const store = new Replica();
  await store.transact((tx) => tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', email: 'ann@x.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at));
  assert.deepEqual(await index.counts('h'), { onboarded: 0, invited: 0, lapsed: 0, unmatched: 1, guest: 0, exempted: 0 });
  store.lose = true;
  await store.transact((tx) => tx.put('appMembers', 'h', 'm2', { hubId: 'h', id: 'm2', email: 'bob@x.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
  store.lose = false;
  assert.equal((await index.counts('h'))?.unmatched, 1, 'not told: the cached view (what the test double models)');
  store.resumed();
  assert.deepEqual(await index.counts('h'), { onboarded: 0, invited: 0, lapsed: 0, unmatched: 2, guest: 0, exempted: 0 });
  assert.equal((await index.get('h', 'm2'))?.email, 'bob@x.com');
  index.close();
});

test('a page read after a cursor starts after its row, whatever was added or removed before it; a cursor of another order is refused', async () => {
  const store = new MemoryStore();
  const put = (id: string, email: string, name: string) => store.transact((tx) => tx.put('appMembers', 'h', id, { hubId: 'h', id, email, name, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
  for (const [id, email, name] of [['m1', 'ann@x.com', 'Zed'], ['m2', 'bob@x.com', 'Yves'], ['m3', 'cy@x.com', 'Yves'], ['m4', 'dee@x.com', 'Abe']]) await put(id, email, name);
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at));
  const first = (await index.query('h', { sort: '-name', limit: 2 }))!;
  assert.deepEqual(first.items.map((v) => v.id), ['m1', 'm2']);
  assert.equal(typeof first.next, 'string');
  // A row sorted before the cursor is added, and one already read is removed.
  await put('m5', 'eve@x.com', 'Zoe');
  await store.transact((tx) => tx.delete('appMembers', 'h', 'm1'));
  const second = (await index.query('h', { sort: '-name', limit: 2, after: first.next }))!;
  assert.deepEqual(second.items.map((v) => v.id), ['m3', 'm4'], 'Yves (cy, after bob by email), then Abe');
  assert.equal(second.total, 4, 'total counts every match');
  assert.equal(second.next, undefined, 'the last page has no next');
  await assert.rejects(index.query('h', { sort: 'name', after: first.next }), /sorted by -name, not name/);
  await assert.rejects(index.query('h', { after: 'not-a-cursor' }), /after must be the `next` of a previous page/);
  index.close();
});
