import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTikTokEmulator, sandboxFixture, startStandalone, TIKTOK_SANDBOX as S } from './index.ts';

test('startStandalone serves the sandbox fixture on 127.0.0.1', async () => {
  const s = await startStandalone({ port: 0 });
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${s.url}/open_api/v1.3/bc/get/?bc_id=${S.bcId}`, { headers: { 'Access-Token': S.token } });
    const body = (await r.json()) as { code: number; data: { list: Array<{ bc_info: { name: string } }> } };
    assert.equal(body.code, 0);
    assert.equal(body.data.list[0]!.bc_info.name, 'Sandbox Business Center');
  } finally {
    await s.close();
  }
});

test('startStandalone loads a fixture file; a bad one fails naming the file and the place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiktok-emulator-'));
  try {
    const path = join(dir, 'mine.json');
    const fixture = sandboxFixture();
    writeFileSync(path, JSON.stringify({ ...fixture, members: fixture.members.map((m) => ({ ...m, invited_at: undefined, expires_at: undefined })) }));
    const s = await startStandalone({ port: 0, fixturePath: path });
    await s.close();
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ ...fixture, members: [{ ...fixture.members[0], relation_status: 'GONE' }] }));
    await assert.rejects(startStandalone({ port: 0, fixturePath: broken }), /broken\.json: members\[0\]\.relation_status/);
    writeFileSync(broken, JSON.stringify({ ...fixture, members: [{ ...fixture.members[5], user_id: '1' }] }));
    await assert.rejects(startStandalone({ port: 0, fixturePath: broken }), /a BOUND row has a user_id/);
    writeFileSync(broken, JSON.stringify({ ...fixture, assignments: [{ ...fixture.assignments[0], asset_id: '404' }] }));
    await assert.rejects(startStandalone({ port: 0, fixturePath: broken }), /assignments\[0\]: asset 404 is not in assets/);
    writeFileSync(broken, '{not json');
    await assert.rejects(startStandalone({ port: 0, fixturePath: broken }), /broken\.json: cannot read JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('seed replaces the state; state() is a deep copy', () => {
  const emu = createTikTokEmulator();
  const snap = emu.control.state();
  snap.members.length = 0;
  assert.ok(emu.control.state().members.length > 0, 'mutating a snapshot changes nothing');
  emu.control.seed({ ...snap, members: sandboxFixture().members.slice(0, 1) });
  assert.equal(emu.control.state().members.length, 1);
});
