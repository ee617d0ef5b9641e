/**
 * `npm run bench -- scim [users] [groups] [storedUsers] [baselineSeconds] [--store memory|lowdb|postgres] [--replicas N] [--only-large]`.
 * An Okta-style import over real HTTP on
 * 127.0.0.1 at concurrency 16: for each user a `userName eq` lookup then a POST; then the groups,
 * each created empty and filled by PATCH `add members` in chunks of 100 (Okta Push Groups). Run
 * twice in the same process: hubwarden (SCIM router + durable LowdbStore in a temp folder) and a
 * do-it-yourself baseline (scimmy + scimmy-routers + lowdb writing the whole file on every
 * request). Then p99 with 100k users already stored (seeded through the store, then a sample of
 * SCIM requests). Prints writes/s, p50/p99 write latency, the server's peak RSS and CPU time
 * (the import's load generator is a separate process; the 100k sample runs in-process). Defaults: 10,000 users, 200 groups of 1 to 1,000 members.
 *
 * `--store` (default lowdb; `--memory` = `--store memory`): the store hubwarden's side runs on;
 * postgres is a fresh schema of the test database, dropped after (lib/bench-store.ts).
 * `--replicas N` (postgres only): the import goes to N server processes on the same schema, each
 * request to the next replica in turn (a load balancer's round robin); CPU and peak RSS are
 * then the replicas' sum and largest, read from /proc. A `baselineSeconds` of 0 skips the baseline.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { openBenchStore, storeKindOf, withoutStoreArg, type BenchStore } from './lib/bench-store.ts';
import express from 'express';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import type { Store } from '../../agent/store/store.ts';
import { defineScimIndexes } from '../../scim-server/scim/router.ts';
import { startScimApp } from '../../scim-server/scim/test-app.ts';
import { call, CHUNK, CONCURRENCY, GROUP, importLoad, oktaUser, PATCH, percentile, pool, rssSampler, type Figures, type Target } from './scim-load.ts';


/** The do-it-yourself baseline: scimmy's process-wide registry, lowdb rewriting its file per write. */
async function startBaseline(dir: string): Promise<{ target: Target; close: () => Promise<void> }> {
  const db = new Low<{ Users: any[]; Groups: any[] }>(new JSONFile(join(dir, 'baseline.json')), { Users: [], Groups: [] });
  await db.read();
  for (const [type, key] of [[SCIMMY.Resources.User, 'Users'], [SCIMMY.Resources.Group, 'Groups']] as const) {
    SCIMMY.Resources.declare(type as any, {
      egress: async (resource: any) => {
        const all = db.data[key];
        if (resource.id) {
          const found = all.find((r) => r.id === resource.id);
          if (!found) throw new SCIMMY.Types.Error(404, null!, `${resource.id} not found`);
          return found;
        }
        return resource.filter ? resource.filter.match(all) : all;
      },
      ingress: async (resource: any, instance: any) => {
        const all = db.data[key];
        const now = new Date().toISOString();
        if (resource.id) {
          const at = all.findIndex((r) => r.id === resource.id);
          if (at < 0) throw new SCIMMY.Types.Error(404, null!, `${resource.id} not found`);
          all[at] = { ...instance, id: resource.id, meta: { ...all[at].meta, lastModified: now } };
          await db.write();
          return all[at];
        }
        if (key === 'Users' && all.some((u) => u.userName.toLowerCase() === instance.userName.toLowerCase())) throw new SCIMMY.Types.Error(409, 'uniqueness', 'userName taken');
        const record = { ...instance, id: randomUUID(), meta: { created: now, lastModified: now } };
        all.push(record);
        await db.write();
        return record;
      },
      degress: async (resource: any) => {
        db.data[key] = db.data[key].filter((r) => r.id !== resource.id);
        await db.write();
      },
    } as any);
  }
  const app = express();
  app.use('/scim', new SCIMMYRouters({ type: 'bearer', handler: (req: any) => {
    if (req.header('authorization') !== 'Bearer baseline') throw new Error('bad token');
    return 'bench';
  } } as any) as any);
  const server: Server = await new Promise((r) => { const s = app.listen(0, '127.0.0.1', () => r(s)); });
  return {
    target: { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim`, token: 'baseline' },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function seededUser(hubId: string, i: number): DirectoryUserRecord {
  const userName = `seed${i}@bench.example`;
  const now = new Date().toISOString();
  const scim = { userName, name: { givenName: 'Seed', familyName: `User ${i}` }, emails: [{ primary: true, value: userName, type: 'work' }], displayName: `Seed ${i}`, externalId: `00s${i}`, active: true };
  return { hubId, id: randomUUID(), userName, externalId: `00s${i}`, active: true, displayName: `Seed ${i}`, email: userName, emails: [userName], scim, created: now, lastModified: now, version: 1 };
}

/** p99 of everyday SCIM traffic with `stored` users already in the hub. */
async function largeHub(store: Store, stored: number, samples: number): Promise<Record<string, { p50: number; p99: number; n: number }>> {
  defineScimIndexes(store);
  const ids: string[] = [];
  for (let i = 0; i < stored; i += 5000) {
    await store.transact((tx) => {
      for (let j = i; j < Math.min(stored, i + 5000); j++) {
        const u = seededUser('bench', j);
        ids.push(u.id);
        tx.put('directoryUsers', 'bench', u.id, u);
      }
    });
  }
  const app = await startScimApp({ hubs: [{ id: 'bench', identityProvider: 'okta' }], store });
  const t = { base: app.hubUrl('bench'), token: app.token('bench') };
  const gid = (await call(t, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Large hub group', members: [] })).json.id;
  const kinds: Record<string, number[]> = { 'GET userName eq': [], 'GET externalId eq': [], 'GET by id': [], 'GET page': [], POST: [], PUT: [], 'PATCH active': [], 'PATCH members': [] };
  const pick = () => Math.floor(Math.random() * stored);
  const ops: Array<[string, () => Promise<unknown>]> = [];
  for (let s = 0; s < samples; s++) {
    const i = pick();
    ops.push(
      ['GET userName eq', () => call(t, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "seed${i}@bench.example"`)}`)],
      ['GET externalId eq', () => call(t, 'GET', `/Users?filter=externalId eq 00s${pick()}`)],
      ['GET by id', () => call(t, 'GET', `/Users/${ids[pick()]}`)],
      ['GET page', () => call(t, 'GET', `/Users?startIndex=${1 + pick()}&count=100`)],
      ['POST', () => call(t, 'POST', '/Users', oktaUser(1_000_000 + s))],
      ['PUT', () => call(t, 'PUT', `/Users/${ids[i]}`, { ...seededUser('bench', i).scim, displayName: `Renamed ${s}` })],
      ['PATCH active', () => call(t, 'PATCH', `/Users/${ids[pick()]}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: s % 2 === 0 } }] })],
      ['PATCH members', () => call(t, 'PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: ids[pick()] }] }] })],
    );
  }
  await pool(ops, async ([kind, run]) => {
    const t0 = performance.now();
    await run();
    kinds[kind].push(performance.now() - t0);
  });
  await app.close();
  const out: Record<string, { p50: number; p99: number; n: number }> = {};
  const all: number[] = [];
  for (const [k, v] of Object.entries(kinds)) {
    v.sort((a, b) => a - b);
    all.push(...v);
    out[k] = { p50: percentile(v, 50), p99: percentile(v, 99), n: v.length };
  }
  all.sort((a, b) => a - b);
  out.all = { p50: percentile(all, 50), p99: percentile(all, 99), n: all.length };
  return out;
}

