#!/usr/bin/env node
// Runs every *.test.ts under the project's source folders with node's own test runner, on the
// TypeScript compiled once for the run (test/loader/).
// Node 20 takes no globs on the command line, so the files are listed here. Pass a substring to
// run a subset: `node test/run.mjs scim` runs only test files whose path contains "scim".
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compileForTests, repositoryFiles } from './loader/compile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const files = repositoryFiles(root, (name) => name.endsWith('.test.ts')).map((path) => relative(process.cwd(), path));
const filters = process.argv.slice(2);
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (selected.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}

// PostgreSQL (test/postgres.ts): probed once here, when a selected file needs it, and the result
// handed to the test processes. Unreachable: one line, and those suites skip; with CI=true the
// run fails instead.
// ESBUILD_WORKER_THREADS=0: tsx's synchronous transforms then run through esbuild's per-call
// service instead of its unref'd worker thread, whose synchronous call waits in Atomics.wait with
// no timeout (https://github.com/evanw/esbuild/blob/main/lib/npm/node.ts reads the variable). A
// test process stuck there prints nothing until the 300 s file timeout: CI lost a run that way
// (test/admin/entra-lifecycle.test.ts, no subtest started), and no test of ours reproduced it.
// HUBWARDEN_FREEZE_RECORDS=1: the memory and lowdb stores deep-freeze the records they hold
// (agent/store/frozen-records.ts), so code changing a stored record in place fails its test. It
// cost nothing measurable (dispatch, task and e2e files timed with it on and off).
const env = {
  ...process.env,
  HUBWARDEN_LOG_LEVEL: process.env.HUBWARDEN_LOG_LEVEL ?? 'silent',
  ESBUILD_WORKER_THREADS: process.env.ESBUILD_WORKER_THREADS ?? '0',
  HUBWARDEN_FREEZE_RECORDS: process.env.HUBWARDEN_FREEZE_RECORDS ?? '1',
};
if (selected.some((f) => readFileSync(f, 'utf8').includes('postgresForTests'))) {
  env.HUBWARDEN_TEST_DATABASE_URL = process.env.HUBWARDEN_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const unreachable = await probePostgres(env.HUBWARDEN_TEST_DATABASE_URL);
  if (unreachable && process.env.CI === 'true') {
    console.error(`PostgreSQL unreachable, and CI=true makes this a failure: ${unreachable}`);
    process.exit(1);
  }
  if (unreachable) console.log(`PostgreSQL suites skipped: ${unreachable} (CI=true makes this a failure)`);
  else await dropLeftSchemas(env.HUBWARDEN_TEST_DATABASE_URL);
  env.HUBWARDEN_TEST_POSTGRES = unreachable ? `unreachable: ${unreachable}` : 'reachable';
}

/**
 * Test schemas (test/postgres.ts testSchema: `hw_<label>_<pid>_<8 hex>`) whose process is gone: a
 * test file killed at its timeout never ran its `after(drop)`. Those of a live process (another
 * test run, a benchmark) are kept.
 */
async function dropLeftSchemas(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^hw_.*_[0-9]+_[0-9a-f]{8}$'`);
    for (const { nspname } of rows) {
      const pid = Number(/_(\d+)_[0-9a-f]{8}$/.exec(nspname)[1]);
      if (isAlive(pid)) continue;
      await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
      console.log(`dropped PostgreSQL test schema ${nspname}, left by process ${pid} (gone)`);
    }
  } catch (err) {
    console.log(`could not drop left-over PostgreSQL test schemas: ${err.code ?? ''} ${err.message ?? err}`);
  } finally {
    await client.end().catch(() => {});
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM'; // alive, another user's
  }
}

/** Undefined when the database answers `SELECT 1` within 3 s, else why not (the URL without its password). */
async function probePostgres(url) {
  let where = '(unparsable HUBWARDEN_TEST_DATABASE_URL)';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    where = u.toString();
  } catch {}
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    // An AggregateError (every address of a host refused) has an empty message and a code.
    const { code, message } = err;
    return `${where}: ${message && code && message.includes(code) ? message : [code, message].filter(Boolean).join(' ')}`;
  } finally {
    await client.end().catch(() => {});
  }
}

// Each test process loaded the TypeScript through tsx: about a second of CPU per file in loader
// hooks and transform-cache look-ups, over some 400 files. It is compiled once here instead, and
// the test processes load the result (test/loader/hooks.mjs). Processes the tests start themselves
// (servers, replicas, the CLI) still run through tsx, as `npm start` does.
// Four test files at a time on the 2-core machine: many files wait more than they compute (timers,
// leases, PostgreSQL, child processes), so more files fill the idle CPU (docs/benchmarks.md, "Test
// run: three files at a time" and "four files at a time"). HUBWARDEN_TEST_CONCURRENCY overrides it.
const concurrency = process.env.HUBWARDEN_TEST_CONCURRENCY ?? '4';
// The checkout's data/ is what `npm start` runs on (its key, store, admin token, audit.log): a test
// whose config leaves a default relative path (secrets.keyFile, audit.file) writes there, and a
// later `npm start` took a key or audit lines made by tests for its own. Files the run adds are
// named and removed (data/ too, when the run made it), so a later `npm start` never finds them.
const dataDir = join(root, 'data');
const filesIn = (dir) => (existsSync(dir) ? readdirSync(dir) : []);
const dataBefore = new Set(filesIn(dataDir));
const build = mkdtempSync(join(tmpdir(), 'hubwarden-tests-'));
let status = 1;
try {
  await compileForTests(root, build);
  env.HUBWARDEN_TEST_BUILD = build;
  const result = spawnSync(
    process.execPath,
    ['--import', join(root, 'test/loader/register.mjs'), '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...selected],
    { stdio: 'inherit', env },
  );
  status = result.status ?? 1;
} finally {
  rmSync(build, { recursive: true, force: true });
}
const added = filesIn(dataDir).filter((f) => !dataBefore.has(f));
if (added.length > 0) {
  console.error(`the tests wrote into the checkout's data/ (${added.join(', ')}), removed now: a test's config left a path relative to the working directory; give it a temporary folder (test/test-keyring.ts for a key)`);
  if (dataBefore.size === 0) rmSync(dataDir, { recursive: true, force: true });
  else for (const f of added) rmSync(join(dataDir, f), { recursive: true, force: true });
}
process.exit(status);
