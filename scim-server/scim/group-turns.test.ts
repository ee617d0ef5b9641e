import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect, type Transaction } from '../../agent/store/store.ts';
import { updateInTurn } from './group-turns.ts';
import type { HubRequest } from './context.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

/** Updates of one group arriving together, in turns (group-turns.ts), over real SCIM requests. */
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const add = (ids: string[]) => ({ schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }] });

describe('group updates in turns', () => {
  let app: ScimTestApp;
  let transactions = 0;
  const users: string[] = [];
  before(async () => {
    const store = new MemoryStore();
    const transact = store.transact.bind(store);
    // Each transaction takes 30 ms, like a commit on a busy database, so requests pile up behind one.
    store.transact = (async (fn: (tx: Transaction) => unknown) => {
      transactions++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      return transact(fn);
    }) as typeof store.transact;
    app = await startScimApp({ hubs: [{ id: 'turns', identityProvider: 'okta' }], store });
    for (let i = 0; i < 40; i++) {
      const r = await scimRequest(app, 'turns', 'POST', '/Users', { schemas: [USER], userName: `p${i}@example.com`, emails: [{ value: `p${i}@example.com`, primary: true }], active: true });
      assert.equal(r.status, 201);
      users.push(r.body.id);
    }
  });
  after(() => app.close());

  test('chunks sent at once all land, in fewer transactions; a bad chunk and a stale If-Match fail alone', async () => {
    const created = await scimRequest(app, 'turns', 'POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Advertisers' });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const stale = created.headers.get('etag')!;
    const outboxBefore = (await collect(app.store.list('outbox', 'turns'))).length;
    const before = transactions;
    const chunks = Array.from({ length: 8 }, (_, k) => users.slice(k * 5, k * 5 + 5));
    const replies = await Promise.all([
      ...chunks.map((ids) => scimRequest(app, 'turns', 'PATCH', `/Groups/${id}`, add(ids))),
      scimRequest(app, 'turns', 'PATCH', `/Groups/${id}`, add(['no-such-user'])),
      scimRequest(app, 'turns', 'PATCH', `/Groups/${id}`, add([users[0]!]), { 'if-match': stale }),
    ]);
    const [bad, mismatched] = replies.slice(8);
    assert.deepEqual(replies.slice(0, 8).map((r) => r.status), Array(8).fill(204), JSON.stringify(replies.map((r) => r.body)));
    assert.equal(bad!.status, 400, 'an unknown member fails its own request');
    assert.equal(mismatched!.status, 412, 'a stale If-Match fails its own request');
    const stored = await app.store.get('directoryGroups', 'turns', id);
    assert.deepEqual(new Set(stored!.members.map((m) => m.value)), new Set(users), 'the union of every chunk');
    // Each accepted chunk answered with the version it made (its ETag).
    const versions = replies.slice(0, 8).map((r) => r.headers.get('etag'));
    assert.equal(new Set(versions).size, 8, 'each chunk its own version');
    assert.ok(transactions - before < 10, `${transactions - before} transactions for 10 requests`);
    // One outbox entry per accepted chunk (each with its own trigger), none for the failed two.
    const entries = (await collect(app.store.list('outbox', 'turns'))).slice(outboxBefore);
    assert.equal(entries.length, 8);
    assert.deepEqual(entries.flatMap((e) => e.delta.changes.flatMap((c) => (c.kind === 'group-members' ? c.added : []))).sort(), [...users].sort());
  });

  test("a turn asks for its requests' own reads together with the group's, before any of them decides", async () => {
    const store = new MemoryStore();
    const h = { store, hubId: 'turns' } as unknown as HubRequest;
    const group = { hubId: 'turns', id: 'g', displayName: 'G', members: [], version: 1 } as never;
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The first request's turn is held open, so the next three arrive meanwhile and share one turn.
    const first = updateInTurn(h, 'g', async () => { events.push('load'); await held; return group; }, async (_tx, current) => current, () => {});
    await new Promise((r) => setImmediate(r));
    const next = [1, 2, 3].map((n) => updateInTurn(h, 'g', async () => { events.push('load'); return group; }, async (_tx, current) => { events.push(`decide ${n}`); return current; }, () => {}, async () => { events.push(`prefetch ${n}`); }));
    release();
    await Promise.all([first, ...next]);
    assert.deepEqual(events, ['load', 'load', 'prefetch 1', 'prefetch 2', 'prefetch 3', 'decide 1', 'decide 2', 'decide 3']);
  });
});
