/**
 * `npm run bench -- scale --store postgres [--users=1000000] [--hubs=4] [--members=50000] [--invites=5000] [--keep] [--reuse=SCHEMA]`
 *
 * Issue 13's memory and start-up targets: one replica on a PostgreSQL store holding 1,000,000
 * directory users and 200,000 hub members (4 hubs of 250,000 users and 50,000 members each, with
 * 5,000 pending invites, 2,700 assets and ~11,000 assignments per hub: test/bench/lib/scale-dataset.ts)
 * must be ready (/readyz 200) within 30 s and stay within 1 GB RSS through a check for updates of
 * one 50,000-member hub and everyday SCIM and dashboard reads.
 *
 * 1. A fresh schema (test/postgres.ts), created by the store itself with the server's index
 *    definitions; the records and their index entries COPYed in (lib/scale-load.ts), then VACUUM ANALYZE.
 * 2. The generated business in a Meta emulator process (lib/meta-process.ts); every hub points at it.
 * 3. `scim-server/main.ts` started as a process on that schema (lib/replica-process.ts): time from
 *    spawn to /readyz 200, RSS at ready and after each step, peak RSS (VmHWM), CPU seconds.
 * 4. SCIM requests on hub scale-0 (Okta's lookups, pages at the start and the end, a filter no
 *    index serves), a members page (the dashboard's table of 50,000 rows), then a check for updates
 *    of scale-0 until its reconcile pass completes.
 * The schema is dropped at the end unless `--keep`; `--reuse=SCHEMA` skips the load and measures
 * a schema kept earlier (to iterate on the replica without reloading).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseConfig } from '../../config/load.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createHubConnector, definitionOf } from '../../agent/hub-connector.ts';
import { readApp } from '../../agent/check-for-updates/read-app.ts';
import { probePostgres, testDatabaseUrl, testSchema } from '../postgres.ts';
import { startMetaProcess } from './lib/meta-process.ts';
import { startReplica, type Replica } from './lib/replica-process.ts';
import { serverIndexes } from './lib/server-indexes.ts';
import { createSchema, openLoader } from './lib/scale-load.ts';
import { directoryBatches, groupRows, snapshotRows, type HubShape } from './lib/scale-dataset.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ADMIN = 'scale-bench-admin-token-0123456789abcdef';
const SCIM = 'scale-bench-scim-token-0123456789abcdef';
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const option = (args: string[], name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);

function configYaml(o: { hubs: number; schema: string; dir: string; graphUrl: string }): string {
  const hubs = Array.from({ length: o.hubs }, (_, h) => `
  - id: scale-${h}
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", graphBaseUrl: "${o.graphUrl}", accessToken: env:META_TOKEN }
    scim: { tokens: [env:SCALE_SCIM_TOKEN] }
    teams: [{ group: Meta Advertisers, appRole: EMPLOYEE }]
    checkForUpdates: { onConnect: false }
    safety: { drift: report }`).join('');
  return `server: { port: 0, host: 127.0.0.1, adminTokens: [env:SCALE_ADMIN_TOKEN] }
store: { kind: postgres, url: env:DATABASE_URL, schema: ${o.schema}, poolSize: 10 }
secrets: { keyFile: ${join(o.dir, 'hubwarden.key')} }
audit: { file: ${join(o.dir, 'audit.log')} }
hubs:${hubs}
`;
}

export default async function scale(args: string[]): Promise<void> {
  const storeKind = args[args.indexOf('--store') + 1];
  if (!args.includes('--store') || storeKind !== 'postgres') {
    console.error('scale: run with --store postgres (the benchmark measures a replica on a PostgreSQL store)');
    process.exitCode = 1;
    return;
  }
  const users = option(args, 'users', 1_000_000);
  const hubCount = option(args, 'hubs', 4);
  const members = option(args, 'members', 50_000);
  const invites = option(args, 'invites', 5_000);
  const reuse = args.find((a) => a.startsWith('--reuse='))?.split('=')[1];
  const keep = args.includes('--keep') || reuse !== undefined;
  const url = testDatabaseUrl();
  const unreachable = await probePostgres(url);
  if (unreachable) {
    console.error(`scale: PostgreSQL unreachable: ${unreachable}`);
    process.exitCode = 1;
    return;
  }
  const perHub = Math.ceil(users / hubCount);
  const shapes: HubShape[] = Array.from({ length: hubCount }, (_, h) => ({ hubId: `scale-${h}`, users: perHub, members, invites }));
  const { schema, drop } = reuse ? { schema: reuse, drop: async () => {} } : testSchema(url, 'scale');
  const dir = mkdtempSync(join(tmpdir(), 'hubwarden-bench-scale-'));
  console.log(`scale: ${hubCount} hubs × ${perHub.toLocaleString('en')} directory users, ${members.toLocaleString('en')} members, ${invites.toLocaleString('en')} invites; PostgreSQL schema ${schema}; load average ${load()}`);
  const meta = await startMetaProcess({ members, invites });
  let replica: Replica | undefined;
  try {
    const configPath = join(dir, 'hubwarden.yaml');
    writeFileSync(configPath, configYaml({ hubs: hubCount, schema, dir, graphUrl: meta.url }));
    const env = { DATABASE_URL: url, META_TOKEN: SANDBOX.token, SCALE_ADMIN_TOKEN: ADMIN, SCALE_SCIM_TOKEN: SCIM };
    const config = parseConfig(configYaml({ hubs: hubCount, schema, dir, graphUrl: meta.url }), configPath, env);

    if (!reuse) {
      const indexes = serverIndexes(config);
      await createSchema(url, schema, indexes);
      // The business as the real connector reads it: every hub's snapshot has the product's shapes.
      const hub = config.file.hubs[0]!;
      const connector = createHubConnector(hub, config, { log: silent });
      const readStarted = performance.now();
      const reading = await readApp(connector, { assetTypes: Object.keys(definitionOf(hub).assetTypes) as never, partnersWithToken: connector.partnersWithPeople?.() ?? [] });
      console.log(`  read the generated business once: ${reading.members.length} members, ${reading.invites.length} invites, ${reading.assets.length} assets, ${reading.assignments.length} assignments in ${((performance.now() - readStarted) / 1000).toFixed(1)} s`);
      const loader = await openLoader(url, schema, indexes);
      const started = performance.now();
      for (let h = 0; h < hubCount; h++) {
        for (const batch of directoryBatches(shapes[h]!, h, 10_000)) await loader.load(batch);
        await loader.load(groupRows(shapes[h]!, h));
        await loader.load(snapshotRows(shapes[h]!, h, reading));
        console.log(`  hub scale-${h} queued at ${((performance.now() - started) / 1000).toFixed(1)} s (load average ${load()})`);
      }
      const loaded = await loader.finish();
      const seconds = (performance.now() - started) / 1000;
      const copyS = seconds - (loaded.indexMs + loaded.vacuumMs) / 1000;
      console.log(`  loaded ${loaded.records.toLocaleString('en')} records and ${loaded.entries.toLocaleString('en')} index entries in ${seconds.toFixed(1)} s: COPY ${copyS.toFixed(1)} s (${Math.round(loaded.records / copyS).toLocaleString('en')} records/s), indexes built ${(loaded.indexMs / 1000).toFixed(1)} s, VACUUM ANALYZE ${(loaded.vacuumMs / 1000).toFixed(1)} s; load average ${load()}`);
    }

    replica = startReplica(configPath, env);
    const r = replica;
    const readyMs = await r.ready();
    const step = (label: string, ms?: number) => {
      const m = r.memory();
      console.log(`  ${label.padEnd(58)} ${ms === undefined ? '' : `${(ms / 1000).toFixed(2).padStart(7)} s  `}RSS ${String(m.rssMb).padStart(4)} MB  peak ${String(m.peakMb).padStart(4)} MB  CPU ${r.cpuSeconds().toFixed(1)} s`);
    };
    console.log(`replica (pid ${r.pid}) on ${await r.listening}:`);
    step('ready (/readyz 200, from spawn)', readyMs);
    await new Promise((res) => setTimeout(res, 5_000));
    step('5 s after ready');

    const base = await r.listening;
    const timed = async (label: string, path: string, token: string, init: RequestInit = {}) => {
      const t0 = performance.now();
      const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
      const body = await res.json().catch(() => undefined) as any;
      const ms = performance.now() - t0;
      if (!res.ok) throw new Error(`${label}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      step(`${label} (${res.status}${body?.totalResults !== undefined ? `, ${body.totalResults} results` : body?.total !== undefined ? `, ${body.total} total` : ''})`, ms);
      return body;
    };
    const scim = `/scim/v2/hubs/scale-0`;
    // `--skip-reads`: straight to the check for updates (when iterating on it).
    if (!args.includes('--skip-reads')) {
    const q = (filter: string) => encodeURIComponent(filter);
    await timed('SCIM userName eq (Okta lookup)', `${scim}/Users?filter=${q('userName eq "member123@bench.example"')}`, SCIM);
    await timed('SCIM externalId eq', `${scim}/Users?filter=${q('externalId eq "00u0000000abc"')}`, SCIM);
    await timed('SCIM page 1 (100 users)', `${scim}/Users?startIndex=1&count=100`, SCIM);
    await timed(`SCIM page at ${(perHub - 100).toLocaleString('en')} (100 users)`, `${scim}/Users?startIndex=${perHub - 100}&count=100`, SCIM);
    await timed('SCIM filter no index serves (name.familyName eq)', `${scim}/Users?filter=${q('name.familyName eq "Number 123456"')}`, SCIM);
    await timed('SCIM Groups displayName eq, members excluded', `${scim}/Groups?filter=${q('displayName eq "Meta Advertisers"')}&excludedAttributes=members`, SCIM);
    await timed('SCIM Groups page (26 groups, members excluded)', `${scim}/Groups?startIndex=1&count=100&excludedAttributes=members`, SCIM);
    await timed('members page 1 of hub scale-0 (dashboard table)', '/api/v1/hubs/scale-0/members?limit=50', ADMIN);
    await timed('members page, search "member4999"', '/api/v1/hubs/scale-0/members?limit=50&search=member4999', ADMIN);
    }

    // Predicate locks (SIReadLock, https://www.postgresql.org/docs/current/view-pg-locks.html) held
    // in the whole server while the check runs, and on this schema: the shared lock table is
    // max_pred_locks_per_transaction × max_connections entries; when it is full, every
    // SERIALIZABLE transaction fails with "out of shared memory".
    const locks = new pg.Client({ connectionString: url, application_name: 'hubwarden-bench-locks' });
    await locks.connect();
    const [limits] = (await locks.query<{ per: string; connections: string }>(`SELECT current_setting('max_pred_locks_per_transaction') AS per, current_setting('max_connections') AS connections`)).rows;
    let lockPeak = { all: 0, schema: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = (await locks.query<{ all: string; mine: string }>(
          `SELECT count(*) AS all, count(*) FILTER (WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)) AS mine
           FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation WHERE l.mode = 'SIReadLock'`, [schema])).rows;
        lockPeak = { all: Math.max(lockPeak.all, Number(row!.all)), schema: Math.max(lockPeak.schema, Number(row!.mine)) };
        await new Promise((res) => setTimeout(res, 250));
      }
    })();
    // A reused keep-alive connection the server closed meanwhile resets (its keep-alive timer fires
    // late when the event loop is busy): such a poll is simply asked again.
    const poll = async (target: string): Promise<any> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await (await fetch(target, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
        } catch (err) {
          if (attempt >= 5) throw err;
          await new Promise((res) => setTimeout(res, 200));
        }
      }
    };
    const checks = option(args, 'checks', 1);
    try {
    for (let c = 1; c <= checks; c++) {
      const t0 = performance.now();
      const queued = await timed(`check for updates of scale-0 #${c}: queued`, '/api/v1/hubs/scale-0/check-for-updates', ADMIN, { method: 'POST', body: '{}' });
      const task = { id: String(queued.taskId) };
      const since = new Date(Date.now() - 1_000).toISOString();
      const deadline = performance.now() + 600_000;
      const waiting = (what: string) => {
        if (performance.now() > deadline) throw new Error(`check for updates #${c}: ${what} not done after 600 s`);
      };
      for (;;) {
        waiting('the check');
        const t = await poll(`${base}/api/v1/tasks/${task.id}`);
        if (t.status === 'failed') throw new Error(`check for updates failed: ${JSON.stringify(t.lastError ?? t)}`);
        if (t.status === 'completed') break;
        await new Promise((res) => setTimeout(res, 200));
      }
      step(`check for updates #${c}: read, saved and matched`, performance.now() - t0);
      for (;;) {
        waiting('the reconcile pass');
        const page = await poll(`${base}/api/v1/tasks?hubId=scale-0&kind=reconcile-hub&limit=5`);
        const pass = (page.items as any[]).find((t) => t.createdAt >= since);
        if (pass?.status === 'failed') throw new Error(`reconcile pass failed: ${JSON.stringify(pass.lastError ?? pass)}`);
        if (pass?.status === 'completed') break;
        await new Promise((res) => setTimeout(res, 200));
      }
      step(`check for updates #${c}: reconcile pass completed`, performance.now() - t0);
    }
    } finally {
      sampling = false;
      await sampler.catch(() => {});
      await locks.end();
      console.log(`  predicate locks (SIReadLock) during the checks: peak ${lockPeak.all} in the server, ${lockPeak.schema} on this schema; lock table ${Number(limits!.per) * Number(limits!.connections)} (max_pred_locks_per_transaction ${limits!.per} × max_connections ${limits!.connections})`);
    }
    await new Promise((res) => setTimeout(res, 5_000));
    step('5 s later');
    await timed('members page 1 after the check', '/api/v1/hubs/scale-0/members?limit=50', ADMIN);
    const m = r.memory();
    console.log(`targets: ready ${(readyMs / 1000).toFixed(1)} s (≤ 30 s: ${readyMs <= 30_000 ? 'met' : 'NOT met'}), peak RSS ${m.peakMb} MB (≤ 1024 MB: ${m.peakMb <= 1024 ? 'met' : 'NOT met'}); load average ${load()}`);
  } catch (err) {
    if (replica) {
      await replica.settle(3_000);
      console.error(`replica output (last 3000 characters):\n${replica.output().slice(-3000)}`);
    }
    throw err;
  } finally {
    await replica?.stop();
    await meta.close();
    if (!keep) await drop();
    else console.log(`kept schema ${schema} (drop it with: psql ${url} -c 'DROP SCHEMA ${schema} CASCADE')`);
    rmSync(dir, { recursive: true, force: true });
  }
}
