import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FailureLimiter } from '../auth-failures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

/**
 * A hub id not in the config is answered as a wrong credential (router.ts). The id is the
 * caller's: it must not buy a fresh failure budget and a store write per request, nor break the
 * answer's WWW-Authenticate header.
 */
describe('SCIM: requests for hubs not in the config', () => {
  let app: ScimTestApp;
  const failureStore = new MemoryStore();
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'alpha' }], failures: new FailureLimiter({ scim: { maxFailures: 3, windowMs: 60_000 } }, Date.now, failureStore) });
  });
  after(() => app.close());

  test('made-up hub ids cost the store nothing, each is answered as a configured hub with a wrong token (401, then 429)', async () => {
    const writes = async () => (await collect(failureStore.list('authFailures', 'scim'))).length;
    for (let n = 0; n < 40; n++) assert.equal((await scimRequest(app, `made-up-${n}`, 'GET', '/Users', undefined, { authorization: 'Bearer x' })).status, 401);
    assert.equal(await writes(), 0, 'no failure record per made-up id');
    const statuses: number[] = [];
    for (let n = 0; n < 4; n++) statuses.push((await scimRequest(app, 'made-up-again', 'GET', '/Users', undefined, { authorization: 'Bearer x' })).status);
    const known: number[] = [];
    for (let n = 0; n < 4; n++) known.push((await scimRequest(app, 'alpha', 'GET', '/Users', undefined, { authorization: 'Bearer x' })).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.deepEqual(statuses, known, 'the same answers as a configured hub');
    assert.equal(await writes(), 1, 'the configured hub is counted in the store, shared by replicas');
  });

  test('the warning naming a made-up hub id is logged at most 10 times a minute, the rest at debug', async () => {
    const warned: unknown[] = [];
    const log = { warn: (_m: string, f: unknown) => { warned.push(f); }, debug() {}, info() {}, error() {}, child() { return log; } } as never;
    const quiet = await startScimApp({ hubs: [{ id: 'alpha' }], log, failures: new FailureLimiter({ scim: { maxFailures: 1000, windowMs: 60_000 } }) });
    try {
      for (let n = 0; n < 30; n++) assert.equal((await scimRequest(quiet, `flood-${n}`, 'GET', '/Users', undefined, { authorization: 'Bearer x' })).status, 401);
    } finally {
      await quiet.close();
    }
    assert.equal(warned.length, 10);
    assert.deepEqual(warned[0], { hubId: 'flood-0' });
  });

  test('a quote or a line break in a made-up id answers a SCIM 401 with a well-formed challenge, no error page', async () => {
    for (const id of ['a%22%2C%20error%3D%22x', 'a%0Ab', 'a%0D%0AX-Evil%3A%201']) {
      const res = await fetch(`${app.hubUrl(id)}/Users`, { headers: { authorization: 'Bearer x' } });
      const text = await res.text();
      assert.equal(res.status, 401, text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="hubwarden scim [^"\\]*"$/);
      assert.equal(res.headers.get('x-evil'), null);
      assert.doesNotMatch(text, /TypeError|at .*\.ts/);
    }
  });

  test('a base URL without its hub (…/scim/v2/Users) answers 404 saying the base URL is per hub, naming no hub', async () => {
    for (const path of ['/Users', '/Groups', '/ServiceProviderConfig', '/']) {
      const res = await fetch(`${app.url}/scim/v2${path}`, { headers: { authorization: 'Bearer x' } });
      const body = await res.json() as { status: string; detail: string };
      assert.equal(res.status, 404, path);
      assert.equal(body.status, '404');
      assert.ok(body.detail.includes('each hub has its own SCIM base URL, /scim/v2/hubs/<hub id>'), body.detail);
      assert.ok(!body.detail.includes('alpha'), 'no configured hub named to a caller without a credential');
    }
  });
});
