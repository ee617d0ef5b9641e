import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killIfAlive, sandboxConfig, startProcess, waitUntilStopped } from './server-process.ts';

/**
 * `npm start` exactly as a person or a supervisor runs it, from the repository root; only the
 * config (HUBWARDEN_CONFIG, a temp folder's store) and the port (PORT=0) differ. The signal goes
 * to the PID `npm start` got, which is npm's, never the server's own.
 */
async function tempSandbox(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-npm-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'hubwarden.yaml');
  await writeFile(config, sandboxConfig({ store: join(dir, 'store.json'), keyFile: join(dir, 'hubwarden.key') }));
  return { config, lockPath: join(dir, 'store.json.lock') };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} to the PID of \`npm start\` stops the server, frees its port and releases the store lock within 10 s`, async (t) => {
    const { config, lockPath } = await tempSandbox(t);
    const npm = startProcess('npm', ['start'], { env: { HUBWARDEN_CONFIG: config, PORT: '0', TEST_SCIM_TOKEN: 'x', HUBWARDEN_LOG_LEVEL: 'info' } });
    t.after(() => npm.kill('SIGKILL'));
    const url = await npm.listening;
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const serverPid = Number((await readFile(lockPath, 'utf8')).split(/\s+/)[0]); // the lock reads "<pid> <host>"
    assert.ok(serverPid > 0, 'the lock names the server process');
    t.after(() => killIfAlive(serverPid)); // if the test fails, leave nothing behind
    npm.kill(signal);
    const ms = await waitUntilStopped({ url, lockPath, pid: serverPid });
    t.diagnostic(`${signal}: stopped in ${ms} ms (npm pid ${npm.pid}, server pid ${serverPid})`);
    assert.deepEqual(await npm.exited, { code: 0, signal: null }, npm.output().stderr);
    // "stopping" is followed by the line saying the stop completed, not left as the last word.
    assert.match(npm.output().stderr, new RegExp(`"message":"stopping","signal":"${signal}"[\\s\\S]*"message":"stopped","ms":\\d+,"signal":"${signal}"`));
  });
}

test('Ctrl-C in a terminal (SIGINT to npm and the server both, then npm forwards its own) still stops gracefully: exit 0, lock released', async (t) => {
  const { config, lockPath } = await tempSandbox(t);
  const npm = startProcess('npm', ['start'], { env: { HUBWARDEN_CONFIG: config, PORT: '0', TEST_SCIM_TOKEN: 'x' }, ownProcessGroup: true });
  t.after(() => npm.kill('SIGKILL'));
  const url = await npm.listening;
  const serverPid = Number((await readFile(lockPath, 'utf8')).split(/\s+/)[0]); // the lock reads "<pid> <host>"
  t.after(() => killIfAlive(serverPid));
  npm.killGroup('SIGINT');
  await waitUntilStopped({ url, lockPath, pid: serverPid });
  // a repeated signal counted as "insisting" would exit 1 without closing the store
  assert.deepEqual(await npm.exited, { code: 0, signal: null }, npm.output().stderr);
});
