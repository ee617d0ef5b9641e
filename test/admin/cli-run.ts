/**
 * Runs the CLI for the CLI test files: in this process through its own entry point (run() of
 * agent/cli/main.ts, which bin/hubwarden.mjs calls), or as the real command in a child process.
 * A child costs a node start and tsx's loading of the CLI (1–2 s each on the 2-core test machine,
 * and a file ran dozens); what only a process shows (bin/hubwarden.mjs, the exit status node ends
 * with, stderr as a terminal gets it, signals, a closed pipe) keeps tests of its own: cliProcess
 * here, and the files that spawn the command themselves (cli-pipe, cli-sandbox, the emulator ones).
 */
import assert from 'node:assert/strict';
import { before } from 'node:test';
import { execFile } from 'node:child_process';
import { run as runCli } from '../../agent/cli/main.ts';
import { listeningAdminApi } from './admin-api-server.ts';
import type { FakeAgent } from './fake-agent.ts';
import { TEST_ENV } from './test-server.ts';

export const BIN = new URL('../../bin/hubwarden.mjs', import.meta.url).pathname;

export interface Run { code: number; stdout: string; stderr: string }

/** The environment a CLI run gets besides the caller's: no log lines, fast task polling. */
const BASE_ENV = { HUBWARDEN_LOG_LEVEL: 'silent', HUBWARDEN_POLL_MS: '10' };

/** Runs the real CLI (bin/hubwarden.mjs) as a child process; the test server answers meanwhile. */
export function cliProcess(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...BASE_ENV, ...env },
      timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the CLI in this process: run(args) with what it writes to stdout and stderr captured, its
 * exit code, and the environment a child of cliProcess would see for everything the CLI reads
 * (HUBWARDEN_* from `env` only). One run at a time: stdout, stderr, the environment and
 * process.exitCode are the process's own. The test server answers meanwhile, in this process.
 * Only strings are captured: the CLI writes strings, and the test runner's own reports to its
 * parent, which may be flushed meanwhile, are Buffers (node's v8-serializer reporter). Log lines
 * of this process's server written meanwhile would be captured too: test/run.mjs runs the tests
 * with HUBWARDEN_LOG_LEVEL=silent unless told otherwise.
 */
export function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const next = queue.then(() => cliHere(args, env));
  queue = next.catch(() => {});
  return next;
}

async function cliHere(args: string[], env: Record<string, string>): Promise<Run> {
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: 'stdout' | 'stderr') => function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk !== 'string') return (writes[stream] as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    out[stream] += chunk;
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (done) process.nextTick(done);
    return true;
  } as typeof process.stdout.write;
  const savedEnv = { ...process.env };
  const exitCode = process.exitCode;
  const errorListeners = process.stdout.listeners('error');
  for (const name of Object.keys(process.env)) if (/^(HUBWARDEN_(?!TEST_)|NO_COLOR$|FORCE_COLOR$|CLICOLOR_FORCE$)/.test(name)) delete process.env[name];
  Object.assign(process.env, BASE_ENV, env);
  process.exitCode = undefined;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    const code = await runCli([...args]);
    return { code, ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = exitCode;
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    // run() watches stdout for EPIPE (and exits): a test process's stdout is its reporter's.
    for (const listener of process.stdout.listeners('error')) if (!errorListeners.includes(listener)) process.stdout.off('error', listener as () => void);
  }
}

export function assertOneLineError(run: Run, code: number, pattern: RegExp) {
  assert.equal(run.code, code, `exit code (stderr: ${run.stderr})`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${run.stderr}`);
  assert.match(lines[0], /^hubwarden: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\s+at \S+ \(/, 'no stack trace');
}

/**
 * The admin API for the enclosing describe block (listeningAdminApi) and `auth`, the CLI flags
 * that reach it (filled in once it listens): the set-up the CLI test files share.
 */
export function adminApiForCli(): { readonly agent: FakeAgent; readonly auth: string[]; readonly url: string } {
  const auth: string[] = [];
  const api = Object.assign(listeningAdminApi(), { auth });
  before(() => {
    auth.push('--url', api.url, '--token', TEST_ENV.ADMIN_TOKEN);
  });
  return api;
}