/**
 * Runs the import from a separate load-generator process (as Okta would be), so this process's CPU
 * time and RSS are the server's alone.
 */
async function importFromClientProcess(label: string, t: Target | Target[], users: number, groups: number, budgetSeconds: number, servers?: ServerProcesses): Promise<Figures> {
  const stopRss = rssSampler();
  const cpu = process.cpuUsage();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, HUBWARDEN_SCIM_BENCH_CLIENT: JSON.stringify({ label, t, users, groups, budgetSeconds }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const code: number = await new Promise((r) => child.on('close', (c) => r(c ?? 1)));
  if (code !== 0) throw new Error(`bench scim: load generator exited with ${code}`);
  const client = JSON.parse(out.trim().split('\n').pop()!) as Figures;
  const used = process.cpuUsage(cpu);
  if (servers) return { ...client, cpuSeconds: servers.cpuSeconds(), peakRssMb: servers.peakRssMb() };
  return { ...client, cpuSeconds: (used.user + used.system) / 1e6, peakRssMb: stopRss() };
}

/** N SCIM servers, each its own process on the same PostgreSQL schema (`--replicas N`). */
interface ServerProcesses {
  targets: Target[];
  /** CPU seconds of every replica so far (/proc/<pid>/stat). */
  cpuSeconds(): number;
  /** The largest peak RSS of a replica (VmHWM), MB. */
  peakRssMb(): number;
  /** Serialization conflicts run again, summed over the replicas (reported as they stop). */
  stop(): Promise<{ retries: number }>;
}

async function startServerProcesses(n: number, postgres: { url: string; schema: string }): Promise<ServerProcesses> {
  const children = await Promise.all(Array.from({ length: n }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, HUBWARDEN_SCIM_BENCH_SERVER: JSON.stringify(postgres) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const target = await new Promise<Target>((resolve, reject) => {
      child.stdout.on('data', () => {
        const line = out.split('\n').find((l) => l.startsWith('{"base"'));
        if (line) resolve(JSON.parse(line) as Target);
      });
      child.once('exit', (code) => reject(new Error(`bench scim: server replica exited with ${code} before listening`)));
    });
    return { child, target, out: () => out };
  }));
  const proc = (pid: number, file: string) => {
    try {
      return readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    targets: children.map((c) => c.target),
    cpuSeconds: () => children.reduce((sum, { child }) => {
      const f = proc(child.pid!, 'stat').replace(/^.*\) /, '').split(' ');
      return sum + (Number(f[11]) + Number(f[12])) / 100;
    }, 0),
    peakRssMb: () => Math.max(...children.map(({ child }) => Math.round(Number(/^VmHWM:\s+(\d+)/m.exec(proc(child.pid!, 'status'))?.[1] ?? 0) / 1024))),
    async stop() {
      let retries = 0;
      for (const { child, out } of children) {
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin!.end(); // the replica closes its store and prints its figures
        await exited;
        const line = out().split('\n').find((l) => l.startsWith('{"retries"'));
        if (line) retries += (JSON.parse(line) as { retries: number }).retries;
      }
      return { retries };
    },
  };
}

