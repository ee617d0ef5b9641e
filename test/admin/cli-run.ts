/** Runs the real CLI (bin/hubwarden.mjs) as a child process, for the CLI test files. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';

export const BIN = new URL('../../bin/hubwarden.mjs', import.meta.url).pathname;

export interface Run { code: number; stdout: string; stderr: string }

/** Runs the real CLI (bin/hubwarden.mjs) as a child process; the test server answers meanwhile. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HUBWARDEN_LOG_LEVEL: 'silent', HUBWARDEN_POLL_MS: '10', ...env },
      timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

export function assertOneLineError(run: Run, code: number, pattern: RegExp) {
  assert.equal(run.code, code, `exit code (stderr: ${run.stderr})`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${run.stderr}`);
  assert.match(lines[0], /^hubwarden: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\s+at \S+ \(/, 'no stack trace');
}


/** The admin API over a FakeAgent on a port of its own, and the CLI flags that reach it. */
export async function serveAdminApi(): Promise<{ server: TestServer; agent: FakeAgent; auth: string[] }> {
  const agent = new FakeAgent();
  const server = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent })]]);
  return { server, agent, auth: ['--url', server.url, '--token', TEST_ENV.ADMIN_TOKEN] };
}
