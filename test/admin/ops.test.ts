import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from 'express';
import { createMetricsRouter, observeStore, recordGraphCall, recordSCIMRequest, recordTask, recordWriteback, scimRequestMetrics } from '../../scim-server/ops/metrics.ts';
import { BUSY_WAIT_MS } from '../../agent/store/postgres/connections.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { StoreStats } from '../../agent/store/store.ts';
import { serveRouters, type TestServer } from './test-server.ts';

declare module '../../agent/store/collections.ts' {
  interface Collections {
    metricsItems: { id: string };
  }
}

let server: TestServer | undefined;
afterEach(() => server?.close());

function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('/metrics counts SCIM requests by hub and status, tasks, Graph calls and write-backs', async () => {
  const scim = Router();
  scim.use(scimRequestMetrics(['acme-ads']));
  scim.get('/scim/v2/hubs/:hub/Users', (req, res) => { res.status(req.params.hub === 'acme-ads' ? 200 : 404).json({}); });
  server = await serveRouters([['/', scim], ['/', createMetricsRouter()]]);
  const read = async () => (await fetch(`${server!.url}/metrics`)).text();
  const before = await read();

  await fetch(`${server.url}/scim/v2/hubs/acme-ads/Users`);
  await fetch(`${server.url}/scim/v2/hubs/acme-ads/Users`);
  await fetch(`${server.url}/scim/v2/hubs/random-scanner/Users`);
  recordTask('check-for-updates', 'completed', 1500);
  recordGraphCall(429, true);
  recordGraphCall(200, false, 'microsoft');
  recordWriteback('okta', 'failed');

  const res = await fetch(`${server.url}/metrics`);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const after = await res.text();
  const delta = (name: string, labels: string) => sample(after, name, labels) - sample(before, name, labels);
  assert.equal(delta('hubwarden_scim_requests_total', 'hub="acme-ads",method="GET",status="200"'), 2);
  assert.equal(delta('hubwarden_scim_requests_total', 'hub="unknown",method="GET",status="404"'), 1);
  assert.equal(delta('hubwarden_tasks_total', 'kind="check-for-updates",outcome="completed"'), 1);
  assert.equal(delta('hubwarden_task_duration_seconds_sum', 'kind="check-for-updates",outcome="completed"'), 1.5);
  assert.equal(delta('hubwarden_graph_throttled_total', 'api="meta"'), 1);
  assert.equal(delta('hubwarden_graph_calls_total', 'api="microsoft",status="200"'), 1);
  assert.equal(delta('hubwarden_writeback_total', 'idp="okta",outcome="failed"'), 1);
  assert.ok(!after.includes('random-scanner'), 'unknown hubs do not become labels');
});

test('/metrics refuses scrapers the allow check rejects, with a Bearer challenge and no figures', async () => {
  server = await serveRouters([['/', createMetricsRouter({ allow: (req) => req.headers.authorization === 'Bearer scrape-token' })]]);
  const refused = await fetch(`${server.url}/metrics`);
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.doesNotMatch(await refused.text(), /hubwarden_/);
  const allowed = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer scrape-token' } });
  assert.equal(allowed.status, 200);
  assert.match(await allowed.text(), /hubwarden_scim_requests_total/);
});

