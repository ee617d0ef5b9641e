import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sandboxConfig, startProcess } from './server-process.ts';
import { adminApi, serverRuns, json, type Task } from './sandbox-hub.ts';

/**
 * The built-in Meta sandbox keeps its business across a restart: people invited and accepted
 * before it are still there after it, so the first check for updates after the restart reports
 * nobody removed and nothing drifted, and nobody is invited again. Then `hubwarden sandbox reset`
 * puts the fixture back, in the running server and (file removed) in a stopped one.
 */
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PEOPLE = ['jane.doe@example.com', 'john.roe@example.com', 'ann.poe@example.com'];

interface Call { method: string; path: string }

test('a restart leaves the sandbox business as it was; the first check finds nothing removed and re-invites nobody; sandbox reset starts over', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-sandbox-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'hubwarden.yaml');
  await writeFile(config, sandboxConfig({
    store: join(dir, 'data/hubwarden.json'),
    keyFile: join(dir, 'data/hubwarden.key'),
    admin: true,
    hubExtra: `    teams:
      - group: Meta Advertisers
        hubRole: collaborator
        appRole: EMPLOYEE
        assets: [{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }]
    safety: { settleSeconds: 120, confirmDeprovisioning: true }
    partners: [{ businessId: "2000000000000002" }]`,
  }));
  const env = { PORT: '0', TEST_SCIM_TOKEN: 'scim-token', TEST_ADMIN_TOKEN: 'admin-token' };
  const admin = { authorization: 'Bearer admin-token' };
  const worldFile = join(dir, 'data/sandbox-meta-business.json');
  const lockPath = join(dir, 'data/hubwarden.json.lock');
  const run = serverRuns(t, config, env, lockPath);
  let url = '';
  const start = async () => void (url = await run.start());
  const stop = run.stop;
  const api = adminApi(run.url, admin);
  const check = (): Promise<Task> => api.check('sandbox');
  const calls = async () => json<Call[]>(await fetch(`${url}/sandbox/graph/__emulator/calls`, { headers: admin }));
  const state = async () => json<{ users: Array<{ email: string }>; invites: Array<{ id: string; email: string; status: string }> }>(await fetch(`${url}/sandbox/graph/__emulator/state`, { headers: admin }));
  const scim = (path: string, body: unknown) => api.scim('sandbox', 'scim-token', path, body);

  await start();
  const initial = await state();
  await check(); // the first import is queued at start; this one waits until the hub is known
  const ids: string[] = [];
  for (const email of PEOPLE) ids.push((await scim('Users', { schemas: [USER], userName: email, emails: [{ value: email, primary: true }], active: true })).id);
  await scim('Groups', { schemas: [GROUP], displayName: 'Meta Advertisers', members: ids.map((value) => ({ value })) });
  for (let i = 0; (await state()).invites.filter((inv) => PEOPLE.includes(inv.email)).length < PEOPLE.length; i++) {
    assert.ok(i < 200, 'the three invites reached the sandbox');
    await new Promise((r) => setTimeout(r, 100));
  }
  const jane = (await state()).invites.find((inv) => inv.email === PEOPLE[0])!;
  await json(await fetch(`${url}/sandbox/graph/__emulator/invites/${jane.id}/accept`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{}' }));
  await check(); // Jane is a member now, and gets act_111
  const before = await state();
  assert.ok(before.users.some((u) => u.email === PEOPLE[0]));
  await stop();
  assert.ok(existsSync(worldFile), 'the sandbox business is saved in data/');

  await start();
  assert.deepEqual(await state(), before, 'the restart changed nothing in the sandbox business');
  const first = await check();
  const changes = first.result!.changes!;
  assert.deepEqual({ removed: changes.removedMembers, added: changes.newMembers, drift: changes.drift, accepted: changes.acceptedInvites }, { removed: 0, added: 0, drift: 0, accepted: 0 });
  // a batch envelope (POST /) is recorded besides each of its operations, which are reads here
  const writes = (await calls()).filter((c) => c.method !== 'GET' && c.path !== '/');
  assert.deepEqual(writes, [], 'no invite, removal or assignment after the restart');

  // sandbox reset in the running server: the fixture's business again, and hubwarden reads it
  const cli = (args: string[]) => startProcess(process.execPath, ['bin/hubwarden.mjs', ...args, '--config', config, '--url', url], { env, cwd: REPO_ROOT });
  const reset = cli(['sandbox', 'reset']);
  assert.equal((await reset.exited).code, 0, reset.output().stderr);
  assert.match(reset.output().stdout, /sandbox reset: the business is back as its fixture has it; check for updates started \(sandbox: task /);
  // Jane's seat is gone with the reset (the check it started may already have invited the three
  // people again: the directory still puts them in Meta Advertisers)
  const seats = (s: { users: Array<{ email: string }> }) => s.users.map((u) => u.email).sort();
  assert.deepEqual(seats(await state()), seats(initial));
  await stop();
  // stopped: the saved business is removed, so the next start seeds the fixture
  const offline = cli(['sandbox', 'reset']);
  assert.equal((await offline.exited).code, 0, offline.output().stderr);
  assert.match(offline.output().stdout, /sandbox reset: removed .*sandbox-meta-business\.json; the next start seeds the business from its fixture/);
  assert.ok(!existsSync(worldFile));
});
