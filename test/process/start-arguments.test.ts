/**
 * The server's start-up failures (scim-server/main.ts fail()) are one line on stderr and exit 1,
 * never quoting a secret: a database URL given by mistake as an argument (`npm start --
 * postgres://app:pw@db/hw`, which parseArgs quotes) or as the config's path (--config,
 * HUBWARDEN_CONFIG). Nothing is created in the working folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TS_NODE_ARGS } from '../child-node.ts';
import { REPO_ROOT, startProcess } from './server-process.ts';

const PASSWORD = 'St4rt-S3cret-pw';
const URL = `postgres://app:${PASSWORD}@db.example/hubwarden`;

test('a database URL as an argument or as the config path: exit 1, one line naming the mistake, the password nowhere', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubwarden-start-args-'));
  try {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[URL], {}, /^hubwarden: Unexpected argument 'postgres:\/\/app:\[redacted\]@db\.example\/hubwarden'\. This command does not take positional arguments \(usage: npm start -- \[--config PATH\]\)$/],
      [[`DATABASE_URL=${URL}`], {}, /^hubwarden: Unexpected argument 'DATABASE_URL=postgres:\/\/app:\[redacted\]@db\.example\/hubwarden'/],
      [['--config', URL], {}, /^hubwarden: --config is a URL, not the path of a config file; not read, and not shown/],
      [[], { HUBWARDEN_CONFIG: URL }, /^hubwarden: HUBWARDEN_CONFIG is a URL, not the path of a config file/],
    ];
    for (const [args, env, line] of cases) {
      const run = startProcess(process.execPath, [...TS_NODE_ARGS, join(REPO_ROOT, 'scim-server/main.ts'), ...args], { cwd: dir, env: { PORT: '0', ...env } });
      const { code } = await run.exited;
      const { stdout, stderr } = run.output();
      assert.equal(code, 1, `${args.join(' ')}: ${stderr}`);
      assert.equal(stdout, '');
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, line);
      assert.ok(!stderr.includes(PASSWORD), stderr);
    }
    assert.deepEqual(readdirSync(dir), [], 'nothing created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
