import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { collect, type Transaction } from '../../agent/store/store.ts';
import { suiteStores } from '../../test/suite-stores.ts';
import { scimRequest, startScimApp, type ScimReply, type ScimTestApp } from './test-app.ts';

/**
 * Okta Push Groups as it sends them (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/):
 * several membership PATCHes of one group at once, each re-sending the rename
 * `{"op":"replace","value":{"id":…,"displayName":…}}`, a remove by filter beside an add, the
 * AIW app's PUT with every member. The transactions are slowed so those sent together share a
 * turn (group-turns.ts); each keeps its own answer.
 */
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };
const HUB = 'push';

for (const kind of await suiteStores('memory', 'postgres')) describe(`Okta Push Groups: chunks of one group sent at once (${kind.kind})`, { skip: kind.skip }, () => {
  let app: ScimTestApp;
  const users: string[] = [];
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimReply> => scimRequest(app, HUB, method, path, body, { ...OKTA, ...headers });
  const rename = (gid: string, displayName: string) => ({ op: 'replace', value: { id: gid, displayName } });
  const addOp = (...ids: string[]) => ({ op: 'add', path: 'members', value: ids.map((value) => ({ value, display: value })) });
  const removeOp = (id: string) => ({ op: 'remove', path: `members[value eq "${id}"]` });
  const patch = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
  const stored = async (gid: string) => (await app.store.get('directoryGroups', HUB, gid))!;
  /** Sends the first request, then the rest while its transaction runs: the rest share the next turn. */
  async function together(first: () => Promise<ScimReply>, rest: Array<() => Promise<ScimReply>>): Promise<ScimReply[]> {
    const head = first();
    await new Promise((resolve) => setTimeout(resolve, 10));
    return Promise.all([head, ...rest.map((f) => f())]);
  }
  async function newGroup(displayName: string, members: string[] = []): Promise<{ id: string; etag: string }> {
    const r = await send('POST', '/Groups', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
    assert.equal(r.status, 201, r.text);
    return { id: r.body.id, etag: r.headers.get('etag')! };
  }

  let dispose: () => Promise<void>;
  before(async () => {
    const opened = await kind.open();
    const store = opened.store;
    dispose = opened.dispose;
    const transact = store.transact.bind(store);
    store.transact = (async (fn: (tx: Transaction) => unknown, options?: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      return transact(fn as never, options as never);
    }) as typeof store.transact;
    app = await startScimApp({ hubs: [{ id: HUB, identityProvider: 'okta' }], store });
    for (let i = 0; i < 6; i++) {
      const r = await send('POST', '/Users', { schemas: [USER], userName: `push${i}@okta.local`, name: { givenName: 'P', familyName: `${i}` }, emails: [{ primary: true, value: `push${i}@okta.local`, type: 'work' }], groups: [], password: 'S3cret-pass', active: true });
      assert.equal(r.status, 201, r.text);
      users.push(r.body.id);
    }
  });
  after(async () => {
    await app.close();
    await dispose();
  });

  test('a rename and membership chunks in one turn: renamed once, every chunk answered 200 with its own version, one delta each', async () => {
    const g = await newGroup('Sales');
    const outboxBefore = (await collect(app.store.list('outbox', HUB))).length;
    const replies = await together(() => send('PATCH', `/Groups/${g.id}`, patch(rename(g.id, 'Sales'))), [
      () => send('PATCH', `/Groups/${g.id}`, patch(rename(g.id, 'Sales EMEA'), addOp(users[0]!))),
      () => send('PATCH', `/Groups/${g.id}`, patch(rename(g.id, 'Sales EMEA'), addOp(users[1]!))),
    ]);
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200], replies.map((r) => r.text).join('\n'));
    assert.deepEqual(replies.map((r) => r.body.displayName), ['Sales', 'Sales EMEA', 'Sales EMEA']);
    assert.deepEqual(replies.map((r) => r.headers.get('etag')), ['W/"1"', 'W/"2"', 'W/"3"'], 'the first is a no-op; each other chunk its own version');
    assert.deepEqual(replies.map((r) => r.body.meta.version), replies.map((r) => r.headers.get('etag')));
    const group = await stored(g.id);
    assert.equal(group.displayName, 'Sales EMEA');
    assert.deepEqual(group.members.map((m) => m.value), [users[0], users[1]]);
    const kinds = (await collect(app.store.list('outbox', HUB))).slice(outboxBefore).map((e) => e.delta.changes.map((c) => c.kind));
    assert.deepEqual(kinds, [['group-renamed', 'group-members'], ['group-members']], 'renamed once, by the chunk that renamed it');
  });

  test('a chunk removes a member an earlier chunk of the same turn added', async () => {
    const g = await newGroup('Support');
    const replies = await together(() => send('PATCH', `/Groups/${g.id}`, patch(addOp(users[5]!))), [
      () => send('PATCH', `/Groups/${g.id}`, patch(rename(g.id, 'Support'), addOp(users[0]!, users[1]!))),
      () => send('PATCH', `/Groups/${g.id}`, patch(rename(g.id, 'Support'), removeOp(users[0]!), addOp(users[2]!))),
    ]);
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual((await stored(g.id)).members.map((m) => m.value), [users[5], users[1], users[2]]);
  });

  test('a chunk naming a user that does not exist (any more) is refused alone: 400 invalidValue, its other members not added; the others land', async () => {
    const g = await newGroup('Finance');
    const replies = await together(() => send('PATCH', `/Groups/${g.id}`, patch(addOp(users[0]!))), [
      () => send('PATCH', `/Groups/${g.id}`, patch(rename(g.id, 'Finance'), addOp(users[1]!, 'deleted-user-id'))),
      () => send('PATCH', `/Groups/${g.id}`, patch(rename(g.id, 'Finance'), addOp(users[2]!))),
    ]);
    assert.deepEqual(replies.map((r) => r.status), [200, 400, 200]);
    assert.deepEqual(replies[1]!.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(replies[1]!.body.status, '400');
    assert.equal(replies[1]!.body.scimType, 'invalidValue');
    assert.match(replies[1]!.body.detail, /deleted-user-id/);
    assert.deepEqual((await stored(g.id)).members.map((m) => m.value), [users[0], users[2]]);
  });

  test('If-Match in a turn: checked against the version the chunks before it left (412 for a stale one, nothing of it applied); "*" passes', async () => {
    const g = await newGroup('Legal');
    const replies = await together(() => send('PATCH', `/Groups/${g.id}`, patch(addOp(users[0]!)), { 'if-match': g.etag }), [
      () => send('PATCH', `/Groups/${g.id}`, patch(addOp(users[1]!)), { 'if-match': g.etag }),
      () => send('PATCH', `/Groups/${g.id}`, patch(addOp(users[2]!)), { 'if-match': 'W/"2"' }),
      () => send('PATCH', `/Groups/${g.id}`, patch(addOp(users[3]!)), { 'if-match': '*' }),
    ]);
    assert.deepEqual(replies.map((r) => r.status), [200, 412, 200, 200], replies.map((r) => r.text).join('\n'));
    assert.equal(replies[1]!.body.status, '412');
    assert.deepEqual(replies.map((r) => r.headers.get('etag')).filter((_, n) => n !== 1), ['W/"2"', 'W/"3"', 'W/"4"']);
    assert.deepEqual((await stored(g.id)).members.map((m) => m.value), [users[0], users[2], users[3]]);
  });

  test('the same members in another order (an AIW PUT, a full replace) are no change: same version and lastModified, no delta', async () => {
    const g = await newGroup('Ops', [users[0]!, users[1]!, users[2]!]);
    const before = await stored(g.id);
    const outboxBefore = (await collect(app.store.list('outbox', HUB))).length;
    const put = await send('PUT', `/Groups/${g.id}`, { schemas: [GROUP], id: g.id, displayName: 'Ops', members: [users[2], users[0], users[1]].map((value) => ({ value })) });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.headers.get('etag'), 'W/"1"', 'the PUT changed nothing');
    const replace = await send('PATCH', `/Groups/${g.id}`, patch(rename(g.id, 'Ops'), { op: 'replace', path: 'members', value: [users[1], users[2], users[0]].map((value) => ({ value })) }));
    assert.equal(replace.status, 200, replace.text);
    assert.equal(replace.headers.get('etag'), 'W/"1"', 'the full replace changed nothing');
    const after = await stored(g.id);
    assert.equal(after.version, before.version);
    assert.equal(after.lastModified, before.lastModified);
    assert.equal((await collect(app.store.list('outbox', HUB))).length, outboxBefore);
    // A member's display is a change still.
    const display = await send('PUT', `/Groups/${g.id}`, { schemas: [GROUP], displayName: 'Ops', members: [{ value: users[1], display: 'New Name' }, { value: users[0] }, { value: users[2] }] });
    assert.equal(display.headers.get('etag'), 'W/"2"');
  });
});
