/**
 * `npm run bench -- check-for-updates [members] [--latency MS] [--store memory|lowdb|postgres]`: one check for updates of a large
 * generated Meta business (sizes: 10,000 members, 1,000 invites, 2,000 ad accounts,
 * 500 pages, 200 catalogs) through the real Meta connector and the in-process Graph emulator,
 * wired the way scim-server/compose.ts wires it (createAgent + createMemberService, task runner,
 * check-for-updates handler, the reconcile-hub pass it queues).
 *
 * Prints Graph calls, wall time split into the read phase (until the last Graph call of the read), the save/match phase (until the run record is stored) and the reconcile pass
 * (until the reconcile-hub task completes), and peak RSS (process: emulator included).
 * Two checks run: the first into an empty snapshot (a newly connected hub), the second with
 * nothing changed in Meta (the hourly schedule). The runner is stopped after the second
 * reconcile pass: the settle-window removals it schedules are not what this measures.
 *
 * `--store`: memory (default), lowdb (journal + fsync per group commit, in a temporary folder) or
 * postgres (a fresh schema of the test database, dropped after; lib/bench-store.ts).
 */
import { performance } from 'node:perf_hooks';
import { createAgent } from '../../agent/agent.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createMemberService } from '../../agent/members/member-service.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBenchStore, storeKindOf, withoutStoreArg } from './lib/bench-store.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import type { TaskRecord } from '../../agent/tasks/task-record.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaEmulator, generateFixture, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { generatedHubYaml, seedGeneratedDirectory } from '../fixtures/generated-directory.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export default async function checkForUpdatesBench(args: string[]): Promise<void> {
  const kind = storeKindOf(args, 'memory');
  const rest = withoutStoreArg(args);
  const li = rest.indexOf('--latency');
  const latencyMs = li >= 0 ? Number(rest[li + 1]) : 0;
  const positional = rest.filter((a, i) => !a.startsWith('--') && (li < 0 || i !== li + 1));
  const n = Number(positional[0] ?? 10_000);
  const fixture = generateFixture({ members: n, invites: Math.round(n / 10) });
  const emulator = createMetaEmulator({ fixture, latencyMs });
  const graph = await emulator.listen(0, '127.0.0.1');
  const config = parseConfig(generatedHubYaml(n), '/tmp/hubwarden-check-for-updates-bench.yaml', {});
  const folder = mkdtempSync(join(tmpdir(), 'hubwarden-cfu-bench-'));
  const opened = await openBenchStore(kind, folder, 'cfu');
  const store = opened.store;
  defineDirectoryIndexes(store);
  console.log(`check-for-updates: ${n} members on ${opened.label}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // 90 % of the business are directory users in the mapped group; the rest stay unmatched.
  const people = emulator.control.state().users.filter((u) => u.businessId === SANDBOX.businessId);
  await seedGeneratedDirectory(store, 'big', people);

  let calls = 0;
  // Phase marks of the current check: the last Graph call of the read, its run record in the
  // store, its reconcile pass completed.
  let marks: { read?: number; saved?: number; reconcile?: number; readCalls?: number; plan?: unknown; run?: string } = {};
  const connector = createHubConnector(config.file.hubs[0], config, { log: silent, sandboxUrls: { 'meta-business': graph.url }, onCall: () => {
    calls++;
    // The read phase ends with its last Graph call (the check's own calls all come before the save).
    if (marks.saved === undefined) { marks.read = performance.now(); marks.readCalls = calls; }
  } });
  const members = createMemberService({ config, store, log: silent, graphCalls: () => calls });
  const agent = createAgent({ config, store, connectorFor: () => connector, log: silent, members, auditFile: false });

  const unsubscribe = store.subscribe((changes) => {
    for (const c of changes) {
      if (c.collection === 'tasks' && c.record) {
        const task = c.record as TaskRecord;
        if (task.kind === 'reconcile-hub' && task.status === 'completed' && marks.saved !== undefined && marks.reconcile === undefined) {
          marks.reconcile = performance.now();
          marks.plan = task.result;
        }
      }
      if (c.collection === 'checkRuns' && c.record && marks.saved === undefined) {
        marks.saved = performance.now();
        marks.run = c.id;
      }
    }
  });

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 20);
  /** One check for updates, timed until its reconcile pass is done. */
  const check = async (label: string) => {
    marks = {};
    const callsBefore = calls;
    const started = performance.now();
    const task = await agent.api.checkForUpdates('big', { type: 'cli', actor: 'bench' });
    for (;;) {
      const now = await agent.api.task(task.id);
      if (now?.status === 'failed') throw new Error(`check for updates failed: ${now.lastError?.message}`);
      if (marks.reconcile !== undefined || (now?.status === 'completed' && marks.reconcile === undefined && !(await store.get('checkRuns', 'big', task.id))?.reconcileTaskId)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ended = performance.now();
    const run = marks.run ? await store.get('checkRuns', 'big', marks.run) : undefined;
    const read = (marks.read ?? ended) - started;
    const save = (marks.saved ?? ended) - (marks.read ?? started);
    const reconcile = (marks.reconcile ?? ended) - (marks.saved ?? started);
    console.log(`${label} (${opened.kind}): ${run?.counts?.members} members, ${run?.counts?.invites} invites, ${run?.counts?.assets} assets, ${run?.counts?.assignments} assignments; ${latencyMs} ms per Graph call`);
    console.log(`  Graph calls    ${(marks.readCalls ?? calls) - callsBefore} (credential check + read)`);
    console.log(`  read           ${s(read)}`);
    console.log(`  save + match   ${s(save)}  (matches: ${JSON.stringify(run?.matchCounts ?? {})}, changes: ${JSON.stringify(run?.changeCounts ?? {})})`);
    console.log(`  reconcile      ${s(reconcile)}  (plan: ${JSON.stringify(marks.plan ?? {})})`);
    console.log(`  total          ${s(ended - started)}`);
  };
  try {
    await agent.runner.start?.();
    await check('first check for updates (empty snapshot)');
    await check('second check for updates (nothing changed in Meta)');
    await agent.runner.stop(0);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    console.log(`peak RSS ${mb(peakRss)} MB (process, emulator included)`);
  } finally {
    clearInterval(sampler);
    unsubscribe();
    members.close();
    await graph.close();
    await opened.close();
    rmSync(folder, { recursive: true, force: true });
    console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  }
}
