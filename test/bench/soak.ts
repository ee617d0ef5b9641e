/**
 * `npm run bench -- soak [--minutes=10] [--users=2000] [--warmup=0.2]`: mixed SCIM writes against
 * hubwarden as deployed (SCIM router, agent, durable LowdbStore, the Meta emulator in its own
 * process), at the highest rate the machine holds (16 requests in flight, each sent as soon as the
 * previous one answers), for `minutes`. The population is fixed (`users` people created during
 * warm-up), so the data hubwarden must hold stays the same size: what grows is what it keeps of
 * its history (audit log, finished tasks), which must live on disk, not in memory.
 *
 * Writes: 45% PATCH of a user's name, 20% PUT of a whole user, 35% PATCH of "Meta Advertisers"
 * adding or removing one member (each leads to an invite or a removal, tasks and audit entries).
 *
 * Prints: writes/s; RSS and heap every 30 s; after warm-up (the first `warmup` share of the run)
 * the growth of RSS per 10,000 writes (least squares over the samples); p99 write latency of the
 * first and of the last minute. Targets: ≤ 30 MB per 10k writes, p99 unchanged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { createAgent } from '../../agent/agent.ts';
import { checkForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createScimRouter } from '../../scim-server/scim/router.ts';
import { HUB, hubConfig, silent } from '../agent-e2e/harness.ts';
import { startEmulatorProcess } from './emulator-process.ts';

const CONCURRENCY = 16;
const TOKEN = 'soak-scim-token';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const flag = (args: string[], name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(0.99 * s.length))]! : NaN;
};
const mb = (bytes: number) => bytes / (1 << 20);

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

export default async function soak(args: string[]): Promise<void> {
  const minutes = flag(args, 'minutes', 10);
  const users = flag(args, 'users', 2000);
  const warmupShare = flag(args, 'warmup', 0.2);
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-bench-soak-'));
  const graph = await startEmulatorProcess({ faults: { errorRate: 0, seed: 1 } });
  const store = new LowdbStore(join(dir, 'store.json'));
  await store.open();
  const config = parseConfig(JSON.stringify({ ...hubConfig(), secrets: { keyFile: join(dir, 'hubwarden.key') }, hubs: hubConfig().hubs.map((h) => ({ ...h, scim: { tokens: ['env:SCIM_TOKEN'] } })) }), '/virtual/hubwarden.yaml', { SCIM_TOKEN: TOKEN });
  const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: graph.url }, { log: silent });
  const agent = createAgent({ config, store, connectorFor: () => connector, log: silent, handlers: [checkForUpdatesHandler], auditFile: join(dir, 'audit.log') });
  await agent.start();
  const app = express();
  app.use('/scim/v2', createScimRouter({ config, store }));
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/hubs/${HUB}`;
  const send = async (method: string, path: string, body: unknown): Promise<{ id?: string }> => {
    const res = await fetch(`${base}${path}`, { method, body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' } });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`SCIM ${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as { id?: string }) : {};
  };
  const userBody = (i: number, version: number) => ({ schemas: [USER], userName: `soak${i}@bench.example`, active: true, emails: [{ primary: true, value: `soak${i}@bench.example`, type: 'work' }], name: { givenName: 'Soak', familyName: `${i}-${version}` }, title: `v${version}` });

  console.log(`soak bench: ${minutes} min of mixed SCIM writes, ${users} people, concurrency ${CONCURRENCY}, LowdbStore + agent + Meta emulator (own process)`);
  const ids: string[] = [];
  for (let i = 0; i < users; i += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, users - i) }, async (_, k) => { ids[i + k] = (await send('POST', '/Users', userBody(i + k, 0))).id!; }));
  }
  const groupId = (await send('POST', '/Groups', { schemas: [GROUP], displayName: 'Meta Advertisers', members: [] })).id!;
  const inGroup = new Set<number>();

  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const start = performance.now();
  const end = start + minutes * 60_000;
  const latencies: Array<[number, number]> = []; // [ms since start, latency]
  let writes = 0;
  let errors = 0;
  let version = 0;
  const samples: Array<{ at: number; writes: number; rss: number; heap: number }> = [];
  const sample = () => {
    const m = process.memoryUsage();
    samples.push({ at: performance.now() - start, writes, rss: m.rss, heap: m.heapUsed });
  };
  const sampler = setInterval(sample, 5_000);
  let lastPrint = 0;
  const printer = setInterval(() => {
    const s = samples[samples.length - 1];
    if (!s || s.at - lastPrint < 29_000) return;
    lastPrint = s.at;
    console.log(`  ${(s.at / 1000).toFixed(0).padStart(4)} s  ${String(s.writes).padStart(7)} writes  RSS ${mb(s.rss).toFixed(0)} MB  heap ${mb(s.heap).toFixed(0)} MB`);
  }, 1_000);
  sample();

  const one = async () => {
    const i = Math.floor(random() * users);
    const r = random();
    const t0 = performance.now();
    try {
      if (r < 0.45) await send('PATCH', `/Users/${ids[i]}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'name.familyName', value: `${i}-${++version}` }] });
      else if (r < 0.65) await send('PUT', `/Users/${ids[i]}`, userBody(i, ++version));
      else {
        const op = inGroup.has(i) ? 'remove' : 'add';
        if (op === 'add') inGroup.add(i);
        else inGroup.delete(i);
        await send('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: op === 'add' ? [{ op, path: 'members', value: [{ value: ids[i] }] }] : [{ op, path: `members[value eq "${ids[i]}"]` }] });
      }
      writes++;
      latencies.push([t0 - start, performance.now() - t0]);
    } catch (err) {
      if (errors++ < 5) console.error(`  write failed: ${(err as Error).message}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) await one();
  }));
  const seconds = (performance.now() - start) / 1000;
  sample();
  clearInterval(sampler);
  clearInterval(printer);

  const warm = samples.filter((s) => s.at >= warmupShare * minutes * 60_000);
  const rssPer10k = slope(warm.map((s) => [s.writes, mb(s.rss)])) * 10_000;
  const heapPer10k = slope(warm.map((s) => [s.writes, mb(s.heap)])) * 10_000;
  const minute = Math.min(60_000, (seconds * 1000) / 4);
  const first = latencies.filter(([at]) => at < minute).map(([, l]) => l);
  const last = latencies.filter(([at]) => at >= seconds * 1000 - minute).map(([, l]) => l);
  console.log(`  ${writes} writes in ${seconds.toFixed(0)} s = ${(writes / seconds).toFixed(0)} writes/s, ${errors} errors`);
  console.log(`  after warm-up (${(warmupShare * 100).toFixed(0)}% of the run; ${warm.length} samples, ${warm.length ? warm[warm.length - 1]!.writes - warm[0]!.writes : 0} writes): RSS ${mb(warm[0]?.rss ?? 0).toFixed(0)} -> ${mb(warm[warm.length - 1]?.rss ?? 0).toFixed(0)} MB, growth ${rssPer10k.toFixed(1)} MB per 10k writes (heap ${heapPer10k.toFixed(1)} MB per 10k; target <= 30 MB)`);
  console.log(`  p99 write latency: first ${(minute / 1000).toFixed(0)} s ${p99(first).toFixed(1)} ms (n=${first.length}), last ${(minute / 1000).toFixed(0)} s ${p99(last).toFixed(1)} ms (n=${last.length})`);
  const heldCounts: string[] = [];
  for (const c of ['directoryUsers', 'directoryGroups', 'outbox', 'tasks', 'taskKeys', 'appMembers', 'appInvites', 'audit', 'finishedTasks', 'heldNotes', 'departedUsers'] as const) {
    let n = 0;
    for (const p of await store.partitions(c)) n += await store.count(c, p);
    heldCounts.push(`${c} ${n}`);
  }
  const held = heldCounts.join(', ');
  console.log(`  records in memory at the end: ${held}; audit entries on disk: ${(await agent.api.audit({ limit: 1 })).total}, finished tasks on disk: ${(await agent.api.tasks({ status: 'completed', limit: 1 })).total}`);

  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await agent.stop(2_000);
  await store.close();
  await graph.close();
  await rm(dir, { recursive: true, force: true });
}
