import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import { invitePosts } from './harness.ts';
import { TS_NODE_ARGS } from '../child-node.ts';

const here = dirname(fileURLToPath(import.meta.url));
const PEOPLE = 120;

/** Runs the agent child; SIGKILLs it `killAfterMs` after it is ready (undefined: lets it finish). */
function runChild(path: string, url: string, seed: number, killAfterMs?: number): Promise<{ killed: boolean; done?: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, join(here, 'crash-agent.child.ts'), path, url, String(seed)], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HUBWARDEN_LOG_LEVEL: 'silent' },
    });
    let buffer = '';
    let done: Record<string, number> | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready' && killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        if (line.startsWith('done ')) done = JSON.parse(line.slice(5));
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', done }));
  });
}

test('kill -9 at random moments, restart: every person invited exactly once, every task completed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-agent-crash-'));
  // Latency and transient 5xx (retried with back-off) keep the run going long enough for kills to
  // land mid-call: batched, 120 clean invites would otherwise be out in one or two round trips.
  const emulator = createMetaEmulator({ latencyMs: 60, faults: { errorRate: 0.1 } });
  const server = await emulator.listen(0);
  t.after(async () => { await server.close(); await rm(dir, { recursive: true, force: true }); });
  const path = join(dir, 'store.json');
  let kills = 0;
  for (let round = 0; round < 6; round++) {
    const r = await runChild(path, server.url, round === 0 ? PEOPLE : 0, 30 + Math.floor(Math.random() * 300));
    if (r.killed) kills++;
    if (r.done) break;
  }
  const final = await runChild(path, server.url, 0);
  assert.ok(final.done, 'the last run finished every task');
  assert.ok(kills >= 2, `the agent was killed mid-run (${kills} kills)`);
  const emails = Array.from({ length: PEOPLE }, (_, i) => `person${i}@example.com`);
  const dupes = emails.filter((e) => invitePosts(emulator, e).filter((c) => c.status === 200).length > 1);
  const lost = emails.filter((e) => !emulator.control.state().invites.some((i) => i.email === e && i.status === 'PENDING'));
  assert.deepEqual(dupes, [], 'no duplicate invite');
  assert.deepEqual(lost, [], 'no lost invite');
  const { retried, ...byStatus } = final.done!;
  t.diagnostic(`${kills} kills; ${retried} task(s) ran more than once`);
  const statuses = Object.keys(byStatus);
  assert.ok(statuses.every((s) => s.endsWith(':completed')), `every task completed: ${JSON.stringify(byStatus)}`);
  assert.equal(final.done!['invite:completed'], PEOPLE);
});
