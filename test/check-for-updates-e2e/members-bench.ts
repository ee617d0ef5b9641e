/**
 * Benchmark (`npm run bench -- members`): the members API and a check for updates at 10,000
 * members. Prints: cold build of the members view, warm page requests (p50/p99) for the queries
 * the dashboard makes, the rebuild after a directory change, and the agent-side cost of a check
 * for updates (read through an in-memory connector, snapshot transaction, matching).
 */
import { performance } from 'node:perf_hooks';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { configSchema } from '../../config/schema.ts';
import { createMemberService } from '../../agent/members/member-service.ts';
import { runCheckForUpdates } from '../../agent/check-for-updates/run-check.ts';
import { emptyApp, fakeConnector } from '../../agent/check-for-updates/fake-app.test-double.ts';
import type { MemberQuery } from '../../agent/api.ts';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;

export default async function members(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 10_000);
  const file = configSchema.parse({ hubs: [{ id: 'big', connector: 'meta-business', meta: { businessId: '1' }, teams: [{ group: 'Meta Advertisers', appRole: 'EMPLOYEE' }] }] });
  const hub = file.hubs[0];
  const store = new MemoryStore();
  const at = '2026-11-01T00:00:00.000Z';
  await store.transact((tx) => {
    for (let i = 0; i < n; i++) {
      const email = `person${i}@example.com`;
      tx.put('directoryUsers', 'big', `u${i}`, { hubId: 'big', id: `u${i}`, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });
    }
    tx.put('directoryGroups', 'big', 'g', { hubId: 'big', id: 'g', displayName: 'Meta Advertisers', members: Array.from({ length: n }, (_, i) => ({ value: `u${i}` })), scim: {}, created: at, lastModified: at, version: 1 });
  });
  const app = emptyApp();
  // 95% of the seats match a directory user; the rest were invited by hand.
  for (let i = 0; i < n; i++) app.members.push({ id: `m${i}`, email: i % 20 === 0 ? `contractor${i}@agency.com` : `person${i}@example.com`, name: `Person ${i}`, role: i % 50 === 0 ? 'ADMIN' : 'EMPLOYEE' });
  for (let i = 0; i < n / 20; i++) app.invites.push({ id: `i${i}`, email: `invitee${i}@example.com`, role: 'EMPLOYEE', status: 'pending' });
  for (let i = 0; i < 200; i++) app.assets.push({ type: 'ad_account', id: `act_${i}`, ownership: 'owned' });
  for (let i = 0; i < n; i++) app.assignments.push({ asset: { type: 'ad_account', id: `act_${i % 200}` }, userId: `m${i}`, userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'] });
  const connector = fakeConnector(app, 1000);
  connector.limits.assetsPerAssignmentRead = 50;

  const rssBefore = process.memoryUsage().rss;
  let t = performance.now();
  const run = await runCheckForUpdates({ store, hub, connector, trigger: { type: 'cli' }, taskId: 'bench-1', now: () => new Date(), log: { info() {}, warn() {} } });
  const firstCheck = performance.now() - t;
  t = performance.now();
  await runCheckForUpdates({ store, hub, connector, trigger: { type: 'cli' }, taskId: 'bench-2', now: () => new Date(), log: { info() {}, warn() {} } });
  const secondCheck = performance.now() - t;

  const service = createMemberService({ config: { file }, store, log: { info() {}, warn() {}, error() {} } });
  t = performance.now();
  const first = await service.members('big', { limit: 50 });
  const cold = performance.now() - t;

  const queries: Array<[string, MemberQuery]> = [
    ['first page', { limit: 50 }],
    ['deep page', { offset: n - 100, limit: 50 }],
    ['status=unmatched', { status: 'unmatched', limit: 50 }],
    ['sort=-lastSeenAt', { sort: '-lastSeenAt', limit: 50, offset: 500 }],
    ['search "person99"', { search: 'person99', limit: 50 }],
  ];
  const lines: string[] = [];
  for (const [label, q] of queries) {
    await service.members('big', q); // first use of a sort order builds it once
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      await service.members('big', q);
      times.push(performance.now() - s);
    }
    lines.push(`  ${label.padEnd(20)} p50 ${ms(pct(times, 50))}  p99 ${ms(pct(times, 99))}`);
  }
  await store.transact(async (tx) => {
    const u = (await tx.get('directoryUsers', 'big', 'u1'))!;
    tx.put('directoryUsers', 'big', 'u1', { ...u, displayName: 'changed', version: u.version + 1 });
  });
  t = performance.now();
  await service.members('big', { limit: 50 });
  const withinLag = performance.now() - t; // served from the view built < 2 s ago
  await new Promise((r) => setTimeout(r, 2100));
  t = performance.now();
  await service.members('big', { limit: 50 });
  const rebuild = performance.now() - t;
  t = performance.now();
  await service.exemptMember('big', 'm20', { reason: 'bench' }, { type: 'cli' });
  const exemptMs = performance.now() - t;
  t = performance.now();
  await service.matchMember('big', 'm40', { directoryUserId: 'u41' }, { type: 'cli' });
  const matchMs = performance.now() - t;
  service.close();

  console.log(`members bench: ${n} members, ${app.invites.length} invites, ${app.assignments.length} assignments (total rows ${first.total})`);
  console.log(`check for updates (agent side, in-memory connector): first ${ms(firstCheck)}, second ${ms(secondCheck)}; connector reads ${run.graphCalls}`);
  console.log(`members view: cold build ${ms(cold)}; after a directory push: ${ms(withinLag)} within the 2 s lag, rebuild ${ms(rebuild)} after it`);
  console.log(`owner decisions (transaction, matching of the row, patched view): exempt ${ms(exemptMs)}, match ${ms(matchMs)}`);
  console.log('warm page requests (200 each):');
  for (const l of lines) console.log(l);
  console.log(`RSS growth ${((process.memoryUsage().rss - rssBefore) / 1e6).toFixed(0)} MB; counts ${JSON.stringify(await service.memberCounts('big'))}`);
}
