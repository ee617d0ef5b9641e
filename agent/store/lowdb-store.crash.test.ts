import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LowdbStore } from './lowdb-store.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs the writer child, SIGKILLs it `killAfterMs` after its first acknowledgement, returns the ids it acknowledged. */
function writeUntilKilled(path: string, prefix: string, checkpointBytes: number, killAfterMs: number): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'lowdb-store.crash-child.ts'), path, prefix, String(checkpointBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ack ')) {
          // the clock starts at the first acknowledgement, so a slow start (tsx, a busy machine) cannot leave nothing to check
          if (acked.length === 0) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          acked.push(line.slice(4));
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited by itself (code ${code})`));
      else resolvePromise(acked);
    });
  });
}

test('a writer killed with SIGKILL (mid-append, mid-checkpoint) at a random moment leaves a file that parses and holds every acknowledged write', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.json');
  let previous = 0;
  for (let round = 0; round < 4; round++) {
    // odd rounds checkpoint every ~50 KB of journal, so kills also land mid-rotation and mid-snapshot
    const acked = await writeUntilKilled(path, `r${round}-`, round % 2 ? 50_000 : 16 << 20, Math.floor(Math.random() * 600));
    assert.ok(acked.length > 0, `round ${round}: the writer acknowledged nothing before it was killed`);
    JSON.parse(await readFile(path, 'utf8')); // never half-written
    const store = new LowdbStore(path);
    await store.open();
    const missing: string[] = [];
    for (const id of acked) if ((await store.get('crashTestItems', '', id)) === undefined) missing.push(id);
    assert.deepEqual(missing, [], `round ${round}: acknowledged writes lost`);
    assert.ok(await store.count('crashTestItems', '') >= previous + acked.length);
    previous = await store.count('crashTestItems', '');
    await store.close();
  }
});
