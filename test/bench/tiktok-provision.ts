/**
 * `npm run bench -- tiktok-provision [people=3000] [throttled=500] [paced=100] [--tier=ultimate|basic] [--latency-ms=N] [--memory]`:
 * the `provision` counterpart for a TikTok hub. People are pushed over SCIM HTTP (Okta's shape:
 * users 16 at a time, then PATCHes of 100 members) into "TikTok Advertisers", in the agent's
 * process on a LowdbStore with the runner's product defaults; the real TikTok connector reaches
 * the emulator over HTTP. The emulator enforces the app's tier (default Ultimate: 50 QPS,
 * 3,000 QPM) and the connector paces itself at 80 % of it (`--tier=basic`: 10 QPS emulator,
 * the connector's default 5 QPS / 300 QPM). Three phases:
 *
 * 1. paced: `paced` people, each added by its own PATCH, 10 per second;
 * 2. burst: `people` added at once (TikTok caps a Business Center at 4,000 members);
 * 3. throttled: `throttled` more added by PATCHes of 5 while the emulator answers the first 4
 *    invite calls and 30 % of all calls with 40100 (not applied), on top of the tier's limits.
 *
 * Prints acceptance (the PATCH's commit in the store) → invite call leaving the connector, p50 /
 * p99, for phases 1 and 2; the invitations per call; and, over the whole run, duplicates (an
 * address in two applied invite calls) and losses (a pushed person with no PENDING row at the end).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent } from '../../agent/agent.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { checkForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { parseConfig } from '../../config/load.ts';
import { createTikTokBusiness } from '../../connectors/tiktok-business/connector.ts';
import { createTikTokEmulator, TIERS, TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';
import { configText, silent } from '../tiktok-e2e/harness.ts';
import { acceptance, scimPush } from './scim-push.ts';

const HUB = 'tiktok-okta';
const SCIM_TOKEN = 'bench-scim-token';

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export default async function tiktokProvision(args: string[]): Promise<void> {
  const numbers = args.filter((a) => !a.startsWith('--'));
  const people = Number(numbers[0] ?? 3000);
  const throttledPeople = Number(numbers[1] ?? 500);
  const paced = Number(numbers[2] ?? 100);
  const tier = args.find((a) => a.startsWith('--tier='))?.split('=')[1] === 'basic' ? 'basic' : 'ultimate';
  const latencyMs = Number(args.find((a) => a.startsWith('--latency-ms='))?.split('=')[1] ?? 0);
  const limits = TIERS[tier];
  const pace = tier === 'basic' ? { qps: 5, qpm: 300 } : { qps: limits.qps * 0.8, qpm: limits.qpm * 0.8 };
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-bench-tiktok-provision-'));
  const emulator = createTikTokEmulator({ rateLimits: limits, latencyMs });
  const api = await emulator.listen(0);

  // Real time each address first leaves the connector in an invite call.
  const firstPost = new Map<string, number>();
  const benchFetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (init?.method === 'POST' && url.endsWith('/bc/member/invite/') && typeof init.body === 'string') {
      const t = performance.now();
      for (const e of (JSON.parse(init.body) as { emails: string[] }).emails) if (!firstPost.has(e.toLowerCase())) firstPost.set(e.toLowerCase(), t);
    }
    return fetch(input, init);
  };
  const connector = createTikTokBusiness({ businessCenterId: S.bcId, accessToken: S.token, apiBaseUrl: api.url, pace }, { log: silent, fetch: benchFetch });
  const store = args.includes('--memory') ? new MemoryStore() : new LowdbStore(join(dir, 'store.json'));
  await store.open();
  const config = parseConfig(JSON.stringify({ ...JSON.parse(configText(HUB, 'okta', api.url, { settleSeconds: 120 })), secrets: { keyFile: join(dir, 'hubwarden.key') } }), '/virtual/hubwarden.yaml', { SCIM_TOKEN, ENTRA_SECRET: 's', TIKTOK_TOKEN: S.token });
  const agent = createAgent({ config, store, connectorFor: () => connector, log: silent, auditFile: join(dir, 'audit.log'), handlers: [checkForUpdatesHandler] });
  await agent.start();
  const check = await agent.api.checkForUpdates(HUB, { type: 'admin', actor: 'bench' });
  for (let v = await agent.api.task(check.id); v?.status !== 'completed'; v = await agent.api.task(check.id)) {
    if (v?.status === 'failed') throw new Error(`check for updates failed: ${v.lastError?.message}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const push = await scimPush(config, store, HUB, SCIM_TOKEN, 'TikTok Advertisers');
  const { at: acceptedAt, wall: acceptedWall } = acceptance(store, push, 'TikTok Advertisers');
  const waitFor = async (emails: string[], ms: number) => {
    const end = performance.now() + ms;
    while (emails.some((e) => !firstPost.has(e)) && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
  };
  const latency = (emails: string[]) => emails.filter((e) => firstPost.has(e)).map((e) => firstPost.get(e)! - acceptedAt.get(e)!).sort((a, b) => a - b);
  let next = 0;
  const addAtOnce = async (emails: string[]) => {
    const from = next;
    next += emails.length;
    await push.createUsers(from, emails);
    const started = performance.now();
    for (let i = 0; i < emails.length; i += perPatch) await push.addToGroup(Array.from({ length: Math.min(perPatch, emails.length - i) }, (_, k) => from + i + k));
    return { started, pushMs: performance.now() - started };
  };
  let perPatch = 100;

  // Phase 1, paced.
  const pacedEmails = Array.from({ length: paced }, (_, i) => `paced${i}@bench.example`);
  await push.createUsers(0, pacedEmails);
  next = paced;
  for (let i = 0; i < paced; i++) {
    await push.addToGroup([i]);
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitFor(pacedEmails, 60_000);
  const pacedLatency = latency(pacedEmails);

  // Phase 2, the burst.
  const burstEmails = Array.from({ length: people }, (_, i) => `person${i}@bench.example`);
  const { started: burstStart, pushMs: burstPushMs } = await addAtOnce(burstEmails);
  await waitFor(burstEmails, 600_000);
  const burstAllMs = performance.now() - burstStart;
  const burstLatency = latency(burstEmails);
  // Where the burst's latency goes (medians after acceptance), from the invite tasks.
  const burstSet = new Set(burstEmails);
  const stage = { queued: [] as number[], started: [] as number[] };
  for await (const t of store.list('tasks', HUB)) {
    const email = t.kind === 'invite' ? (t.payload as { op?: { email?: string } }).op?.email?.toLowerCase() : undefined;
    if (!email || !burstSet.has(email) || !acceptedWall.has(email)) continue;
    stage.queued.push(Date.parse(t.createdAt) - acceptedWall.get(email)!);
    if (t.startedAt) stage.started.push(Date.parse(t.startedAt) - acceptedWall.get(email)!);
  }
  const med = (xs: number[]) => Math.round(percentile([...xs].sort((a, b) => a - b), 50));

  // Phase 3, under 40100 throttling.
  const throttledEmails = Array.from({ length: throttledPeople }, (_, i) => `throttled${i}@bench.example`);
  emulator.control.setFaults({ throttleRate: 0.3, codes: [{ match: 'bc/member/invite', code: 40100, times: 4 }], seed: 42 });
  // Small PATCHes (5 people), so that many invite calls meet the throttle.
  perPatch = 5;
  const { started: throttledStart } = await addAtOnce(throttledEmails);
  // A throttled call has left (firstPost) but was not applied: wait for every row, not for the calls.
  const everyone = [...pacedEmails, ...burstEmails, ...throttledEmails];
  const pendingNow = () => new Set(emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.relation_status === 'PENDING').map((m) => m.user_email.toLowerCase()));
  for (const end = performance.now() + 600_000; performance.now() < end;) {
    const pending = pendingNow();
    if (throttledEmails.every((e) => pending.has(e))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const throttledMs = performance.now() - throttledStart;
  emulator.control.setFaults({});
  await agent.idle();

  const applied = new Map<string, number>();
  let inviteCalls = 0;
  for (const c of emulator.calls) {
    if (c.endpoint !== 'bc/member/invite' || c.code !== 0) continue;
    inviteCalls++;
    for (const e of (c.body as { emails: string[] }).emails) applied.set(e.toLowerCase(), (applied.get(e.toLowerCase()) ?? 0) + 1);
  }
  const throttledAnswers = emulator.calls.filter((c) => c.code === 40100).length;
  const duplicates = [...applied.values()].filter((n) => n > 1).length;
  const pending = pendingNow();
  const lost = everyone.filter((e) => !pending.has(e)).length;
  const fmt = (ms: number) => `${Math.round(ms)} ms`;
  console.log(`tiktok-provision: ${paced} paced + ${people} burst + ${throttledPeople} throttled people; emulator ${tier} tier (${limits.qps} QPS / ${limits.qpm} QPM), connector paced at ${pace.qps} QPS / ${pace.qpm} QPM, ${latencyMs} ms per call`);
  console.log(`paced  : acceptance → invite call p50 ${fmt(percentile(pacedLatency, 50))}, p99 ${fmt(percentile(pacedLatency, 99))} (target p50 ≤ 250 ms)`);
  console.log(`burst  : p50 ${fmt(percentile(burstLatency, 50))}, p99 ${fmt(percentile(burstLatency, 99))}, max ${fmt(burstLatency.at(-1) ?? NaN)}; pushed in ${fmt(burstPushMs)}, all invited ${fmt(burstAllMs)} after the first PATCH`);
  console.log(`stages : burst medians after acceptance: invite task queued ${med(stage.queued)} ms, started ${med(stage.started)} ms; call ${fmt(percentile(burstLatency, 50))}`);
  console.log(`throttled: ${throttledAnswers} answers 40100 over the run; ${throttledPeople} people all PENDING ${fmt(throttledMs)} after their first PATCH`);
  const lookups = emulator.calls.filter((c) => c.endpoint === 'bc/member/get' && (c.query.filtering ?? '').includes('keyword')).length;
  console.log(`look-ups: ${lookups} invite look-ups (bc/member/get by keyword) over the run`);
  console.log(`calls  : ${inviteCalls} applied invite calls for ${applied.size} addresses (${(applied.size / inviteCalls).toFixed(1)} per call)`);
  console.log(`result : duplicates ${duplicates}, lost ${lost} (targets 0 and 0)`);
  await push.close();
  await agent.stop(2_000);
  await store.close();
  await api.close();
  await rm(dir, { recursive: true, force: true });
}
