import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandalone, generateFixture, SANDBOX } from './index.ts';

test('startStandalone serves the sandbox fixture on 127.0.0.1', async () => {
  const s = await startStandalone({ port: 0 });
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${s.url}/v25.0/${SANDBOX.businessId}?access_token=${SANDBOX.token}`);
    assert.deepEqual(await r.json(), { id: SANDBOX.businessId, name: 'Sandbox Portfolio' });
  } finally {
    await s.close();
  }
});

test('startStandalone loads a fixture file; an unreadable one fails with its path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meta-emulator-'));
  try {
    const path = join(dir, 'bench.json');
    writeFileSync(path, JSON.stringify(generateFixture({ members: 40, invites: 0, adAccounts: 1, pages: 0, catalogs: 0 })));
    const s = await startStandalone({ port: 0, fixturePath: path });
    try {
      const r = await fetch(`${s.url}/v25.0/${SANDBOX.businessId}/business_users?summary=total_count&access_token=${SANDBOX.token}`);
      assert.equal(((await r.json()) as { summary: { total_count: number } }).summary.total_count, 40);
    } finally {
      await s.close();
    }
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"businesses": 1}');
    await assert.rejects(startStandalone({ port: 0, fixturePath: broken }), /broken\.json: businesses: /);
    const badStatus = generateFixture({ members: 1, invites: 1, adAccounts: 0, pages: 0, catalogs: 0 }) as unknown as { invites: Array<{ status: string }> };
    badStatus.invites[0].status = 'LOST';
    writeFileSync(broken, JSON.stringify(badStatus));
    await assert.rejects(startStandalone({ port: 0, fixturePath: broken }), /invites\[0\]\.status: /);
    const dangling = generateFixture({ members: 1, invites: 0, adAccounts: 1, pages: 0, catalogs: 0, sharedAdAccounts: 0 });
    dangling.assignments.push({ assetId: 'act_404', userId: dangling.businessUsers[0].id, tasks: ['ANALYZE'] });
    writeFileSync(broken, JSON.stringify(dangling));
    await assert.rejects(startStandalone({ port: 0, fixturePath: broken }), /assignments\[\d+\]: asset act_404/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('seed replaces the state; state() is a deep copy', async () => {
  const { createMetaEmulator } = await import('./index.ts');
  const emu = createMetaEmulator();
  const snap = emu.control.state();
  snap.users.length = 0;
  assert.ok(emu.control.state().users.length > 0, 'mutating a snapshot changes nothing');
  emu.control.seed(generateFixture({ members: 5, invites: 1, adAccounts: 1, pages: 0, catalogs: 0, sharedAdAccounts: 0 }));
  const state = emu.control.state();
  assert.equal(state.users.length, 5);
  assert.equal(state.invites.length, 1);
  assert.equal(state.assets.length, 1);
});
