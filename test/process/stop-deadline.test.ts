import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startProcess } from './server-process.ts';
import { TS_NODE_ARGS } from '../child-node.ts';
import { postgresForTests } from '../postgres.ts';
import { freshSchemas } from '../fresh-schemas.ts';
import { pgProxy } from '../pg-proxy.ts';

const db = await postgresForTests();

/**
 * A replica stopped while its database path went silent (connections open, nothing answers: a
 * network partition, a frozen VM). Before, every stop step waited on pg's 60 s answer timeout and
 * the process, saying nothing, outlived its 10 s (still running after 30 s) until SIGKILL.
 */
test('SIGTERM while PostgreSQL went silent: the process still exits within its 10 s, saying why', { skip: db.skip }, async (t) => {
  const schema = freshSchemas(db)('stopdeadline');
  const proxy = await pgProxy(db.url);
  t.after(() => proxy.close());
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-stop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'hubwarden.yaml');
  await writeFile(config, `
server: { port: 8080 }
store: { kind: postgres, url: env:DATABASE_URL, schema: ${schema}, poolSize: 4 }
secrets: { keyFile: ${join(dir, 'hubwarden.key')} }
audit: { file: ${join(dir, 'audit.log')} }
hubs:
  - id: sandbox
    connector: meta-business
    meta: { businessId: "1000000000000001", graphBaseUrl: sandbox }
    scim: { tokens: [env:TEST_SCIM_TOKEN] }
`);
  const run = startProcess(process.execPath, [...TS_NODE_ARGS, join(REPO_ROOT, 'scim-server/main.ts'), '--config', config], { cwd: dir, env: { PORT: '0', TEST_SCIM_TOKEN: 'x', DATABASE_URL: proxy.url, HUBWARDEN_LOG_LEVEL: 'warn' } });
  t.after(() => run.kill('SIGKILL'));
  const url = await run.listening;
  while ((await fetch(`${url}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000)); // the pool's connections are open
  proxy.freeze();
  const started = Date.now();
  run.kill('SIGTERM');
  // The 30 s bound is cleared once the race is decided: left pending, it held the test process
  // open 20 s after its last test.
  let bound: NodeJS.Timeout | undefined;
  const exit = await Promise.race([run.exited, new Promise<'hung'>((r) => { bound = setTimeout(r, 30_000, 'hung'); })]);
  clearTimeout(bound);
  const ms = Date.now() - started;
  t.diagnostic(`exit ${JSON.stringify(exit)} after ${ms} ms; ${JSON.stringify(run.output())}`);
  assert.notEqual(exit, 'hung', 'still running 30 s after SIGTERM');
  assert.equal(exit !== 'hung' && exit.code, 1, 'a stop cut short is no clean exit');
  assert.ok(ms < 13_000, `exited ${ms} ms after SIGTERM (10 s, and a loaded machine's delay)`);
  assert.match(run.output().stderr, /stopping did not end within 10 s/);
});
