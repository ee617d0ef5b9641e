/**
 * `npm run bench -- check-for-updates [members] [--latency MS]`: one check for updates of a large
 * generated Meta business (issue 3 item 7 sizes: 10,000 members, 1,000 invites, 2,000 ad accounts,
 * 500 pages, 200 catalogs) through the real Meta connector and the in-process Graph emulator,
 * wired the way scim-server/compose.ts wires it (createAgent + createMemberService, task runner,
 * check-for-updates handler, the reconcile-hub pass it queues).
 *
 * Prints Graph calls, wall time split into the read phase (until the last Graph call of the read), the save/match phase (until the run record is stored) and the reconcile pass
 * (until the reconcile-hub task completes), and peak RSS (process: emulator included).
 * The runner is stopped as soon as the reconcile pass is done: the operation tasks it queued
 * would start changing thousands of seats, which is not what this measures.
 */
import { performance } from 'node:perf_hooks';
import { createAgent } from '../../agent/agent.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createMemberService } from '../../agent/members/member-service.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import type { TaskRecord } from '../../agent/tasks/task-record.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaEmulator, generateFixture, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export default async function checkForUpdatesBench(args: string[]): Promise<void> {
  const li = args.indexOf('--latency');
  const latencyMs = li >= 0 ? Number(args[li + 1]) : 0;
  const positional = args.filter((a, i) => !a.startsWith('--') && (li < 0 || i !== li + 1));
  const n = Number(positional[0] ?? 10_000);
  const fixture = generateFixture({ members: n, invites: Math.round(n / 10) });
  const emulator = createMetaEmulator({ fixture, latencyMs });
  const graph = await emulator.listen(0, '127.0.0.1');
  const config = parseConfig(`
hubs:
  - id: big
    label: Generated business (${n} members)
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", graphBaseUrl: sandbox }
    teams: [{ group: Meta Advertisers, appRole: EMPLOYEE }]
    checkForUpdates: { onConnect: false }
    safety: { drift: report }
`, '/tmp/hubwarden-check-for-updates-bench.yaml', {});
  const store = new MemoryStore();
  await store.open();
  defineDirectoryIndexes(store);
  // 90 % of the business are directory users in the mapped group; the rest stay unmatched.
  const people = emulator.control.state().users.filter((u) => u.businessId === SANDBOX.businessId);
  const at = new Date().toISOString();
  await store.transact((tx) => {
    const members: Array<{ value: string }> = [];
    people.forEach((u, i) => {
      if (i % 10 === 0) return;
      tx.put('directoryUsers', 'big', `d${i}`, { hubId: 'big', id: `d${i}`, userName: u.email, active: true, email: u.email, emails: [u.email], scim: {}, created: at, lastModified: at, version: 1 });
      members.push({ value: `d${i}` });
    });
    tx.put('directoryGroups', 'big', 'g', { hubId: 'big', id: 'g', displayName: 'Meta Advertisers', members, scim: {}, created: at, lastModified: at, version: 1 });
  });

  let calls = 0;
  // Phase marks: the last Graph call of the read, the run record in the store, the reconcile task done.
  const marks: { read?: number; saved?: number; reconcile?: number; readCalls?: number } = {};
  const connector = createHubConnector(config.file.hubs[0], config, { log: silent, sandboxGraphBaseUrl: graph.url, onCall: () => {
    calls++;
    // The read phase ends with its last Graph call (the check's own calls all come before the save).
    if (marks.saved === undefined) { marks.read = performance.now(); marks.readCalls = calls; }
  } });
  const members = createMemberService({ config, store, log: silent, graphCalls: () => calls });
  const agent = createAgent({ config, store, connectorFor: () => connector, log: silent, members, auditFile: false });

  let reconcileId: string | undefined;
  let plan: unknown;
  const unsubscribe = store.subscribe((changes) => {
    for (const c of changes) {
      if (c.collection === 'tasks' && c.record) {
        const task = c.record as TaskRecord;
        if (task.kind === 'reconcile-hub') reconcileId = task.id;
        if (task.kind === 'reconcile-hub' && task.status === 'completed' && marks.reconcile === undefined) {
          marks.reconcile = performance.now();
          plan = task.result;
        }
      }
      if (c.collection === 'checkRuns' && marks.saved === undefined) marks.saved = performance.now();
    }
  });

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 20);
  try {
    await agent.runner.start?.();
    const started = performance.now();
    const check = await agent.api.checkForUpdates('big', { type: 'cli', actor: 'bench' });
    for (;;) {
      const task = agent.api.task(check.id);
      if (task?.status === 'failed') throw new Error(`check for updates failed: ${task.lastError?.message}`);
      if (marks.reconcile !== undefined || (task?.status === 'completed' && !reconcileId)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ended = performance.now();
    await agent.runner.stop(0);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const run = [...store.list('checkRuns', 'big')][0];
    const read = (marks.read ?? ended) - started;
    const save = (marks.saved ?? ended) - (marks.read ?? started);
    const reconcile = (marks.reconcile ?? ended) - (marks.saved ?? started);
    console.log(`check-for-updates: ${run?.counts?.members} members, ${run?.counts?.invites} invites, ${run?.counts?.assets} assets, ${run?.counts?.assignments} assignments; ${latencyMs} ms per Graph call`);
    console.log(`  Graph calls    ${marks.readCalls ?? calls} (read)`);
    console.log(`  read           ${s(read)}`);
    console.log(`  save + match   ${s(save)}  (matches: ${JSON.stringify(run?.matchCounts ?? {})})`);
    console.log(`  reconcile      ${s(reconcile)}  (plan: ${JSON.stringify(plan ?? {})})`);
    console.log(`  total          ${s(ended - started)}`);
    console.log(`  peak RSS       ${mb(peakRss)} MB (process, emulator included)`);
  } finally {
    clearInterval(sampler);
    unsubscribe();
    members.close();
    await graph.close();
  }
}