test('/metrics reports the store it runs on: up, transactions, re-runs, contention, and its pool when it has one', async () => {
  const store = new MemoryStore();
  await store.open();
  observeStore(store);
  server = await serveRouters([['/', createMetricsRouter()]]);
  const read = async () => (await fetch(`${server!.url}/metrics`)).text();
  const before = await read();
  await store.transact((tx) => tx.put('metricsItems', 'p', 'a', { id: 'a' }));
  await store.transact((tx) => tx.put('metricsItems', 'p', 'b', { id: 'b' }));
  const after = await read();
  assert.equal(sample(after, 'hubwarden_store_transactions_total', '') - sample(before, 'hubwarden_store_transactions_total', ''), 2);
  assert.equal(sample(after, 'hubwarden_store_up', ''), 1);
  assert.doesNotMatch(after, /hubwarden_store_connections\{/, 'no pool, no connection figures');

  // A store whose writes are refused (a PostgreSQL replica cut off from its database, say): the
  // figures a PostgreSQL store reports are checked in postgres-store.test.ts; here, how they show.
  class CutOff extends MemoryStore {
    override healthy(): boolean {
      return false;
    }
    override stats(): StoreStats {
      return { committed: 0, reRuns: 3, contended: 1, connections: { total: 4, idle: 1, waiting: 2 } };
    }
  }
  observeStore(new CutOff());
  const cut = await read();
  assert.equal(sample(cut, 'hubwarden_store_up', ''), 0);
  assert.equal(sample(cut, 'hubwarden_store_transaction_reruns_total', '') - sample(after, 'hubwarden_store_transaction_reruns_total', ''), 3);
  assert.equal(sample(cut, 'hubwarden_store_contention_total', '') - sample(after, 'hubwarden_store_contention_total', ''), 1);
  assert.equal(sample(cut, 'hubwarden_store_transactions_total', ''), sample(after, 'hubwarden_store_transactions_total', ''), 'another store counting from 0 does not make the counter go down');
  assert.equal(sample(cut, 'hubwarden_store_connections', 'state="open"'), 4);
  assert.equal(sample(cut, 'hubwarden_store_connections', 'state="idle"'), 1);
  assert.equal(sample(cut, 'hubwarden_store_connections', 'state="waiting"'), 2);

  observeStore(store);
  assert.doesNotMatch(await read(), /hubwarden_store_connections\{/, 'back on a store without a pool: no stale connection figures');
});

test('a SCIM request the client gave up on is still counted, with its latency (an identity provider timing out on a slow store)', async () => {
  let answered!: () => void;
  const done = new Promise<void>((resolve) => { answered = resolve; });
  const scim = Router();
  scim.use(scimRequestMetrics(['acme-ads']));
  scim.get('/scim/v2/hubs/:hub/Users', (_req, res) => {
    setTimeout(() => { res.status(200).json({}); answered(); }, 300);
  });
  server = await serveRouters([['/', scim], ['/', createMetricsRouter()]]);
  const read = async () => (await fetch(`${server!.url}/metrics`)).text();
  const before = await read();
  await assert.rejects(fetch(`${server.url}/scim/v2/hubs/acme-ads/Users`, { signal: AbortSignal.timeout(50) }));
  await done;
  await new Promise((r) => setTimeout(r, 50));
  const after = await read();
  const total = (text: string) => text.split('\n').filter((l) => l.startsWith('hubwarden_scim_requests_total{hub="acme-ads",method="GET"')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  assert.equal(total(after) - total(before), 1, 'the abandoned request is counted once');
  assert.equal(sample(after, 'hubwarden_scim_requests_total', 'hub="acme-ads",method="GET",status="499"') - sample(before, 'hubwarden_scim_requests_total', 'hub="acme-ads",method="GET",status="499"'), 1);
  assert.equal(sample(after, 'hubwarden_scim_request_duration_seconds_count', 'hub="acme-ads",method="GET"') - sample(before, 'hubwarden_scim_request_duration_seconds_count', 'hub="acme-ads",method="GET"'), 1);
});

test('SCIM latency buckets reach as far as the store can hold a request (a pool busy for BUSY_WAIT_MS), not only to +Inf', async () => {
  server = await serveRouters([['/', createMetricsRouter()]]);
  const read = async () => (await fetch(`${server!.url}/metrics`)).text();
  recordSCIMRequest('bucket-hub', 'PUT', 503, BUSY_WAIT_MS);
  const after = await read();
  const finite = after.split('\n').filter((l) => l.startsWith('hubwarden_scim_request_duration_seconds_bucket{') && l.includes('hub="bucket-hub"') && !l.includes('le="+Inf"'));
  const holding = finite.filter((l) => Number(l.split(' ').at(-1)) >= 1);
  // histogram_quantile cannot say more than the highest finite bucket: a p99 during a store stall read 5 s.
  assert.ok(holding.length > 0, `no finite bucket holds a ${BUSY_WAIT_MS / 1000} s request: ${finite.map((l) => /le="([^"]+)"/.exec(l)?.[1]).join(', ')}`);
});
