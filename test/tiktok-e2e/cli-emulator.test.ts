import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';

const BIN = new URL('../../bin/hubwarden.mjs', import.meta.url).pathname;
const env = { PATH: process.env.PATH, HOME: process.env.HOME, HUBWARDEN_LOG_LEVEL: 'silent' };

test('hubwarden emulator tiktok serves the TikTok emulator until interrupted', async () => {
  const child = spawn(process.execPath, [BIN, 'emulator', 'tiktok', '--port', '0'], { env });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const none = (await (await fetch(`${url}/open_api/v1.3/bc/get/`)).json()) as { code: number };
    assert.equal(none.code, 40104, 'no Access-Token header');
    const ok = (await (await fetch(`${url}/open_api/v1.3/bc/member/get/?bc_id=${S.bcId}`, { headers: { 'Access-Token': S.token } })).json()) as { code: number; data: { page_info: { total_number: number } } };
    assert.equal(ok.code, 0);
    assert.ok(ok.data.page_info.total_number > 0);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('hubwarden emulator tiktok with an unreadable fixture exits non-zero with one readable line', async () => {
  const child = spawn(process.execPath, [BIN, 'emulator', 'tiktok', '--port', '0', '--fixture', '/nonexistent/tiktok.json'], { env });
  let err = '';
  child.stderr.on('data', (c) => { err += c; });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.notEqual(code, 0);
  assert.match(err.trim(), /tiktok emulator: .*\/nonexistent\/tiktok\.json: cannot read JSON/);
  assert.equal(err.trim().split('\n').length, 1);
});
