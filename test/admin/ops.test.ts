import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from 'express';
import { createMetricsRouter, recordGraphCall, recordTask, recordWriteback, scimRequestMetrics } from '../../scim-server/ops/metrics.ts';
import { serveRouters, type TestServer } from './test-server.ts';

let server: TestServer | undefined;
afterEach(() => server?.close());

function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
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
