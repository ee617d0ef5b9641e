/**
 * Benchmark: the dashboard on a sandbox business of 10,000 members ("loads within a
 * second"). The Meta emulator serves a generated business, the real agent imports it (check for
 * updates), then chromium signs in with an admin token and times each page until its data is on
 * screen. Run: `npx tsx test/browser/dashboard-bench.ts [members]` (or `npm run bench -- dashboard`
 * once test/bench/dashboard.ts re-exports it).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { createAgent } from '../../agent/agent.ts';
import { createCheckForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createMemberService } from '../../agent/members/member-service.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { appendAudit } from '../../agent/audit/audit-log.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaEmulator, generateFixture, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { createApp } from '../../scim-server/app.ts';
import { createWebRouter } from '../../scim-server/web/router.ts';
import { generatedHubYaml, seedGeneratedDirectory } from '../fixtures/generated-directory.ts';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'bench-admin-token-0123456789';
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A busy day for the charts: one finished task per member over the last 30 hours (completed,
 * failed, cancelled) and the invite audit entries behind the funnel, written as the agent
 * writes them, so the hub and automation pages read through AgentApi what a large hub holds.
 */
async function seedHistory(store: MemoryStore, hubId: string, n: number): Promise<{ tasks: number; audit: number }> {
  const now = Date.now();
  const outcomes = ['completed', 'completed', 'completed', 'completed', 'failed', 'cancelled'] as const;
  let audit = 0;
  await store.transact((tx) => {
    for (let i = 0; i < n; i++) {
      const done = now - Math.floor((i / n) * 30 * 3_600_000);
      const iso = (ms: number) => new Date(ms).toISOString();
      tx.put('tasks', hubId, `bench-${i}`, {
        id: `bench-${i}`, hubId, kind: i % 3 ? 'invite' : 'assign-asset', status: outcomes[i % outcomes.length], idempotencyKey: `bench:${i}`, payload: {},
        summary: `bench task ${i}`, trigger: { type: 'scim', idp: 'okta' }, attempts: 1, attemptsEnded: 1,
        createdAt: iso(done - 2_000), updatedAt: iso(done), startedAt: iso(done - 50 - (i % 40) * 25), completedAt: iso(done),
      });
      for (const action of i % 4 === 0 ? ['invite', 'invite-accepted'] : ['invite']) {
        appendAudit(tx, { hubId, trigger: { type: 'scim', idp: 'okta' }, action, outcome: 'ok', why: `bench ${action} ${i}`, subject: { email: `p${i}@bench.example` } });
        audit++;
      }
    }
  });
  return { tasks: n, audit };
}

export default async function dashboardBench(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 10_000);
  const emulator = createMetaEmulator({ fixture: generateFixture({ members: n, invites: Math.round(n / 50) }) });
  const graph = await emulator.listen(0);
  const http = createServer();
  http.listen(0, '127.0.0.1');
  await new Promise((r) => http.once('listening', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const config = parseConfig(generatedHubYaml(n, `server: { publicUrl: "${url}", adminTokens: [env:TOKEN] }`), '/tmp/hubwarden-dashboard-bench.yaml', { TOKEN });
  const store = new MemoryStore();
  await store.open();
  defineDirectoryIndexes(store);
  // 90 % of the business are directory users in the mapped group; the rest stay unmatched.
  const people = emulator.control.state().users.filter((u) => u.businessId === SANDBOX.businessId);
  await seedGeneratedDirectory(store, 'big', people);
  const connector = createHubConnector(config.file.hubs[0], config, { log: silent, sandboxUrls: { 'meta-business': graph.url } });
  const members = createMemberService({ config, store, log: silent });
  const agent = createAgent({ config, store, connectorFor: () => connector, log: silent, members, handlers: [createCheckForUpdatesHandler()], auditFile: false });
  // Only the import: the reconcile pass it queues would start changing 10,000 seats.
  let t = performance.now();
  await agent.runner.start?.();
  const check = await agent.api.checkForUpdates('big', { type: 'cli', actor: 'bench' });
  for (;;) {
    const task = (await agent.api.task(check.id))!;
    if (task.status === 'completed' || task.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const importMs = performance.now() - t;
  await agent.runner.stop(0);
  const history = await seedHistory(store, 'big', n);
  http.on('request', createApp({
    store, log: silent as never,
    routers: [
      { path: '/api/v1', router: createAdminRouter({ config, agent: agent.api, log: silent as never }) },
      { path: '/ui', router: createWebRouter({ config, agent: agent.api, store, log: silent }) },
    ],
  }));

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${url}/ui/sign-in`);
  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in with token' }).click();
  await page.locator('[data-hub="big"]').waitFor();

  const pages: Array<[string, string, (p: Page) => Promise<unknown>]> = [
    ['business hubs', '/ui/', (p) => p.locator('[data-hub="big"] [data-count="onboarded"]').waitFor()],
    ['members + charts (first 50)', '/ui/hubs/big', (p) => p.locator('#members-table tbody tr[data-member]').first().waitFor()],
    ['assets', '/ui/hubs/big?tab=assets', (p) => p.locator('[data-asset]').first().waitFor()],
    ['automation (with its charts)', '/ui/automation', (p) => p.locator('#tasks tbody tr[data-task]').first().waitFor()],
    ['audit log', '/ui/audit', (p) => p.locator('#audit tbody tr').first().waitFor()],
  ];
  const lines = [`dashboard at ${people.length} members (import by check for updates: ${(importMs / 1000).toFixed(1)} s), with ${history.tasks} finished tasks and ${history.audit} invite audit entries for the charts`];
  for (const [name, path, ready] of pages) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const sizes: Array<Promise<number>> = [];
      const count = (r: { request(): { sizes(): Promise<{ responseBodySize: number }> } }) => { sizes.push(r.request().sizes().then((s) => s.responseBodySize, () => 0)); };
      page.on('response', count);
      t = performance.now();
      await page.goto(`${url}${path}`);
      await ready(page);
      times.push(performance.now() - t);
      page.off('response', count);
      bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    }
    lines.push(`  ${name.padEnd(32)} median ${median(times).toFixed(0).padStart(5)} ms  max ${Math.max(...times).toFixed(0).padStart(5)} ms  ~${(bytes / 1024).toFixed(0)} KiB`);
  }
  // Search across all members (server-side), typed into the box.
  await page.goto(`${url}/ui/hubs/big`);
  await page.locator('#members-table tbody tr[data-member]').first().waitFor();
  const target = people[4_321 % people.length].email;
  t = performance.now();
  await page.getByLabel('Search').fill(target);
  await page.locator('#members-table tbody tr[data-member]').filter({ hasText: target }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('#members-table tbody tr[data-member]').length === 1);
  lines.push(`  ${'search one email (incl. 250 ms debounce)'.padEnd(32)} ${(performance.now() - t).toFixed(0).padStart(5)} ms`);
  console.log(lines.join('\n'));
  await browser.close();
  members.close();
  await new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); });
  await graph.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await dashboardBench(process.argv.slice(2));
