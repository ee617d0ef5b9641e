/**
 * Starting hubwarden as a real process, the way people and supervisors do (`npm start`,
 * `node dist/scim-server/main.js`), and watching it stop. Shared by the process-level tests.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  /** The PID that was started (npm's, for `npm start`): the one a supervisor signals. */
  pid: number;
  kill(signal: NodeJS.Signals): void;
  /** Signals the whole process group (needs `ownProcessGroup`), as Ctrl-C in a terminal does. */
  killGroup(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The URL from the banner's "hubwarden listening on …" line. */
  listening: Promise<string>;
  output(): { stdout: string; stderr: string };
}

export function startProcess(command: string, args: string[], options: { cwd?: string; env?: Record<string, string>; ownProcessGroup?: boolean } = {}): ServerProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, HUBWARDEN_LOG_LEVEL: 'silent', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false, // its own group, as a terminal's foreground job is
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const listening = new Promise<string>((resolveUrl, reject) => {
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) resolveUrl(m[1]!);
    });
    void exited.then(({ code, signal }) => reject(new Error(`${command} exited (${code ?? signal}) before listening: ${stderr}`)));
  });
  listening.catch(() => {});
  return { pid: child.pid!, kill: (signal) => child.kill(signal), killGroup: (signal) => process.kill(-child.pid!, signal), exited, listening, output: () => ({ stdout, stderr }) };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function killIfAlive(pid: number): void {
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Whether something accepts TCP connections at the URL's host and port. */
export function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((r) => {
    const socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
    socket.once('connect', () => {
      socket.destroy();
      r(true);
    });
    socket.once('error', () => r(false));
  });
}

/**
 * Polls until the server is gone: its port refuses connections, its store lock file is removed
 * (released by a clean close, not just left behind) and its process has exited. Returns the
 * milliseconds that took, or throws naming what was still there after `limitMs`.
 */
export async function waitUntilStopped(server: { url: string; lockPath: string; pid: number }, limitMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const left = { port: await accepts(server.url), lock: existsSync(server.lockPath), process: isAlive(server.pid) };
    if (!left.port && !left.lock && !left.process) return Date.now() - started;
    if (Date.now() - started > limitMs) {
      const still = Object.entries(left).filter(([, v]) => v).map(([k]) => k);
      throw new Error(`still there after ${limitMs} ms: ${still.join(', ')} (server pid ${server.pid}, ${server.url})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A config with one hub, `sandbox`, on the built-in Meta emulator; the SCIM token comes from
 * TEST_SCIM_TOKEN and (with `admin`) the admin token from TEST_ADMIN_TOKEN. `hubExtra` is more
 * YAML for the hub, indented four spaces.
 */
export function sandboxConfig(options: { store: string; keyFile: string; admin?: boolean; hubExtra?: string }): string {
  // audit.file beside the store: its default (data/audit.log) is relative to the working
  // directory, which for these processes is the checkout.
  return `
server: { port: 8080${options.admin ? ', adminTokens: [env:TEST_ADMIN_TOKEN]' : ''} }
store: { kind: lowdb, path: ${options.store} }
secrets: { keyFile: ${options.keyFile} }
audit: { file: ${join(dirname(options.store), 'audit.log')} }
hubs:
  - id: sandbox
    connector: meta-business
    meta: { businessId: "1000000000000001", graphBaseUrl: sandbox }
    scim: { tokens: [env:TEST_SCIM_TOKEN] }
${options.hubExtra ?? ''}`;
}
