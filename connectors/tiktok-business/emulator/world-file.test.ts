import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTikTokEmulator, TIKTOK_SANDBOX as S } from './index.ts';
import { serializeWorld, restoreWorld } from './world-file.ts';
import { TikTokWorld } from './world.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixtureFile } from './fixture.ts';

const BC = S.bcId;
/** fixture times are relative to the clock: one fixed clock for every emulator here */
const now = () => Date.UTC(2026, 0, 1);

/** An emulator whose saves land in `saved` (the product writes them to data/sandbox-tiktok-business.json). */
function persisted(initial?: string, controlAuth?: (req: { headers: Record<string, unknown> }) => boolean) {
  const saved: string[] = [];
  const emulator = createTikTokEmulator({ rateLimits: null, now, controlAuth, persist: { initial, source: 'saved.json', debounceMs: 5, save: async (text) => void saved.push(text) } });
  return { emulator, saved, last: () => saved.at(-1)! };
}

async function call(url: string, endpoint: string, body: unknown): Promise<{ code: number }> {
  const res = await fetch(`${url}/open_api/v1.3/${endpoint}/`, { method: 'POST', headers: { 'Access-Token': S.token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return (await res.json()) as { code: number };
}

const invite = (url: string, email: string) => call(url, 'bc/member/invite', { bc_id: BC, emails: [email], user_role: 'STANDARD', asset_type: 'ADVERTISER', asset_ids: [S.adAccounts[0]], advertiser_role: 'OPERATOR' });

test('a persisted world is saved after API writes and control actions and restores exactly, user ids and their counter included', async () => {
  const first = persisted();
  const server = await first.emulator.listen();
  let janeId: string;
  try {
    assert.equal((await invite(server.url, 'jane.doe@example.com')).code, 0);
    assert.equal((await invite(server.url, 'john.roe@example.com')).code, 0);
    janeId = first.emulator.control.acceptInvite(BC, 'jane.doe@example.com', { name: 'Jane Doe' }).userId;
    // Jane leaves the BC: her user id must still never go to anyone else after a restart
    assert.equal((await call(server.url, 'bc/member/delete', { bc_id: BC, user_id: janeId })).code, 0);
    await first.emulator.close();
  } finally {
    await server.close();
  }
  assert.ok(first.saved.length >= 1 && first.saved.length <= 4, `one save per burst, got ${first.saved.length}`);
  const before = first.emulator.control.state();
  assert.ok(!before.members.some((m) => m.user_email === 'jane.doe@example.com'), 'the removal was saved');
  assert.ok(before.members.some((m) => m.user_email === 'john.roe@example.com' && m.relation_status === 'PENDING'));

  const second = persisted(first.last());
  assert.deepEqual(second.emulator.control.state(), before);
  const world = new TikTokWorld();
  restoreWorld(world, first.last(), 'saved.json');
  assert.equal(serializeWorld(world), first.last(), 'counter and people round-trip unchanged');
  // Jane comes back: the same user id; John accepts: a new one, never Jane's
  const restarted = await second.emulator.listen();
  try {
    assert.equal((await invite(restarted.url, 'jane.doe@example.com')).code, 0);
    assert.equal(second.emulator.control.acceptInvite(BC, 'jane.doe@example.com').userId, janeId);
    const john = second.emulator.control.acceptInvite(BC, 'john.roe@example.com').userId;
    const earlier = new Set([janeId, ...before.members.flatMap((m) => (m.user_id ? [m.user_id] : []))]);
    assert.ok(!earlier.has(john), `user id ${john} was handed out before the restart`);
  } finally {
    await restarted.close();
  }
});

test('the guarded reset endpoint goes back to the fixture and is saved; reads save nothing', async () => {
  const fresh = createTikTokEmulator({ now }).control.state();
  const p = persisted(undefined, (req) => req.headers.authorization === 'Bearer admin');
  const server = await p.emulator.listen();
  try {
    await invite(server.url, 'jane.doe@example.com');
    await p.emulator.close();
    const saves = p.saved.length;
    await fetch(`${server.url}/open_api/v1.3/bc/member/get/?bc_id=${BC}`, { headers: { 'Access-Token': S.token } });
    await p.emulator.close();
    assert.equal(p.saved.length, saves, 'a GET is not a change');
    assert.equal((await fetch(`${server.url}/__emulator/reset`, { method: 'POST' })).status, 401, 'reset needs the admin token');
    assert.ok(p.emulator.control.state().members.some((m) => m.user_email === 'jane.doe@example.com'), 'a refused reset changes nothing');
    const res = await fetch(`${server.url}/__emulator/reset`, { method: 'POST', headers: { authorization: 'Bearer admin' } });
    assert.equal(res.status, 200);
    await p.emulator.close();
  } finally {
    await server.close();
  }
  assert.deepEqual(persisted(p.last()).emulator.control.state().members, fresh.members);
});

test('a damaged or foreign saved world stops start-up with a message naming it', () => {
  assert.throws(() => persisted('{"format":'), /tiktok emulator: saved\.json is not valid JSON.*left untouched/);
  assert.throws(() => persisted('{"businessCenters":[]}'), /tiktok emulator: saved\.json is not a saved sandbox Business Center/);
  const meta = JSON.stringify({ format: 'hubwarden-meta-emulator-world/1', counters: { seq: 1, id: 1 }, state: {} });
  assert.throws(() => persisted(meta), /saved\.json is not a saved sandbox Business Center \(expected format hubwarden-tiktok-emulator-world\/1\)/);
});

test('a fixture or saved world that is not JSON at all (a token file named by mistake) is refused without quoting its text', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-tiktok-fixture-'));
  try {
    const token = 'act0ken5ecretValue99';
    await writeFile(join(dir, 'token'), `${token}\n`);
    assert.throws(() => loadFixtureFile(join(dir, 'token')), (e: Error) => /cannot read JSON: Unexpected token/.test(e.message) && !e.message.includes(token.slice(1, 8)));
    assert.throws(() => restoreWorld(new TikTokWorld(), token, 'saved.json'), (e: Error) => /saved\.json is not valid JSON/.test(e.message) && !e.message.includes(token.slice(1, 8)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
