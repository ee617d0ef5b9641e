import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { createApp } from './app.ts';
import { serve } from './serve.ts';

async function withApp(healthy: () => boolean, fn: (url: string) => Promise<void>) {
  const router = express.Router();
  router.get('/ping', (_req, res) => {
    res.json({ pong: true });
  });
  router.get('/boom', () => {
    throw new Error('secret-detail-that-must-not-leak');
  });
  const app = createApp({ store: { healthy }, routers: [{ path: '/things', router }] });
  const running = await serve(app, { host: '127.0.0.1', port: 0 });
  try {
    await fn(running.url);
  } finally {
    await running.close();
  }
}

test('createApp answers health, readiness, mounted routers and JSON 404/500', async () => {
  let healthy = true;
  await withApp(() => healthy, async (url) => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    healthy = false;
    const notReady = await fetch(`${url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(((await notReady.json()) as { status: string }).status, 'unavailable');
    assert.deepEqual(await (await fetch(`${url}/things/ping`)).json(), { pong: true });
    const missing = await fetch(`${url}/nothing/here`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await missing.json(), { error: 'not-found', message: 'no route for GET /nothing/here' });
    const boom = await fetch(`${url}/things/boom`);
    assert.equal(boom.status, 500);
    assert.ok(!(await boom.text()).includes('secret-detail'));
  });
});

test('no ETag is made from a body: a version is an ETag only where a resource sets it (RFC 7644 §3.14)', async () => {
  const router = express.Router();
  router.get('/list', (_req, res) => void res.json({ totalResults: 1, Resources: [{ id: '1' }] }));
  router.patch('/stale', (_req, res) => void res.status(412).json({ status: '412', detail: 'version mismatch' }));
  router.get('/resource', (_req, res) => void res.set('ETag', 'W/"7"').json({ id: '1' }));
  const app = createApp({ store: { healthy: () => true }, routers: [{ path: '/scim', router }] });
  const running = await serve(app, { host: '127.0.0.1', port: 0 });
  try {
    assert.equal((await fetch(`${running.url}/scim/list`)).headers.get('etag'), null, 'a list page has no version');
    assert.equal((await fetch(`${running.url}/scim/stale`, { method: 'PATCH' })).headers.get('etag'), null, 'an error body has no version');
    assert.equal((await fetch(`${running.url}/scim/resource`)).headers.get('etag'), 'W/"7"');
  } finally {
    await running.close();
  }
});

test('/readyz reports the store and agent checks: 503 until the store is healthy and the agent runs', async () => {
  let healthy = false;
  let running = true;
  const app = createApp({ store: { healthy: () => healthy }, agentRunning: () => running, routers: [] });
  const server = await serve(app, { host: '127.0.0.1', port: 0 });
  try {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const down = await fetch(`${server.url}/readyz`);
    assert.equal(down.status, 503);
    assert.deepEqual(await down.json(), { status: 'unavailable', checks: { store: 'failing', agent: 'running' } });
    healthy = true;
    const up = await fetch(`${server.url}/readyz`);
    assert.equal(up.status, 200);
    assert.deepEqual(await up.json(), { status: 'ready', checks: { store: 'ok', agent: 'running' } });
    running = false;
    const stopped = await fetch(`${server.url}/readyz`);
    assert.equal(stopped.status, 503);
    assert.deepEqual(await stopped.json(), { status: 'unavailable', checks: { store: 'ok', agent: 'stopped' } });
  } finally {
    await server.close();
  }
});

test('serve closes gracefully: an in-flight request finishes, then onClose runs, then new connections are refused', async () => {
  const events: string[] = [];
  const router = express.Router();
  let arrived!: () => void;
  const received = new Promise<void>((r) => (arrived = r));
  router.get('/slow', async (_req, res) => {
    arrived();
    await new Promise((r) => setTimeout(r, 200));
    events.push('slow done');
    res.json({ done: true });
  });
  const app = createApp({ store: { healthy: () => true }, routers: [{ path: '/x', router }] });
  const running = await serve(app, { host: '127.0.0.1', port: 0, onClose: async () => void events.push('store closed') });
  const inFlight = fetch(`${running.url}/x/slow`).then((r) => r.json());
  // Close once the request is in the handler (a fixed 50 ms wait lost the race on a loaded machine).
  await received;
  const closed = running.close();
  assert.deepEqual(await inFlight, { done: true });
  await closed;
  assert.deepEqual(events, ['slow done', 'store closed']);
  await assert.rejects(fetch(`${running.url}/healthz`));
});

test('serve: beforeClose runs first, while the listener still answers (the agent reading a sandbox on this server), with the grace less what requests keep (drainMs); then in-flight requests, then onClose', async () => {
  const events: string[] = [];
  const router = express.Router();
  router.get('/sandbox', (_req, res) => void res.json({ served: true }));
  const app = createApp({ store: { healthy: () => true }, routers: [{ path: '/x', router }] });
  let budget = -1;
  const running = await serve(app, {
    host: '127.0.0.1', port: 0, graceMs: 3_000, drainMs: 1_000,
    beforeClose: async (budgetMs) => {
      budget = budgetMs;
      const res = await fetch(`${running.url}/x/sandbox`); // refused if the listener were already closed
      events.push(`before close: ${JSON.stringify(await res.json())}`);
    },
    onClose: async () => void events.push('store closed'),
  });
  await running.close();
  assert.equal(budget, 2_000);
  assert.deepEqual(events, ['before close: {"served":true}', 'store closed']);
  await assert.rejects(fetch(`${running.url}/healthz`));
});

test('serve: requests and onClose share graceMs (a request that never ends is cut, and onClose gets what is left)', async () => {
  const router = express.Router();
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => (entered = r));
  router.get('/hang', () => entered() /* and never answers */);
  const app = createApp({ store: { healthy: () => true }, routers: [{ path: '/x', router }] });
  let left = -1;
  const running = await serve(app, { host: '127.0.0.1', port: 0, graceMs: 300, onClose: async (remainingMs) => void (left = remainingMs) });
  const hanging = fetch(`${running.url}/x/hang`).catch(() => 'cut');
  // In flight once the handler has it (a fixed 50 ms wait failed on a loaded machine: the request
  // had not arrived, nothing was in flight, and onClose got the whole grace).
  await inHandler;
  const started = Date.now();
  await running.close();
  assert.equal(await hanging, 'cut');
  assert.ok(Date.now() - started < 1_000, 'cut at the grace, not later');
  assert.equal(left, 0);

  let idleLeft = -1;
  const idle = await serve(app, { host: '127.0.0.1', port: 0, graceMs: 5_000, onClose: async (remainingMs) => void (idleLeft = remainingMs) });
  await idle.close();
  assert.ok(idleLeft > 4_000 && idleLeft <= 5_000, `nothing in flight: onClose gets nearly all of it (${idleLeft} ms)`);
});
