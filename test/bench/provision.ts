/**
 * `npm run bench -- provision [people] [limit] [errorRate] [paced] [--direct] [--memory] [--store memory|lowdb|postgres] [--in-process] [--latency-ms=N]`:
 * the provisioning benchmark.
 * `people` users (default 5000) are pushed into "Meta Advertisers" at once over SCIM HTTP into the
 * agent's process on a LowdbStore (users created, then group PATCHes of 100 members each, as Okta
 * sends them; `--direct`: the same records written straight into the store; scim-push.ts). The
 * Meta emulator throttles invites with code 17 after `limit` (default 1000) per business per 24 h
 * window, Meta's documented invite limit (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users: "resume 24 hours later"), and fails
 * `errorRate` (default 5%) of all Graph calls with a transient 5xx.
 *
 * Time is simulated where it would be spent waiting: whenever the agent has nothing to run before
 * its next due time (a 24 h invite block), the clock (Date.now, shared by the agent, the
 * connector's rate-limit book and the emulator) jumps to it. Everything else runs in real time.
 *
 * Prints: time from acceptance (the PATCH's commit in the store) to the invite POST (p50, p99) for the
 * invites sent under the limit; invites per simulated second while throttled against the allowed
 * ceiling (limit / 24 h); duplicates (an email invited twice) and losses (a pushed user with no
 * pending invite at the end).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const realNow = Date.now.bind(Date);
let offset = 0;
Date.now = () => realNow() + offset;

const { createAgent } = await import('../../agent/agent.ts');
const { openBenchStore, storeKindOf, withoutStoreArg } = await import('./lib/bench-store.ts');
const { createMetaBusiness } = await import('../../connectors/meta-business/connector.ts');
const { createMetaEmulator, SANDBOX } = await import('../../connectors/meta-business/emulator/index.ts');
const { hubConfig, HUB, silent } = await import('../agent-e2e/harness.ts');
const { checkForUpdatesHandler } = await import('../../agent/check-for-updates/handler.ts');
const { parseConfig } = await import('../../config/load.ts');
const { acceptance, directPush, scimPush } = await import('./scim-push.ts');
const SCIM_TOKEN = 'bench-scim-token';

const { startEmulatorProcess } = await import('./emulator-process.ts');

const DAY = 86_400_000;

/** The same surface as startEmulatorProcess, sharing this process (and its clock). */
async function inProcessEmulator(options: Parameters<typeof createMetaEmulator>[0]) {
  const emulator = createMetaEmulator(options);
  const server = await emulator.listen(0);
  return {
    url: server.url,
    setClockOffset: async (_offset: number) => {},
    report: async () => ({ calls: emulator.calls, state: emulator.control.state() }),
    close: () => server.close(),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export default async function provision(args: string[]): Promise<void> {
  // `--store` (default lowdb; `--memory` = `--store memory`): postgres is a fresh schema, dropped after.
  const kind = args.includes('--memory') ? 'memory' : storeKindOf(args, 'lowdb');
  const numbers = withoutStoreArg(args).filter((a) => !a.startsWith('--'));
  const people = Number(numbers[0] ?? 5000);
  const limit = Number(numbers[1] ?? 1000);
  const errorRate = Number(numbers[2] ?? 0.05);
  const paced = Number(numbers[3] ?? 100);
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-bench-provision-'));
  // Meta in its own process by default, as in production (its CPU is not the agent's); `--in-process` shares one.
  const inProcess = args.includes('--in-process');
  // `--latency-ms=N`: each Graph HTTP request (a batch counts once) answers after N ms, like the real API's round trip.
  const latencyMs = Number(args.find((a) => a.startsWith('--latency-ms='))?.split('=')[1] ?? 0);
  const emulatorOptions = { inviteLimit: { count: limit, windowMs: DAY }, faults: { errorRate, seed: 42 }, latencyMs };
  const graph = inProcess ? await inProcessEmulator(emulatorOptions) : await startEmulatorProcess(emulatorOptions);

  // Real time of each invite POST as it leaves the connector (first attempt per email).
  const firstPost = new Map<string, number>();
  const postTimes: number[] = []; // simulated ms of each successful invite, for the throttled rate
  const invited = new Set<string>(); // emails with an accepted invite POST (losses are checked in the emulator at the end)
  // Invites go out alone (POST /{business}/business_users) or inside a batch request (POST / with
  // batch=[…], connectors/meta-business/write-batcher.ts): both are seen here.
  const invitePath = `${SANDBOX.businessId}/business_users`;
  const benchFetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const body = init?.body;
    const text = init?.method === 'POST' ? (typeof body === 'string' ? body : body instanceof URLSearchParams ? body.toString() : '') : '';
    const form = new URLSearchParams(text);
    // The email of each op, in request order (undefined: not an invite).
    let emails: Array<string | undefined> = [];
    if (text && url.endsWith(`/${invitePath}`)) emails = [(form.get('email') ?? '').toLowerCase()];
    else if (text && form.has('batch')) {
      emails = (JSON.parse(form.get('batch')!) as Array<{ method: string; relative_url: string; body?: string }>)
        .map((op) => (op.method === 'POST' && op.relative_url.endsWith(invitePath) ? (new URLSearchParams(op.body ?? '').get('email') ?? '').toLowerCase() : undefined));
    }
    const sentAt = performance.now();
    for (const e of emails) if (e && !firstPost.has(e)) firstPost.set(e, sentAt);
    const res = await fetch(input, init);
    if (emails.some((e) => e) && res.status === 200) {
      const ok = form.has('batch') ? ((await res.clone().json()) as Array<{ code: number } | null>).map((r) => r?.code === 200) : [true];
      emails.forEach((e, i) => { if (e && ok[i]) { postTimes.push(Date.now()); invited.add(e); } });
    }
    return res;
  };
  const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: graph.url }, { log: silent, fetch: benchFetch });
  const opened = await openBenchStore(kind, dir, 'provision');
  const store = opened.store;
  // The hub of the e2e harness, with a SCIM token for the pushes over HTTP.
  const direct = args.includes('--direct');
  const config = parseConfig(JSON.stringify({ ...hubConfig(), secrets: { keyFile: join(dir, 'hubwarden.key') }, hubs: hubConfig().hubs.map((h) => ({ ...h, scim: { tokens: ['env:SCIM_TOKEN'] } })) }), '/virtual/hubwarden.yaml', { SCIM_TOKEN });
  const agent = createAgent({
    config, store, connectorFor: () => connector, log: silent, auditFile: join(dir, 'audit.log'),
    handlers: [checkForUpdatesHandler], // the runner's product defaults (agent/tasks/runner-defaults.ts)
  });
  await agent.start();
  // As deployed: the agent holds a complete snapshot of the app (the check for updates at start
  // and every hour), which is what lets a clean first invite attempt skip the look-up (H10).
  const check = await agent.api.checkForUpdates(HUB, { type: 'admin', actor: 'bench' });
  for (let v = await agent.api.task(check.id); v?.status !== 'completed'; v = await agent.api.task(check.id)) {
    if (v?.status === 'failed') throw new Error(`check for updates failed: ${v.lastError?.message}`);
    await new Promise((r) => setTimeout(r, 10));
  }

  const push = direct ? directPush(store, HUB) : await scimPush(config, store, HUB, SCIM_TOKEN);
  const { at: acceptedAt, wall: acceptedWall } = acceptance(store, push, 'Meta Advertisers');
  const createUsers = (from: number, emails: string[]) => push.createUsers(from, emails);
  const addToGroup = (ids: number[], _emails: string[]) => push.addToGroup(ids);

  // Phase 1, paced: `paced` people added one PATCH each, 10 per second, well under the limit.
  const pacedEmails = Array.from({ length: paced }, (_, i) => `paced${i}@bench.example`);
  await createUsers(0, pacedEmails);
  for (let i = 0; i < paced; i++) {
    await addToGroup([i], [pacedEmails[i]!]);
    await new Promise((r) => setTimeout(r, 100));
  }
  while (pacedEmails.some((e) => !firstPost.has(e))) await new Promise((r) => setTimeout(r, 10));
  const pacedLatency = pacedEmails.map((e) => firstPost.get(e)! - acceptedAt.get(e)!).sort((a, b) => a - b);

  // Phase 2, the burst: users first (16 at a time, like Okta's provisioning concurrency), then group PATCHes of 100.
  const emails = Array.from({ length: people }, (_, i) => `person${i}@bench.example`);
  await createUsers(paced, emails);
  const pushStart = performance.now();
  for (let i = 0; i < people; i += 100) {
    const n = Math.min(100, people - i);
    await addToGroup(Array.from({ length: n }, (_, k) => paced + i + k), emails.slice(i, i + n));
  }
  const pushMs = performance.now() - pushStart;

  // Run until every invite is out, jumping the clock over the waits.
  const simStart = Date.now();
  const realStart = performance.now();
  // Progress from the POSTs seen, not emulator.control.state(): a world snapshot every 10 ms cost
  // the run more CPU than the agent itself (1.3 s of a 1,000-person run's profile).
  const invitesOut = () => invited.size;
  let jumps = 0;
  while (invitesOut() < people + paced) {
    await new Promise((r) => setTimeout(r, 10));
    if (agent.runner.running > 0 || (await store.partitions('outbox')).length > 0) continue;
    const next = agent.runner.nextDueAt();
    if (next === undefined) { if (performance.now() - realStart > 600_000) break; continue; }
    if (next > Date.now() + 50) { offset += next - Date.now(); await graph.setClockOffset(offset); jumps++; agent.runner.poke(); }
  }
  await agent.idle();
  const simEnd = Date.now();

  // Under the limit: the first `limit` invites (sent before the first code 17).
  const byPost = emails.filter((e) => firstPost.has(e)).sort((a, b) => firstPost.get(a)! - firstPost.get(b)!);
  const sortedUnder = byPost.slice(0, Math.max(0, limit - paced)).map((e) => firstPost.get(e)! - acceptedAt.get(e)!).sort((a, b) => a - b);
  const sortedPosts = [...postTimes].sort((a, b) => a - b);
  // Throttled rate over the full windows: from the last invite of the first window to the last
  // invite of the last full one (the final window is partly empty: demand, not the limit, ends it).
  const fullWindows = Math.floor(sortedPosts.length / limit);
  const throttledInvites = (fullWindows - 1) * limit;
  const throttledSpan = fullWindows >= 2 ? (sortedPosts[fullWindows * limit - 1]! - sortedPosts[limit - 1]!) / 1000 : NaN;
  const rate = throttledInvites / throttledSpan;
  const ceiling = limit / (DAY / 1000);
  const { calls, state } = await graph.report();
  const posts = new Map<string, number>();
  for (const c of calls) if (c.method === 'POST' && c.path === `/${SANDBOX.businessId}/business_users` && c.status === 200) posts.set(String(c.body.email), (posts.get(String(c.body.email)) ?? 0) + 1);
  const duplicates = [...posts.values()].filter((n) => n > 1).length;
  const pending = new Set(state.invites.filter((i) => i.status === 'PENDING').map((i) => i.email));
  const lost = [...pacedEmails, ...emails].filter((e) => !pending.has(e)).length;
  const faults = calls.filter((c) => c.status >= 500).length;
  const throttled = calls.filter((c) => c.code === 17).length;
  // Graph calls per invite sent: the look-up before the POST and the re-read after it are the cost.
  const callKinds = new Map<string, number>();
  for (const c of calls) {
    const kind = `${c.method} ${c.path.replace(/\d{6,}/g, '{id}')}`;
    callKinds.set(kind, (callKinds.get(kind) ?? 0) + 1);
  }
  const invitesSent = posts.size;

  // Where the burst's latency goes (median over the invites under the limit), from the invite tasks.
  const stage = { inviteQueued: [] as number[], inviteStarted: [] as number[] };
  const underSet = new Set(byPost.slice(0, Math.max(0, limit - paced)));
  // Finished tasks move to `finishedTasks` a minute after they end (agent/tasks/prune.ts): the
  // clock jumps make that happen during the run, so both are read.
  const allTasks = async function* () {
    yield* store.list('tasks', HUB);
    yield* store.list('finishedTasks', HUB);
  };
  for await (const t of allTasks()) {
    const email = t.kind === 'invite' ? (t.payload as { op?: { email?: string } }).op?.email : undefined;
    if (!email || !underSet.has(email)) continue;
    const from = acceptedWall.get(email)!;
    stage.inviteQueued.push(Date.parse(t.createdAt) - from);
    if (t.startedAt) stage.inviteStarted.push(Date.parse(t.startedAt) - from);
  }
  const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50).toFixed(0);

  console.log(`provision: ${people} users pushed into "Meta Advertisers" in ${pushMs.toFixed(0)} ms (${opened.label}, group PATCHes of 100, ${direct ? 'written straight into the store' : 'SCIM requests over HTTP'})`);
  console.log(`  emulator (${inProcess ? 'in the agent\'s process' : 'its own process'}${latencyMs ? `, ${latencyMs} ms per request` : ''}): invite limit ${limit} per 24 h (code 17), ${(errorRate * 100).toFixed(0)}% transient 5xx (${faults} injected, ${throttled} code-17 answers)`);
  console.log(`  paced (${paced} people, one PATCH each, 10/s, under the limit): acceptance → invite call p50 ${percentile(pacedLatency, 50).toFixed(0)} ms, p99 ${percentile(pacedLatency, 99).toFixed(0)} ms, max ${pacedLatency.at(-1)?.toFixed(0)} ms`);
  console.log(`  burst, the first ${sortedUnder.length} invites (under the limit): acceptance → invite call p50 ${percentile(sortedUnder, 50).toFixed(0)} ms, p99 ${percentile(sortedUnder, 99).toFixed(0)} ms, max ${sortedUnder.at(-1)?.toFixed(0)} ms`);
  console.log(`  burst latency by stage (median ms after acceptance): invite task queued ${med(stage.inviteQueued)}, started ${med(stage.inviteStarted)}; POST ${percentile(sortedUnder, 50).toFixed(0)}`);
  // Fewer people than two windows' limit: the invites never wait out a whole window, so there is no throttled rate to give.
  if (fullWindows >= 2) console.log(`  while throttled: ${throttledInvites} invites in ${fullWindows - 1} full window(s) over ${(throttledSpan / 3600).toFixed(1)} simulated h = ${rate.toFixed(5)} invites/s vs ceiling ${ceiling.toFixed(5)}/s (${((rate / ceiling) * 100).toFixed(1)}%)`);
  else console.log(`  while throttled: not measured (${sortedPosts.length} invites fill fewer than two windows of ${limit}; push more people than twice the limit)`);
  console.log(`  Graph calls: ${calls.length} for ${invitesSent} invites (${(calls.length / Math.max(1, invitesSent)).toFixed(2)} per invite): ${[...callKinds].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`  duplicates: ${duplicates}, lost: ${lost}; simulated ${((simEnd - simStart) / 3600_000).toFixed(1)} h in ${((performance.now() - realStart) / 1000).toFixed(1)} s real (${jumps} clock jumps)`);
  await push.close();
  await agent.stop();
  await opened.close();
  await graph.close();
  await rm(dir, { recursive: true, force: true });
}
