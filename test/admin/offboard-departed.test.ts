/**
 * Offboarding by email where the leaver was deleted in the directory (SCIM DELETE, RFC 7644 §3.6)
 * and a user with their email created since holds the seat: the admin API (`POST
 * /people/{email}/offboard`, what Okta Workflows calls) and `hubwarden offboard` over the real
 * agent API refuse it 409 naming both, unless `directoryUserId` / `--directory-user` names one
 * (agent/dispatch/ambiguous-person.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listeningForSuite } from '../../connectors/sdk/test-listening.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { recreated } from '../../agent/dispatch/test-offboard-hub.ts';
import { collect } from '../../agent/store/store.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { assertOneLineError, cli } from './cli-run.ts';

const headers = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' };
const world = await recreated();
const offboardTasks = async () => (await collect(world.store.list('tasks', ''))).filter((t) => t.kind === 'offboard');

describe('offboarding by the email of a leaver deleted in the directory and re-created since', () => {
  const server = listeningForSuite(() => serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent: world.api })]]));
  const post = (body?: unknown) => fetch(`${server.url}/api/v1/people/ann%40example.com/offboard`, { method: 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const auth = () => ['--url', server.url, '--token', TEST_ENV.ADMIN_TOKEN];

  test('admin API: 409 problem naming the deleted and the current id, audited; nothing queued', async () => {
    const res = await post({ reason: 'Okta Workflow: User Deactivated' });
    assert.equal(res.status, 409, await res.clone().text());
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = await res.json();
    assert.match(problem.detail, /directory users u-new, u-old \(u-old deleted in the directory at 2026-06-01T00:00:00Z/);
    assert.match(problem.detail, /directoryUserId/);
    assert.deepEqual(await offboardTasks(), []);
    const refusals = (await collect(world.store.list('audit', world.hub.id))).filter((a) => a.action === 'offboard-requested' && a.outcome === 'failed');
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!.why, /Okta Workflow: User Deactivated/);
  });

  test('CLI: exits 1 with the refusal on one line; nothing queued', async () => {
    const run = await cli(['offboard', 'ann@example.com', '--no-wait', ...auth()]);
    assertOneLineError(run, 1, /--directory-user.*u-new, u-old/);
    assert.deepEqual(await offboardTasks(), []);
  });

  test('naming the current user (directoryUserId, --directory-user) offboards them', async () => {
    const run = await cli(['offboard', 'ann@example.com', '--directory-user', 'u-new', '--no-wait', ...auth()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /offboarding of ann@example\.com started: task /);
    assert.deepEqual((await offboardTasks()).map((t) => t.payload), [{ email: 'ann@example.com', directoryUserId: 'u-new' }]);
    const again = await post({ directoryUserId: 'u-new' });
    assert.equal(again.status, 202, 'the same offboarding, answered again');
    assert.equal((await world.run((await offboardTasks())[0]!)).status, 'waiting');
    assert.deepEqual(await world.removals(), ['op:remove:m-ann']);
  });
});

// An IdP that created the rehire's new account before it deleted the leaver's old one (SCIM POST,
// RFC 7644 §3.3, ahead of the DELETE, §3.6): u-new created 2026-05-31, u-old (created 2020)
// deleted 2026-06-01. An Okta Workflow run late for the leaver must not offboard u-new.
const postFirst = await recreated('2026-05-31T00:00:00Z', '2020-01-01T00:00:00Z');

describe('offboarding by the email of a leaver deleted after their new account was created', () => {
  const server = listeningForSuite(() => serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent: postFirst.api })]]));
  const post = (body?: unknown) => fetch(`${server.url}/api/v1/people/ann%40example.com/offboard`, { method: 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  test('admin API: 409 naming both ids, audited; nothing queued; directoryUserId of the current user is accepted', async () => {
    const res = await post({ reason: 'Okta Workflow: User Deactivated' });
    assert.equal(res.status, 409, await res.clone().text());
    assert.match((await res.json()).detail, /directory users u-new, u-old \(u-old deleted in the directory at 2026-06-01T00:00:00Z/);
    assert.deepEqual((await collect(postFirst.store.list('tasks', ''))).filter((t) => t.kind === 'offboard'), []);
    assert.equal((await collect(postFirst.store.list('audit', postFirst.hub.id))).filter((a) => a.action === 'offboard-requested' && a.outcome === 'failed').length, 1);
    assert.equal((await post({ directoryUserId: 'u-new' })).status, 202);
  });
});
