import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './server-process.ts';
import { adminApi, serverRuns, json } from './sandbox-hub.ts';

/**
 * The TikTok sandbox hub of the shipped config keeps its Business Center across a restart: a
 * person invited and accepted before it is still a member after it, so the first check for updates
 * after the restart reports nobody removed and nothing drifted, and nobody is invited again.
 * (`hubwarden sandbox reset` is proven on the Meta sandbox in sandbox-restart.test.ts; the
 * TikTok reset endpoint in the emulator's world-file.test.ts.)
 */
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const BC = '7000000000000000001';
const PEOPLE = ['jane.doe@example.com', 'john.roe@example.com'];

interface Call { method: string; endpoint: string }
interface Row { user_email: string; relation_status: string; user_id?: string }

test('the shipped TikTok sandbox hub: a restart changes nothing in the Business Center; the first check removes nothing and re-invites nobody', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-tiktok-sandbox-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // the shipped config as is, but its store in the temp folder (its file: secrets are ../data/*)
  const shipped = await readFile(join(REPO_ROOT, 'config/hubwarden.yaml'), 'utf8');
  const yaml = shipped.replace('path: data/hubwarden.json', `path: ${join(dir, 'data/hubwarden.json')}`).replace('keyFile: data/hubwarden.key', `keyFile: ${join(dir, 'data/hubwarden.key')}`);
  assert.notEqual(yaml, shipped, 'the shipped config still names data/hubwarden.json');
  assert.doesNotMatch(shipped, /^audit:/m, 'the shipped config leaves audit.file at its default (data/audit.log, relative to the working directory)');
  const withAudit = `${yaml}\naudit: { file: ${join(dir, 'data/audit.log')} }\n`;
  await mkdir(join(dir, 'config'));
  await mkdir(join(dir, 'data'));
  const config = join(dir, 'config/hubwarden.yaml');
  await writeFile(config, withAudit);
  for (const [file, value] of [['admin-token', 'admin-token'], ['sandbox-scim-token', 'meta-scim-token'], ['tiktok-sandbox-scim-token', 'tiktok-scim-token']]) {
    await writeFile(join(dir, 'data', file), `${value}\n`, { mode: 0o600 });
  }
  const admin = { authorization: 'Bearer admin-token' };
  const worldFile = join(dir, 'data/sandbox-tiktok-business.json');
  const lockPath = join(dir, 'data/hubwarden.json.lock');
  const run = serverRuns(t, config, { PORT: '0' }, lockPath);
  let url = '';
  const start = async () => void (url = await run.start());
  const stop = run.stop;
  const api = adminApi(run.url, admin);
  const control = `/sandbox/tiktok/__emulator`;
  const calls = async () => json<Call[]>(await fetch(`${url}${control}/calls`, { headers: admin }));
  const members = async () => (await json<{ members: Array<Row & { bc_id: string }> }>(await fetch(`${url}${control}/state`, { headers: admin }))).members.filter((m) => m.bc_id === BC);
  const state = async () => json<unknown>(await fetch(`${url}${control}/state`, { headers: admin }));
  const scim = (path: string, body: unknown) => api.scim('tiktok-sandbox', 'tiktok-scim-token', path, body);

  await start();
  await api.check('tiktok-sandbox'); // the first import is queued at start; this one waits until the hub is known
  const ids: string[] = [];
  for (const email of PEOPLE) ids.push((await scim('Users', { schemas: [USER], userName: email, emails: [{ value: email, primary: true }], active: true })).id);
  await scim('Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: ids.map((value) => ({ value })) });
  for (let i = 0; (await members()).filter((m) => PEOPLE.includes(m.user_email) && m.relation_status === 'PENDING').length < PEOPLE.length; i++) {
    assert.ok(i < 200, 'the two invitations reached the sandbox');
    await new Promise((r) => setTimeout(r, 100));
  }
  await json(await fetch(`${url}${control}/invites/${BC}/${encodeURIComponent(PEOPLE[0])}/accept`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{"name":"Jane Doe"}' }));
  await api.check('tiktok-sandbox'); // Jane is a member now, and gets her team's assets
  const before = await state();
  assert.ok((await members()).some((m) => m.user_email === PEOPLE[0] && m.relation_status === 'BOUND'));
  await stop();
  assert.ok(existsSync(worldFile), 'the sandbox Business Center is saved in data/');

  await start();
  assert.deepEqual(await state(), before, 'the restart changed nothing in the sandbox Business Center');
  const first = await api.check('tiktok-sandbox');
  const changes = first.result!.changes!;
  assert.deepEqual({ removed: changes.removedMembers, added: changes.newMembers, drift: changes.drift, accepted: changes.acceptedInvites }, { removed: 0, added: 0, drift: 0, accepted: 0 });
  const writes = (await calls()).filter((c) => c.method !== 'GET');
  assert.deepEqual(writes, [], 'no invitation, removal or assignment after the restart');
  await stop();
});
