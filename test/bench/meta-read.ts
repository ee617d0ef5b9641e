/**
 * `npm run bench -- meta-read [--naive-full] [--concurrency N]`: a full read of a large Meta
 * business (10,000 members, 1,000 pending invites, 2,000 ad accounts, 500 pages,
 * 200 catalogs) against the Graph emulator with 100 ms per HTTP call: members, invites, system
 * users, all assets, all assignments, partners and the partner's people.
 *
 * Prints, for hubwarden's plan and for the naive plan (default page size 25, one call per asset,
 * sequential): HTTP calls, Graph operations (each batch op counts, as Meta counts them for rate
 * limits), wall time and peak RSS, plus the minimum HTTP call count the API allows (full pages at
 * the largest limit, 50-operation batches) and the ratio. Targets: calls ≤ 1.2 × minimum,
 * wall ≤ 10 s, peak RSS ≤ 300 MB.
 *
 * The naive plan is sequential, so its wall time at 100 ms is its time at 0 ms latency plus
 * calls × 100 ms; by default it runs at 0 ms and adds that (`--naive-full` runs it for real, ~6 min).
 */
import { createMetaEmulator, generateFixture, SANDBOX, type MetaFixture } from '../../connectors/meta-business/emulator/index.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { BATCH_LIMIT } from '../../connectors/meta-business/graph-client.ts';
import { PAGE_LIMIT } from '../../connectors/meta-business/meta-context.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { inFlight } from '../../agent/check-for-updates/in-flight.ts';
import type { AssetRef, AssetType, Page } from '../../connectors/sdk/hub-model.ts';

const LATENCY_MS = 100;
const TYPES: AssetType[] = ['ad_account', 'page', 'catalog', 'pixel'];
const log = { debug() {}, info() {}, warn() {}, error() {} };

