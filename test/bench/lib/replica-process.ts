/**
 * A hubwarden replica as production runs it: `node --import tsx scim-server/main.ts --config …`
 * in its own process (the benchmark's work never counts in its CPU or memory). Gives its URL
 * (from the banner), when /readyz first answered 200, and its memory as the kernel counts it:
 * VmRSS (now) and VmHWM (the peak so far), from /proc/<pid>/status (https://man7.org/linux/man-pages/man5/proc_pid_status.5.html).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Replica {
  pid: number;
  /** Resolves with the URL once the banner is printed. */
  listening: Promise<string>;
  /** Polls /readyz every `everyMs` until 200; resolves with ms since the process was spawned. */
  ready(limitMs?: number, everyMs?: number): Promise<number>;
  /** Resident memory now and at its peak, in MB. */
  memory(): { rssMb: number; peakMb: number };
  cpuSeconds(): number;
  stop(): Promise<void>;
  /** Waits up to `ms` for the process to exit on its own (to read its last words after a failure). */
  settle(ms: number): Promise<void>;
  output(): string;
}

export function startReplica(configPath: string, env: Record<string, string>, execArgv: string[] = []): Replica {
  const spawned = performance.now();
  const child = spawn(process.execPath, [...execArgv, '--import', 'tsx', 'scim-server/main.ts', '--config', configPath], {
    cwd: REPO_ROOT,
    env: { ...process.env, HUBWARDEN_LOG_LEVEL: process.env.HUBWARDEN_LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  let ended = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => {
    ended = `\n(replica exited: code ${code}, signal ${signal})`;
    r(code);
  }));
  const listening = new Promise<string>((resolveUrl, reject) => {
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolveUrl(m[1]!);
    });
    void exited.then((code) => reject(new Error(`replica exited (${code}) before listening:\n${out.slice(-3000)}`)));
  });
  listening.catch(() => {});
  const status = () => {
    try {
      return readFileSync(`/proc/${child.pid}/status`, 'utf8');
    } catch {
      return '';
    }
  };
  const kb = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return {
    pid: child.pid!,
    listening,
    async ready(limitMs = 600_000, everyMs = 100) {
      const url = await listening;
      for (;;) {
        const res = await fetch(`${url}/readyz`).catch(() => undefined);
        if (res?.status === 200) return performance.now() - spawned;
        await res?.arrayBuffer().catch(() => {});
        if (performance.now() - spawned > limitMs) throw new Error(`replica not ready after ${limitMs} ms`);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    },
    memory() {
      const text = status();
      return { rssMb: Math.round(kb(text, 'VmRSS') / 1024), peakMb: Math.round(kb(text, 'VmHWM') / 1024) };
    },
    cpuSeconds() {
      // /proc/<pid>/stat fields 14 and 15: user and system time in clock ticks (100 per second on Linux).
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return NaN;
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
    settle: (ms) => Promise.race([exited.then(() => {}), new Promise<void>((r) => setTimeout(r, ms))]),
    output: () => out + ended,
  };
}