// A server replica: the SCIM router on a PostgresStore over the schema named in the environment.
if (process.env.HUBWARDEN_SCIM_BENCH_SERVER) {
  const { url, schema } = JSON.parse(process.env.HUBWARDEN_SCIM_BENCH_SERVER) as { url: string; schema: string };
  const store = new PostgresStore({ url, schema });
  await store.open();
  const app = await startScimApp({ hubs: [{ id: 'bench', identityProvider: 'okta' }], store });
  process.stdout.write(`${JSON.stringify({ base: app.hubUrl('bench'), token: app.token('bench') })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void (async () => {
    await app.close();
    await store.close();
    process.stdout.write(`${JSON.stringify({ retries: store.stats().reRuns })}\n`);
    process.exit(0);
  })());
}

if (process.env.HUBWARDEN_SCIM_BENCH_CLIENT) {
  const { label, t, users, groups, budgetSeconds } = JSON.parse(process.env.HUBWARDEN_SCIM_BENCH_CLIENT);
  const figures = await importLoad(label, Array.isArray(t) ? t : [t], users, groups, budgetSeconds ?? Infinity);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}

const fmt = (f: Figures) =>
  `${f.label}\n   ${String(f.writes).padStart(6)} writes in ${f.seconds.toFixed(1).padStart(6)} s = ${(f.writes / f.seconds).toFixed(0).padStart(5)} writes/s  p50 ${f.p50.toFixed(1)} ms  p99 ${f.p99.toFixed(1)} ms  peak RSS ${f.peakRssMb} MB  errors ${f.errors}\n  server CPU ${f.cpuSeconds.toFixed(1)} s (all requests, lookups included) = ${(f.writes / f.cpuSeconds).toFixed(0)} writes per server CPU-second` +
  Object.entries(f.byKind).map(([k, v]) => `\n  ${k.padEnd(13)} n=${String(v.n).padStart(6)}  p50 ${v.p50.toFixed(1)} ms  p99 ${v.p99.toFixed(1)} ms`).join('') +
  (f.phases ? `\n  phases: ${f.phases}` : '');

export default async function bench(argv: string[]): Promise<void> {
  // `--memory` (= `--store memory`): hubwarden on MemoryStore (no disk), to tell the store's share of the latency apart.
  const kind = argv.includes('--memory') ? 'memory' : storeKindOf(argv, 'lowdb');
  // `--only-large`: just the 100k-users latency sample.
  const onlyLarge = argv.includes('--only-large');
  const rest = withoutStoreArg(argv);
  const ri = rest.indexOf('--replicas');
  const replicas = Number(ri >= 0 ? rest[ri + 1] : rest.find((a) => a.startsWith('--replicas='))?.split('=')[1] ?? 1);
  if (replicas > 1 && kind !== 'postgres') throw new Error('bench scim: --replicas needs --store postgres (replicas share one database)');
  const args = rest.filter((a, i) => !a.startsWith('--') && !(ri >= 0 && i === ri + 1));
  const users = Number(args[0] ?? 10_000);
  const groups = Number(args[1] ?? 200);
  const large = Number(args[2] ?? 100_000);
  // The baseline slows down as its file grows (every write rewrites it); it is stopped after this
  // budget and its rate measured on the smaller, faster part it finished: that favours the baseline.
  const baselineBudget = Number(args[3] ?? 120);
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-bench-scim-'));
  try {
    if (!onlyLarge) await importPhase();
    async function importPhase() {
    console.log(`SCIM import: ${users} users (lookup + POST), ${groups} groups (POST + PATCH add in chunks of ${CHUNK}), concurrency ${CONCURRENCY}; load average ${load()}`);
    const opened: BenchStore = await openBenchStore(kind, dir, 'scim');
    let ours: Figures;
    let storeNote = '';
    // Event-loop stalls in the server (GC, serialization, snapshot work) show up directly in p99.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    if (replicas > 1) {
      defineScimIndexes(opened.store); // built once here, before the replicas start
      await opened.store.get('directoryUsers', 'bench', 'none');
      await opened.store.lookup('directoryUsers', 'directoryUsers.userName', 'none');
      const servers = await startServerProcesses(replicas, opened.postgres!);
      ours = await importFromClientProcess(`hubwarden (router + PostgresStore, ${replicas} replica processes, round robin)`, servers.targets, users, groups, Infinity, servers);
      const { retries } = await servers.stop();
      storeNote = `  store: ${retries} transactions run again after a conflict (all replicas)`;
    } else {
      const app = await startScimApp({ hubs: [{ id: 'bench', identityProvider: 'okta' }], store: opened.store });
      loopDelay.enable();
      ours = await importFromClientProcess(`hubwarden (router + ${opened.kind === 'memory' ? 'MemoryStore, nothing on disk' : opened.label})`, { base: app.hubUrl('bench'), token: app.token('bench') }, users, groups, Infinity);
      await app.close();
      loopDelay.disable();
      const store = opened.store;
      if (store instanceof LowdbStore) storeNote = `  store: ${store.commits} durable commits (${(ours.writes / Math.max(1, store.commits)).toFixed(1)} writes per commit), ${store.checkpoints} snapshot rewrites`;
      if (store instanceof PostgresStore) storeNote = `  store: ${store.stats().reRuns} transactions run again after a conflict`;
    }
    await opened.close();
    console.log(fmt(ours));
    if (replicas === 1) console.log(`  server event-loop delay: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`);
    if (storeNote) console.log(storeNote);
    console.log(`  load average after the import: ${load()}`);

    if (baselineBudget > 0) {
      const baseline = await startBaseline(dir);
      const theirs = await importFromClientProcess('baseline (scimmy-routers + lowdb)', baseline.target, users, groups, baselineBudget);
      await baseline.close();
      console.log(fmt(theirs));
      console.log(`ratio: ${((ours.writes / ours.seconds) / (theirs.writes / theirs.seconds)).toFixed(1)}x the baseline's writes/s`);
    }
    }

    if (large > 0) {
      const stopRss = rssSampler();
      const opened = await openBenchStore(kind, dir, 'scim-large');
      const figures = await largeHub(opened.store, large, 60);
      await opened.close();
      console.log(`\nWith ${large} users stored (seeded through the ${opened.label}), ${figures.all.n} requests at concurrency ${CONCURRENCY}; peak RSS ${stopRss()} MB:`);
      for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(18)} n=${String(v.n).padStart(4)}  p50 ${v.p50.toFixed(1)} ms  p99 ${v.p99.toFixed(1)} ms`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
