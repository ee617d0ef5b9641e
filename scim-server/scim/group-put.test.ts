import assert from 'node:assert/strict';
import { AsyncResource } from 'node:async_hooks';
import { after, before, describe, test } from 'node:test';
import { collect, type Transaction } from '../../agent/store/store.ts';
import { suiteStores } from '../../test/suite-stores.ts';
import { scimRequest, startScimApp, type ScimReply, type ScimTestApp } from './test-app.ts';

/**
 * Okta AIW (custom) apps send `PUT /Groups/{id}` with `displayName` and every member for each
 * membership change (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/), and
 * Okta OIN apps a `replace` of members: what such a full list does to a large group (RFC 7644
 * §3.5.1, groups.ts).
 */
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };
const HUB = 'aiw';
const SIZE = 300; // past the 128 users of a hub a PostgreSQL commit locks one by one (agent/store/postgres/key-locks.ts)

for (const kind of await suiteStores('memory', 'postgres')) describe(`PUT /Groups with the full member list (${kind.kind})`, { skip: kind.skip }, () => {
  let app: ScimTestApp;
  let dispose: () => Promise<void>;
  const ids = Array.from({ length: SIZE + 2 }, (_, n) => `aiw-${String(n).padStart(4, '0')}`);
  const member = (value: string) => ({ value, display: `${value}@okta.local` });
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimReply> => scimRequest(app, HUB, method, path, body, { ...OKTA, ...headers });
  /** The users each transaction asked whether they exist (tx.hasMany), and what runs `during` a transaction's first run. */
  let asked: string[] = [];
  let during: (() => Promise<void>) | undefined;
  let runs = 0;
  const outbox = async () => (await collect(app.store.list('outbox', HUB))).length;
  const stored = async (gid: string) => (await app.store.get('directoryGroups', HUB, gid))!;

  before(async () => {
    const opened = await kind.open();
    const store = opened.store;
    dispose = opened.dispose;
    const at = '2026-12-07T00:00:00.000Z';
    await store.transact((tx) => {
      for (const id of ids) tx.put('directoryUsers', HUB, id, { hubId: HUB, id, userName: `${id}@okta.local`, active: true, emails: [`${id}@okta.local`], scim: {}, created: at, lastModified: at, version: 1 });
    });
    const transact = store.transact.bind(store);
    store.transact = (async (fn: (tx: Transaction) => unknown, options?: unknown) => transact(async (tx: Transaction) => {
      runs++;
      const spied = new Proxy(tx, {
        get(target, name) {
          if (name === 'hasMany') return (c: never, p: string, list: readonly string[]) => (asked.push(...list), target.hasMany(c, p, list));
          const v = (target as never)[name] as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const out = await fn(spied);
      const then = during;
      during = undefined;
      await then?.();
      return out;
    }, options as never)) as typeof store.transact;
    app = await startScimApp({ hubs: [{ id: HUB, identityProvider: 'okta' }], store });
  });
  after(async () => {
    await app.close();
    await dispose();
  });

  async function bigGroup(displayName: string): Promise<string> {
    const r = await send('POST', '/Groups', { schemas: [GROUP], displayName, members: ids.slice(0, SIZE).map(member) });
    assert.equal(r.status, 201, r.text);
    return r.body.id;
  }

  test('a PUT adding one member and removing one asks about the one it adds, not the whole list (a replace of members too)', async () => {
    const gid = await bigGroup('AIW Everyone');
    asked = [];
    const put = await send('PUT', `/Groups/${gid}`, { schemas: [GROUP], id: gid, displayName: 'AIW Everyone', members: [...ids.slice(1, SIZE), ids[SIZE]!].map(member) });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(asked, [ids[SIZE]], `asked about ${asked.length} users`);
    asked = [];
    const replace = await send('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'members', value: [...ids.slice(2, SIZE + 2)].map(member) }] });
    assert.equal(replace.status, 200, replace.text);
    assert.deepEqual(asked, [ids[SIZE + 1]], `asked about ${asked.length} users`);
    const group = await stored(gid);
    assert.equal(group.members.length, SIZE);
    assert.equal(group.members.some((m) => m.value === ids[0] || m.value === ids[1]), false);
  });

  // PostgreSQL checks at commit what a transaction read (agent/store/postgres/read-set.ts); the
  // memory store runs one transaction at a time, so nothing can change while one decides.
  test('a member the PUT only restates, updated while the PUT decides, does not make it run again', { skip: kind.kind !== 'postgres' && 'PostgreSQL only' }, async () => {
    // The update is sent from outside the PUT's transaction (a nested transact is refused).
    const outside = AsyncResource.bind((f: () => Promise<void>) => f());
    const gid = await bigGroup('AIW Staff');
    runs = 0;
    // Okta updates someone's profile while it pushes the group: the PUT read nothing of theirs.
    during = () => outside(async () => {
      const u = (await app.store.get('directoryUsers', HUB, ids[5]!))!;
      await app.store.transact((tx) => tx.put('directoryUsers', HUB, u.id, { ...u, displayName: 'Renamed', version: u.version + 1 }));
    });
    const put = await send('PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'AIW Staff', members: [...ids.slice(0, SIZE), ids[SIZE]!].map(member) });
    assert.equal(put.status, 200, put.text);
    assert.equal(runs, 2, 'the PUT once, the profile update once');
    assert.equal((await stored(gid)).members.length, SIZE + 1);
  });

  test('a PUT without members leaves them; members: null too; members: [] takes everyone out, in one audited delta', async () => {
    const gid = await bigGroup('AIW Sales');
    const before = await outbox();
    // RFC 7644 §3.5.1: an omitted readWrite attribute "MAY be assumed to be not asserted"; RFC
    // 7643 §2.5: null is unassigned, as omitted. Removing people takes an explicit list.
    for (const body of [{ schemas: [GROUP], displayName: 'AIW Sales' }, { schemas: [GROUP], displayName: 'AIW Sales', members: null }]) {
      const put = await send('PUT', `/Groups/${gid}`, body);
      assert.equal(put.status, 200, put.text);
      assert.equal((await stored(gid)).members.length, SIZE);
      assert.equal(put.headers.get('etag'), 'W/"1"', 'nothing changed');
    }
    assert.equal(await outbox(), before);
    const emptied = await send('PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'AIW Sales', members: [] });
    assert.equal(emptied.status, 200, emptied.text);
    assert.equal((await stored(gid)).members.length, 0);
    const entries = (await collect(app.store.list('outbox', HUB))).slice(before);
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0]!.delta.changes, [{ kind: 'group-members', groupId: gid, displayName: 'AIW Sales', added: [], removed: ids.slice(0, SIZE) }]);
    assert.equal(entries[0]!.delta.trigger.type, 'scim');
    assert.match(entries[0]!.delta.trigger.detail ?? '', /Okta SCIM Client/);
  });

  test('duplicates are one member, display kept; an unknown member is 400 invalidValue and nothing of the PUT is applied', async () => {
    const created = await send('POST', '/Groups', { schemas: [GROUP], displayName: 'AIW Ops', members: [member(ids[0]!)] });
    const gid = created.body.id as string;
    const put = await send('PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'AIW Ops', members: [member(ids[1]!), { value: ids[1]!, display: 'second copy' }, member(ids[2]!)] });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual((await stored(gid)).members, [member(ids[1]!), member(ids[2]!)]);
    const before = await outbox();
    const unknown = await send('PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'AIW Ops', members: [member(ids[2]!), { value: 'not-pushed-yet' }] });
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.body.scimType, 'invalidValue');
    assert.match(unknown.body.detail, /not-pushed-yet/);
    assert.deepEqual((await stored(gid)).members, [member(ids[1]!), member(ids[2]!)], 'the removal in the refused PUT did not happen');
    assert.equal(await outbox(), before);
  });

  test("a PUT renaming to another group's name (any case) is 409 uniqueness; excludedAttributes=members leaves members out of the answer", async () => {
    const a = await send('POST', '/Groups', { schemas: [GROUP], displayName: 'AIW Legal', members: [] });
    const b = await send('POST', '/Groups', { schemas: [GROUP], displayName: 'AIW Finance', members: [member(ids[0]!)] });
    const clash = await send('PUT', `/Groups/${b.body.id}`, { schemas: [GROUP], displayName: 'aiw legal', members: [] });
    assert.equal(clash.status, 409, clash.text);
    assert.equal(clash.body.scimType, 'uniqueness');
    assert.equal((await stored(b.body.id)).members.length, 1, 'nothing written');
    const put = await send('PUT', `/Groups/${b.body.id}?excludedAttributes=members`, { schemas: [GROUP], displayName: 'AIW Finance', members: [member(ids[0]!), member(ids[1]!)] });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.members, undefined);
    assert.equal(put.body.displayName, 'AIW Finance');
    assert.equal((await stored(b.body.id)).members.length, 2);
    assert.equal(a.status, 201);
  });
});

describe("the answer to a group PUT: Okta's without members unless asked, anyone else's whole", () => {
  let app: ScimTestApp;
  const N = 1_000;
  const ids = Array.from({ length: N + 1 }, (_, n) => `put-${n}`);
  const members = ids.slice(0, N).map((value) => ({ value, display: `${value}@okta.local` }));
  before(async () => {
    app = await startScimApp({ hubs: [{ id: HUB, identityProvider: 'okta' }] });
    const at = '2026-12-07T00:00:00.000Z';
    await app.store.transact((tx) => {
      for (const id of ids) tx.put('directoryUsers', HUB, id, { hubId: HUB, id, userName: `${id}@okta.local`, active: true, emails: [`${id}@okta.local`], scim: {}, created: at, lastModified: at, version: 1 });
    });
  });
  after(() => app.close());

  test('an AIW PUT of 1,000 members is answered with the group but not its members; attributes=members brings them; the answer PUT back changes nothing', async () => {
    const okta = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, OKTA);
    const gid = (await okta('POST', '/Groups', { schemas: [GROUP], displayName: 'AIW All', members })).body.id as string;
    const put = await okta('PUT', `/Groups/${gid}`, { schemas: [GROUP], id: gid, displayName: 'AIW All', members: [...members, { value: ids[N]! }] });
    assert.equal(put.status, 200, put.text.slice(0, 200));
    assert.equal('members' in put.body, false, `${put.text.length} bytes answered`);
    assert.deepEqual([put.body.id, put.body.displayName, put.body.meta.resourceType, put.headers.get('etag')], [gid, 'AIW All', 'Group', 'W/"2"']);
    assert.ok(put.text.length < 1_000, `${put.text.length} bytes answered`);
    assert.equal((await app.store.get('directoryGroups', HUB, gid))!.members.length, N + 1);
    // Sent back as answered (no members): membership as it was, no new version.
    const again = await okta('PUT', `/Groups/${gid}`, put.body);
    assert.equal(again.headers.get('etag'), 'W/"2"');
    assert.equal((await app.store.get('directoryGroups', HUB, gid))!.members.length, N + 1);
    const asked = await okta('PUT', `/Groups/${gid}?attributes=members`, { schemas: [GROUP], id: gid, displayName: 'AIW All', members });
    assert.equal(asked.status, 200);
    assert.equal(asked.body.members.length, N);
    assert.equal(asked.body.displayName, undefined, 'attributes=members: members, id, schemas and meta only');
    const whole = await okta('PUT', `/Groups/${gid}?attributes=displayName,members.value`, { schemas: [GROUP], displayName: 'AIW All', members });
    assert.deepEqual([whole.body.displayName, whole.body.members.length, whole.body.members[0]], ['AIW All', N, { value: ids[0] }]);
  });

  test('any other client (the Microsoft validator) gets the whole group, unless it excludes members', async () => {
    const other = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, { 'user-agent': 'PostmanRuntime/7.36.0' });
    const gid = (await other('POST', '/Groups', { schemas: [GROUP], displayName: 'Validator', members })).body.id as string;
    const put = await other('PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'Validator', members: members.slice(1) });
    assert.equal(put.status, 200);
    assert.equal(put.body.members.length, N - 1);
    const lean = await other('PUT', `/Groups/${gid}?excludedAttributes=members`, { schemas: [GROUP], displayName: 'Validator', members });
    assert.deepEqual([lean.status, lean.body.members, lean.body.displayName], [200, undefined, 'Validator']);
    const named = await other('PUT', `/Groups/${gid}?excludedAttributes=externalId`, { schemas: [GROUP], displayName: 'Validator', members });
    assert.equal(named.body.members.length, N, 'excluding another attribute keeps members (RFC 7644 §3.9)');
    // A PATCH answered with a body (it asked with attributes or excludedAttributes) follows the same rule.
    const patch = (q: string) => other('PATCH', `/Groups/${gid}${q}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Validator' }] });
    const patchedNamed = await patch('?excludedAttributes=externalId');
    assert.deepEqual([patchedNamed.status, patchedNamed.body.members?.length], [200, N], 'a PATCH excluding another attribute keeps members');
    const patchedLean = await patch('?excludedAttributes=members');
    assert.deepEqual([patchedLean.status, patchedLean.body.members], [200, undefined]);
  });
});

describe('a 10,000-member group: timings of the AIW PUT beside a PATCH and an Entra read (printed, not asserted)', () => {
  let app: ScimTestApp;
  const N = 10_000;
  const ids = Array.from({ length: N + 1 }, (_, n) => `big-${n}`);
  const members = ids.slice(0, N).map((value) => ({ value, display: `${value}@okta.local` }));
  before(async () => {
    app = await startScimApp({ hubs: [{ id: HUB, identityProvider: 'okta' }] });
    const at = '2026-12-07T00:00:00.000Z';
    await app.store.transact((tx) => {
      for (const id of ids) tx.put('directoryUsers', HUB, id, { hubId: HUB, id, userName: `${id}@okta.local`, active: true, emails: [`${id}@okta.local`], scim: {}, created: at, lastModified: at, version: 1 });
    });
  });
  after(() => app.close());
  const send = (method: string, path: string, body?: unknown) => scimRequest(app, HUB, method, path, body, OKTA);

  test('PUT ±1 member, PATCH ±1, GET with and without members; PUTs sent together go in turns, the last one sent wins', async (t) => {
    const timed = async (label: string, f: () => Promise<ScimReply>) => {
      const start = performance.now();
      const r = await f();
      assert.equal(r.status < 300, true, `${label}: ${r.status} ${r.text.slice(0, 200)}`);
      t.diagnostic(`${label}: ${(performance.now() - start).toFixed(0)} ms, ${r.text.length} bytes answered`);
      return r;
    };
    const gid = (await timed('POST with 10,000 members', () => send('POST', '/Groups', { schemas: [GROUP], displayName: 'Big', members }))).body.id as string;
    await timed('PUT, one member more', () => send('PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'Big', members: [...members, { value: ids[N]! }] }));
    await timed('PUT, one member less', () => send('PUT', `/Groups/${gid}?excludedAttributes=members`, { schemas: [GROUP], displayName: 'Big', members }));
    await timed('PATCH, one member more', () => send('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: ids[N]! }] }] }));
    await timed('PATCH, one member less', () => send('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${ids[N]}"]` }] }));
    await timed('GET', () => send('GET', `/Groups/${gid}`));
    const lean = await timed('GET excludedAttributes=members', () => send('GET', `/Groups/${gid}?excludedAttributes=members`));
    assert.equal(lean.body.members, undefined);
    const puts = await Promise.all([1, 2, 3].map((k) => timed(`PUT sent together #${k}`, () => send('PUT', `/Groups/${gid}?excludedAttributes=members`, { schemas: [GROUP], displayName: 'Big', members: members.slice(k) }))));
    // Each its own version; the group is what the last one decided in its turn left (no lost update).
    assert.deepEqual(puts.map((r) => r.headers.get('etag')).sort(), ['W/"6"', 'W/"7"', 'W/"8"']);
    const last = puts.findIndex((r) => r.headers.get('etag') === 'W/"8"');
    assert.equal((await app.store.get('directoryGroups', HUB, gid))!.members.length, N - (last + 1));
  });
});
