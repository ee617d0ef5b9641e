import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, SANDBOX } from './index.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixtureFile } from './fixture.ts';

/** An emulator whose saves land in `saved` (the product writes them to data/sandbox-meta-business.json). */
function persisted(initial?: string) {
  const saved: string[] = [];
  const emulator = createMetaEmulator({ persist: { initial, source: 'saved.json', debounceMs: 5, save: async (text) => void saved.push(text) } });
  return { emulator, saved, last: () => saved.at(-1) };
}

async function invite(url: string, email: string): Promise<string> {
  const res = await fetch(`${url}/v25.0/${SANDBOX.businessId}/business_users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SANDBOX.token}` },
    body: JSON.stringify({ email, role: 'EMPLOYEE' }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

test('a persisted world is saved after Graph writes and control actions, and restores exactly (records, seqs, counters)', async () => {
  const first = persisted();
  const server = await first.emulator.listen();
  try {
    const jane = await invite(server.url, 'jane.doe@example.com');
    await invite(server.url, 'john.roe@example.com');
    first.emulator.control.acceptInvite(jane, { name: 'Jane Doe' });
    await first.emulator.close();
  } finally {
    await server.close();
  }
  assert.ok(first.saved.length >= 1 && first.saved.length <= 3, `one save per burst, got ${first.saved.length}`);
  const before = first.emulator.control.state();
  assert.ok(before.users.some((u) => u.email === 'jane.doe@example.com'), 'Jane accepted and is a member');

  const second = persisted(first.last());
  assert.deepEqual(second.emulator.control.state(), before);
  // a new id after the restart is new, not one handed out before it
  const restarted = await second.emulator.listen();
  try {
    const next = await invite(restarted.url, 'new.person@example.com');
    const earlier = new Set([...before.users, ...before.invites].map((r) => r.id));
    assert.ok(!earlier.has(next), `id ${next} was handed out before the restart`);
    const seqs = [...before.users, ...before.invites, ...before.assets].map((r) => r.seq);
    const newInvite = second.emulator.control.state().invites.find((i) => i.id === next)!;
    assert.ok(newInvite.seq > Math.max(...seqs), 'paging order: new records sort after the restored ones');
  } finally {
    await restarted.close();
  }
});

test('reset goes back to the fixture and is saved; reads save nothing', async () => {
  const fresh = createMetaEmulator().control.state();
  const p = persisted();
  const server = await p.emulator.listen();
  try {
    await invite(server.url, 'jane.doe@example.com');
    await p.emulator.close();
    const saves = p.saved.length;
    await fetch(`${server.url}/v25.0/${SANDBOX.businessId}/business_users?access_token=${SANDBOX.token}`);
    await p.emulator.close();
    assert.equal(p.saved.length, saves, 'a GET is not a change');
    const res = await fetch(`${server.url}/__emulator/reset`, { method: 'POST' });
    assert.equal(res.status, 200);
    await p.emulator.close();
  } finally {
    await server.close();
  }
  const restored = persisted(p.last()).emulator.control.state();
  assert.deepEqual(restored.invites.map((i) => i.email).sort(), fresh.invites.map((i) => i.email).sort());
  assert.deepEqual(restored.users.map((u) => u.id).sort(), fresh.users.map((u) => u.id).sort());
});

test('a damaged or foreign saved world stops start-up with a message naming it', () => {
  assert.throws(() => persisted('{"format":'), /saved\.json is not valid JSON.*left untouched/);
  assert.throws(() => persisted('{"businesses":[]}'), /saved\.json is not a saved sandbox business/);
});

test('a failed save is reported and retried at the next flush', async () => {
  let fail = true;
  const errors: string[] = [];
  const saved: string[] = [];
  const emulator = createMetaEmulator({
    persist: { debounceMs: 1, onError: (e) => errors.push(e.message), save: async (text) => { if (fail) throw new Error('ENOSPC'); saved.push(text); } },
  });
  emulator.control.expireInvite(SANDBOX.pendingInviteId);
  await assert.rejects(emulator.close(), /could not be saved/);
  assert.deepEqual(errors, ['ENOSPC']);
  fail = false;
  await emulator.close();
  assert.equal(saved.length, 1);
  assert.equal(JSON.parse(saved[0]!).state.invites.find((i: { id: string }) => i.id === SANDBOX.pendingInviteId).status, 'EXPIRED');
});

test('a fixture or saved world that is not JSON at all (a token file named by mistake) is refused without quoting its text', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-meta-fixture-'));
  try {
    const token = 'EAABsecretTok3nValue';
    await writeFile(join(dir, 'token'), `${token}\n`);
    assert.throws(() => loadFixtureFile(join(dir, 'token')), (e: Error) => /cannot read JSON: Unexpected token/.test(e.message) && !e.message.includes(token.slice(1, 8)));
    assert.throws(() => persisted(token), (e: Error) => /saved\.json is not valid JSON/.test(e.message) && !e.message.includes(token.slice(1, 8)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
