/**
 * The SCIM import's load generator (scim.ts): Okta-style requests over HTTP at concurrency 16,
 * with the write latencies, per-kind figures and peak RSS it measures.
 */
import { Agent, request } from 'node:http';

export const CONCURRENCY = 16;
export const CHUNK = 100;
export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface Target { base: string; token: string }
export interface Figures { phases?: string; label: string; writes: number; seconds: number; cpuSeconds: number; p50: number; p99: number; peakRssMb: number; errors: number; byKind: Record<string, { n: number; p50: number; p99: number }> }

export const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

export function oktaUser(i: number) {
  const login = `user${i}@bench.example`;
  return { schemas: [USER], userName: login, name: { givenName: 'User', familyName: `Number ${i}` }, emails: [{ primary: true, value: login, type: 'work' }], displayName: `User ${i}`, locale: 'en-US', externalId: `00u${i}`, groups: [], password: 'Bench-password-1', active: true };
}

// node:http with keep-alive: a lighter load generator than fetch, so the server gets the CPU.
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

export function call(t: Target, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(`${t.base}${path}`, {
      method,
      agent,
      headers: {
        authorization: `Bearer ${t.token}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0',
        ...(payload ? { 'content-length': String(payload.length) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
        } catch {
          resolve({ status: res.statusCode ?? 0, json: undefined });
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs tasks from a queue with `CONCURRENCY` workers; none start after `deadline` (ms, performance.now()). */
export async function pool<T>(items: T[], work: (item: T) => Promise<void>, deadline = Infinity): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length && performance.now() < deadline) await work(items[next++]);
  }));
}

export function rssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return () => (clearInterval(timer), Math.round(Math.max(peak, process.memoryUsage().rss) / 1048576));
}

/** The Okta-style import against one server; only writes are timed and counted. */
export async function importLoad(label: string, targets: Target[], users: number, groups: number, budgetSeconds = Infinity): Promise<Figures> {
  // Round robin over the replicas, as a load balancer would spread Okta's requests.
  let turn = 0;
  const next = () => targets[turn++ % targets.length]!;
  const latencies: number[] = [];
  let errors = 0;
  const perKind: Record<string, number[]> = {};
  const write = async (method: string, path: string, body: unknown, expect: number) => {
    const t0 = performance.now();
    const r = await call(next(), method, path, body);
    const ms = performance.now() - t0;
    latencies.push(ms);
    (perKind[`${method} ${path.split('/')[1]}`] ??= []).push(ms);
    if (r.status !== expect) errors++;
    return r;
  };
  const stopRss = rssSampler();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const deadline = started + budgetSeconds * 1000;
  const ids: string[] = new Array(users);
  await pool([...Array(users).keys()], async (i) => {
    await call(next(), 'GET', `/Users?filter=${encodeURIComponent(`userName eq "user${i}@bench.example"`)}&startIndex=1&count=100`);
    ids[i] = (await write('POST', '/Users', oktaUser(i), 201)).json?.id;
  }, deadline);
  const created = ids.filter(Boolean).length;
  const usersDone = performance.now();
  const groupIds: string[] = [];
  await pool([...Array(groups).keys()], async (g) => {
    groupIds[g] = (await write('POST', '/Groups', { schemas: [GROUP], displayName: `Bench group ${g}`, members: [] }, 201)).json?.id;
  }, deadline);
  const chunks: Array<{ gid: string; members: string[] }> = [];
  for (let g = 0; g < groups && groupIds[g] && created > 0; g++) {
    const size = Math.min(created, 1 + ((g * 397) % 1000));
    const members = [...new Set(Array.from({ length: size }, (_, k) => ids[(g * 131 + k * 7) % created]))];
    for (let c = 0; c < members.length; c += CHUNK) chunks.push({ gid: groupIds[g], members: members.slice(c, c + CHUNK) });
  }
  const groupsDone = performance.now();
  await pool(chunks, async ({ gid, members }) => {
    const body = { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: members.map((value) => ({ value })) }] };
    await write('PATCH', `/Groups/${gid}`, body, 200);
  }, deadline);
  const seconds = (performance.now() - started) / 1000;
  const phases = `users (lookup + POST) ${((usersDone - started) / 1000).toFixed(1)} s, group POSTs ${((groupsDone - usersDone) / 1000).toFixed(1)} s, member PATCHes ${(seconds - (groupsDone - started) / 1000).toFixed(1)} s`;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  latencies.sort((a, b) => a - b);
  const capped = performance.now() >= deadline ? ` (stopped at the ${budgetSeconds} s budget: ${created} users)` : '';
  const byKind: Figures['byKind'] = {};
  for (const [k, v] of Object.entries(perKind)) {
    v.sort((a, b) => a - b);
    byKind[k] = { n: v.length, p50: percentile(v, 50), p99: percentile(v, 99) };
  }
  return { phases, label: label + capped, writes: latencies.length, seconds, cpuSeconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), peakRssMb: stopRss(), errors, byKind };
}
