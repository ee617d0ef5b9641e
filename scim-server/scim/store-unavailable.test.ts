/**
 * End to end: a SCIM write while the disk is full. The IdP gets 503 with Retry-After and a SCIM
 * error body, a search does not find the refused user (Okta searches before it retries), /readyz
 * says why, and once the disk has room again writes succeed without a restart.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyFiles } from '../../agent/store/faulty-files.test-double.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { StoreContention } from '../../agent/store/store-contention.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { collect } from '../../agent/store/store.ts';
import { toProblem } from '../admin/problem.ts';
import { readiness } from '../ops/readiness.ts';
import { scimRequest, startScimApp } from './test-app.ts';
import { until } from '../../test/agent-e2e/harness.ts';

const user = (userName: string) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, emails: [{ value: userName, primary: true }] });
const search = (userName: string) => `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;

/** A SCIM app on a LowdbStore whose file writes can be made to fail (hub `acme`); closed and removed after the test. */
async function onFaultyDisk(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-scim-enospc-'));
  const files = new FaultyFiles();
  const store = new LowdbStore(join(dir, 'store.json'), { files, probeMs: 100 });
  await store.open();
  const app = await startScimApp({ hubs: [{ id: 'acme' }], store });
  t.after(async () => {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, files, store, app };
}

test('POST /Users on a full disk: 503 + Retry-After + SCIM error, not listed afterwards, accepted again once the disk recovers', async (t) => {
  const { dir, files, store, app } = await onFaultyDisk(t);

  assert.equal((await scimRequest(app, 'acme', 'POST', '/Users', user('alice@example.com'))).status, 201);
  files.inject({ op: 'write', code: 'ENOSPC', path: '.journal', afterBytes: 40 });
  const refused = await scimRequest(app, 'acme', 'POST', '/Users', user('bob@example.com'));
  assert.equal(refused.status, 503, refused.text);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.deepEqual(refused.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  assert.equal(refused.body.status, '503');
  assert.match(refused.body.detail, /ENOSPC.*nothing was changed, retry later/);
  assert.doesNotMatch(refused.text, new RegExp(dir), 'no file path in the answer');

  const listed = await scimRequest(app, 'acme', 'GET', search('bob@example.com'));
  assert.equal(listed.status, 200);
  assert.equal(listed.body.totalResults, 0, 'the refused user is not visible');
  assert.equal((await scimRequest(app, 'acme', 'POST', '/Users', user('carol@example.com'))).status, 503, 'writes refused while the disk is full');
  const ready = readiness({ store });
  assert.equal(ready.status, 'unavailable');
  assert.match(ready.storeReason ?? '', /ENOSPC while appending to the journal; retrying every 0.1 s/);

  files.heal();
  await until('the store healthy again (its probe retried)', () => store.healthy());
  assert.equal(readiness({ store }).status, 'ready');
  const retried = await scimRequest(app, 'acme', 'POST', '/Users', user('bob@example.com'));
  assert.equal(retried.status, 201, retried.text);
  assert.equal((await scimRequest(app, 'acme', 'GET', search('bob@example.com'))).body.totalResults, 1);
  await store.close();
  const reopened = new LowdbStore(join(dir, 'store.json'));
  await reopened.open();
  assert.deepEqual((await collect(reopened.list('directoryUsers', 'acme'))).map((u) => u.userName).sort(), ['alice@example.com', 'bob@example.com']);
  await reopened.close();
});

test('the admin API maps a refused store write to a 503 problem with Retry-After', () => {
  const problem = toProblem(new StoreUnavailable('EIO while appending to the journal', 2));
  assert.equal(problem.status, 503);
  assert.equal(problem.toJSON().type, 'https://hubwarden.dev/problems/unavailable');
  assert.equal(problem.headers['Retry-After'], '2');
  assert.match(problem.message, /EIO while appending to the journal/);
});

test('group PATCHes sent at once on a full disk (they go in turns, group-turns.ts): each answers 503, none is applied, all land once the disk recovers', async (t) => {
  const { files, store, app } = await onFaultyDisk(t);
  const ids: string[] = [];
  for (const name of ['a', 'b', 'c', 'd']) ids.push((await scimRequest(app, 'acme', 'POST', '/Users', user(`${name}@example.com`))).body.id);
  const group = (await scimRequest(app, 'acme', 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Meta Advertisers' })).body.id as string;
  const add = (id: string) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] });
  const patchAll = () => Promise.all(ids.map((id) => scimRequest(app, 'acme', 'PATCH', `/Groups/${group}`, add(id))));

  files.inject({ op: 'write', code: 'ENOSPC', path: '.journal', afterBytes: 40 });
  const refused = await patchAll();
  assert.deepEqual(refused.map((r) => r.status), [503, 503, 503, 503], refused.map((r) => r.text).join('\n'));
  for (const r of refused) assert.equal(r.body.status, '503');
  assert.deepEqual((await store.get('directoryGroups', 'acme', group))?.members, [], 'nothing of a refused turn was applied');
  assert.equal((await collect(store.list('outbox', 'acme'))).filter((e) => e.delta.changes.some((c) => c.kind === 'group-members')).length, 0);

  files.heal();
  await until('the store healthy again (its probe retried)', () => store.healthy());
  const accepted = await patchAll();
  assert.deepEqual(accepted.map((r) => r.status), [204, 204, 204, 204]);
  assert.deepEqual(new Set((await store.get('directoryGroups', 'acme', group))!.members.map((m) => m.value)), new Set(ids));
});

test('a write the store gave up on because other writes kept winning: 503 + Retry-After + SCIM error, nothing stored; the retry is accepted', async (t) => {
  // StoreContention comes from PostgreSQL replicas colliding (agent/store/postgres/transactions.ts,
  // tested there); here only what the IdP is answered, so the store refuses while `contended` is set.
  class Contended extends MemoryStore {
    contended = false;
    override transact<R>(fn: Parameters<MemoryStore['transact']>[0]): Promise<R> {
      if (this.contended) return Promise.reject(new StoreContention(20, 'a read changed before commit'));
      return super.transact(fn) as Promise<R>;
    }
  }
  const store = new Contended();
  await store.open();
  const app = await startScimApp({ hubs: [{ id: 'acme' }], store });
  t.after(() => app.close());

  store.contended = true;
  const refused = await scimRequest(app, 'acme', 'POST', '/Users', user('dana@example.com'));
  assert.equal(refused.status, 503, refused.text);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.deepEqual(refused.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  assert.equal(refused.body.status, '503');
  assert.match(refused.body.detail, /busy with other changes.*nothing was changed, retry/);
  store.contended = false;
  assert.equal((await scimRequest(app, 'acme', 'GET', search('dana@example.com'))).body.totalResults, 0, 'nothing was stored');
  assert.equal((await scimRequest(app, 'acme', 'POST', '/Users', user('dana@example.com'))).status, 201, 'the retry goes through');
});
