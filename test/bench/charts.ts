/**
 * `npm run bench -- charts [n]`: what drawing the dashboard's charts costs the server, per page
 * load, with `n` finished tasks (default 10,000) and 1.25 n invite audit entries on one hub, read
 * through the real AgentApi read functions (queryTasks, queryAudit) over a MemoryStore. For
 * scale it also times one page of the task list, which the automation page asks for every 2 s.
 */
import { performance } from 'node:perf_hooks';
import type { AgentApi, HubSummary } from '../../agent/api.ts';
import { appendAudit } from '../../agent/audit/audit-log.ts';
import { queryAudit } from '../../agent/audit/audit-query.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { queryTasks } from '../../agent/tasks/task-query.ts';
import { automationCharts, hubCharts } from '../../scim-server/web/chart-sections.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(runs: number, fn: () => unknown): Promise<{ median: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return { median: median(times), max: Math.max(...times) };
}

export default async function chartsBench(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 10_000);
  const store = new MemoryStore();
  await store.open();
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const outcomes = ['completed', 'completed', 'completed', 'completed', 'failed', 'cancelled'] as const;
  await store.transact((tx) => {
    for (let i = 0; i < n; i++) {
      const done = now - Math.floor((i / n) * 30 * 3_600_000);
      tx.put('tasks', 'big', `t-${i}`, {
        id: `t-${i}`, hubId: 'big', kind: 'invite', status: outcomes[i % outcomes.length], idempotencyKey: `k-${i}`, payload: {}, summary: `task ${i}`,
        trigger: { type: 'scim' }, attempts: 1, attemptsEnded: 1, createdAt: iso(done - 2000), updatedAt: iso(done), startedAt: iso(done - 300), completedAt: iso(done),
      });
      for (const action of i % 4 === 0 ? ['invite', 'invite-accepted'] : ['invite']) {
        appendAudit(tx, { hubId: 'big', trigger: { type: 'scim' }, action, outcome: 'ok', why: `${action} ${i}`, subject: { email: `p${i}@bench.example` } });
      }
    }
  });
  const agent = { tasks: (q) => queryTasks(store, q), audit: (q) => queryAudit(store, q) } as Partial<AgentApi> as AgentApi;
  const hub: HubSummary = {
    id: 'big', label: 'Big', connector: 'meta-business', health: { status: 'ok', problems: [], failingTasks: 0, invitesNearExpiry: 0 },
    memberCounts: { onboarded: 9000, invited: 200, lapsed: 0, unmatched: 700, guest: 50, exempted: 50 },
  };
  const rows: Array<[string, { median: number; max: number }]> = [
    ['hub page charts (standing + invite funnel)', await time(15, () => hubCharts(agent, hub))],
    ['automation charts (tasks/hour, Graph, durations)', await time(15, () => automationCharts(agent, now))],
    ['for scale: one task-list page of 50', await time(15, () => agent.tasks({ offset: 0, limit: 50 }))],
    ['for scale: one audit page of 100', await time(15, () => agent.audit({ hubId: 'big', offset: 0, limit: 100 }))],
  ];
  console.log(`charts with ${n} finished tasks and ${Math.round(n * 1.25)} invite audit entries (15 runs each)`);
  for (const [name, t] of rows) console.log(`  ${name.padEnd(50)} median ${t.median.toFixed(1).padStart(7)} ms  max ${t.max.toFixed(1).padStart(7)} ms`);
  await store.close();
}