async function all<T>(list: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

/** hubwarden's plan: every listing in parallel, assignments in 50-asset batches, several in flight. */
async function fullRead(c: HubConnector, concurrency: number) {
  const [members, invites, systemUsers, partners, assetsByType] = await Promise.all([
    all((x) => c.listMembers!(x)),
    all((x) => c.listInvites!(x)),
    all((x) => c.listSystemUsers!(x)),
    all((x) => c.listPartners!(x)),
    Promise.all(TYPES.map((t) => all((x) => c.listAssets!(t, x)))),
  ]);
  const assets: AssetRef[] = assetsByType.flat().map(({ type, id }) => ({ type, id }));
  const chunks: AssetRef[][] = [];
  for (let i = 0; i < assets.length; i += c.limits.assetsPerAssignmentRead) chunks.push(assets.slice(i, i + c.limits.assetsPerAssignmentRead));
  const [assignmentLists, partnerUsers] = await Promise.all([
    inFlight(chunks.map((chunk) => () => c.listAssignments!(chunk)), concurrency),
    Promise.all(partners.filter((p) => p.relation === 'agency').map((p) => c.listPartnerUsers!(p.businessId))),
  ]);
  return { members, invites, systemUsers, partners, assets, assignments: assignmentLists.flat(), partnerUsers: partnerUsers.flat() };
}

/** The naive plan: default page size, one assigned_users call per asset, all sequential. */
async function naiveRead(base: string, businessId: string, token: string, partnerId: string, partnerToken: string): Promise<{ calls: number; counts: Record<string, number> }> {
  let calls = 0;
  const get = async (url: string, tok: string) => {
    calls++;
    const u = new URL(url);
    u.searchParams.set('access_token', tok);
    const res = await fetch(u);
    const body = (await res.json()) as { data?: Array<Record<string, unknown>>; paging?: { next?: string }; error?: unknown };
    if (body.error) throw new Error(`naive read: ${JSON.stringify(body.error)}`);
    return body;
  };
  const list = async (path: string, tok = token) => {
    const out: Array<Record<string, unknown>> = [];
    let url: string | undefined = `${base}/v25.0/${path}`;
    while (url) {
      const body = await get(url, tok);
      out.push(...(body.data ?? []));
      url = body.paging?.next;
    }
    return out;
  };
  const counts: Record<string, number> = {};
  counts.members = (await list(`${businessId}/business_users`)).length;
  counts.invites = (await list(`${businessId}/pending_users`)).length;
  counts.systemUsers = (await list(`${businessId}/system_users`)).length;
  const assets: string[] = [];
  for (const edge of ['owned_ad_accounts', 'client_ad_accounts', 'owned_pages', 'client_pages', 'owned_product_catalogs', 'client_product_catalogs', 'owned_pixels', 'client_pixels']) {
    assets.push(...(await list(`${businessId}/${edge}`)).map((a) => String(a.id)));
  }
  counts.assets = assets.length;
  counts.assignments = 0;
  for (const id of assets) counts.assignments += (await list(`${id}/assigned_users?business=${businessId}`)).length;
  counts.partners = (await list(`${businessId}/agencies`)).length + (await list(`${businessId}/clients`)).length;
  const shared = (await list(`${partnerId}/client_ad_accounts`, partnerToken)).map((a) => String(a.id));
  for (const edge of ['client_pages', 'client_product_catalogs', 'client_pixels']) shared.push(...(await list(`${partnerId}/${edge}`, partnerToken)).map((a) => String(a.id)));
  counts.partnerAssignments = 0;
  for (const id of shared) counts.partnerAssignments += (await list(`${id}/assigned_users?business=${partnerId}`, partnerToken)).length;
  return { calls, counts };
}

/** The fewest HTTP calls the API allows for the same read: full pages at the largest limit, 50-op batches. */
function minimumCalls(f: MetaFixture, businessId: string, partnerId: string): number {
  const pages = (n: number, limit: number) => Math.max(1, Math.ceil(n / limit));
  const mine = (b: { businessId: string }) => b.businessId === businessId;
  let calls = pages(f.businessUsers.filter(mine).length, PAGE_LIMIT.list) + pages(f.invites.filter(mine).length, PAGE_LIMIT.list) + pages(f.systemUsers.filter(mine).length, PAGE_LIMIT.list);
  const owned = f.assets.filter((a) => a.ownerBusinessId === businessId);
  const clientIds = new Set(f.shares.filter((s) => s.partnerBusinessId === businessId).map((s) => s.assetId));
  for (const t of TYPES) {
    calls += pages(owned.filter((a) => a.type === t).length, PAGE_LIMIT.list);
    calls += pages(f.assets.filter((a) => a.type === t && clientIds.has(a.id)).length, PAGE_LIMIT.list);
  }
  calls += Math.ceil((owned.length + clientIds.size) / BATCH_LIMIT);
  const agencies = new Set(f.shares.filter((s) => owned.some((a) => a.id === s.assetId)).map((s) => s.partnerBusinessId));
  calls += pages(agencies.size, PAGE_LIMIT.partners) + pages(clientIds.size > 0 ? 1 : 0, PAGE_LIMIT.partners);
  const sharedWithPartner = f.shares.filter((s) => s.partnerBusinessId === partnerId);
  for (const t of TYPES) calls += pages(sharedWithPartner.filter((s) => f.assets.find((a) => a.id === s.assetId)?.type === t).length, PAGE_LIMIT.list);
  calls += Math.ceil(sharedWithPartner.length / BATCH_LIMIT);
  return calls;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

export default async function metaRead(args: string[]): Promise<void> {
  const naiveFull = args.includes('--naive-full');
  const ci = args.indexOf('--concurrency');
  const concurrency = ci >= 0 ? Number(args[ci + 1]) : 8;
  const fixture = generateFixture();
  const businessId = SANDBOX.businessId;
  const partnerId = SANDBOX.partner.businessId;
  const emulator = createMetaEmulator({ fixture, latencyMs: LATENCY_MS });
  const server = await emulator.listen(0, '127.0.0.1');
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 20);
  try {
    let http = 0;
    let ops = 0;
    const connector = createMetaBusiness({
      businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url, partners: [{ businessId: partnerId, token: SANDBOX.partner.token }],
    }, { log, onCall: (c) => { http++; ops += c.operations ?? 1; } });
    const started = performance.now();
    const read = await fullRead(connector, concurrency);
    const wallMs = performance.now() - started;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const minimum = minimumCalls(fixture, businessId, partnerId);

    console.log(`meta-read: ${read.members.length} members, ${read.invites.length} invites, ${read.systemUsers.length} system users, ${read.assets.length} assets, ` +
      `${read.assignments.length} assignments, ${read.partners.length} partners, ${read.partnerUsers.length} partner users; ${LATENCY_MS} ms per call`);
    console.log(`hubwarden plan : ${http} HTTP calls (${ops} Graph operations), wall ${(wallMs / 1000).toFixed(2)} s, peak RSS ${mb(peakRss)} MB (process, emulator included), ${concurrency} batches in flight`);
    console.log(`minimum        : ${minimum} HTTP calls (limit ${PAGE_LIMIT.list}, ${BATCH_LIMIT}-op batches); ratio ${(http / minimum).toFixed(2)} (target ≤ 1.2)`);

    // Naive plan: a fresh emulator (same fixture), sequential.
    const naiveEmulator = createMetaEmulator({ fixture, latencyMs: naiveFull ? LATENCY_MS : 0 });
    const naiveServer = await naiveEmulator.listen(0, '127.0.0.1');
    try {
      const t0 = performance.now();
      const naive = await naiveRead(naiveServer.url, businessId, SANDBOX.token, partnerId, SANDBOX.partner.token);
      const measured = performance.now() - t0;
      const naiveWall = naiveFull ? measured : measured + naive.calls * LATENCY_MS;
      console.log(`naive plan     : ${naive.calls} HTTP calls (${naive.calls} Graph operations), wall ${(naiveWall / 1000).toFixed(1)} s` +
        (naiveFull ? ' (measured)' : ` (${(measured / 1000).toFixed(1)} s measured at 0 ms + ${naive.calls} × ${LATENCY_MS} ms)`) +
        `; read ${naive.counts.members} members, ${naive.counts.assets} assets, ${naive.counts.assignments} assignments`);
      if (naive.counts.members !== read.members.length || naive.counts.assignments !== read.assignments.length) {
        console.log('WARNING: the two plans read different totals');
      }
    } finally {
      await naiveServer.close();
    }
    const ok = http <= 1.2 * minimum && wallMs <= 10_000 && peakRss <= 300 * 1024 * 1024;
    console.log(`targets        : calls ${http <= 1.2 * minimum ? 'met' : 'MISSED'}, wall ${wallMs <= 10_000 ? 'met' : 'MISSED'}, RSS ${peakRss <= 300 * 1024 * 1024 ? 'met' : 'MISSED'}${ok ? '' : ' (see above)'}`);
  } finally {
    clearInterval(sampler);
    await server.close();
  }
}
