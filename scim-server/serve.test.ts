import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import type { Socket } from 'node:net';
import express from 'express';
import { serve } from './serve.ts';

/** One GET on `agent`'s kept-alive socket; resolves with the socket it went on. */
const get = (url: string, agent: Agent) => new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
  const req = request(url, { agent }, (res) => {
    const socket = res.socket as Socket; // detached from the response once it ends
    res.resume();
    res.on('end', () => resolve({ status: res.statusCode ?? 0, socket }));
  });
  req.on('error', reject);
  req.end();
});

test('an idle kept-alive connection outlives Node\'s 5 s default, so a proxy reusing it is not refused; a stop still closes it at once', async () => {
  const app = express();
  app.get('/ping', (_req, res) => res.send('pong'));
  const running = await serve(app, { host: '127.0.0.1', port: 0, graceMs: 2_000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await get(`${running.url}/ping`, agent);
    let closedByServer = false;
    first.socket.once('close', () => { closedByServer = true; });
    // Idle past Node's default keepAliveTimeout (5 s; the server closes such a socket about a second later), as a proxy's pooled connection is.
    await new Promise((r) => setTimeout(r, 6_500));
    assert.equal(closedByServer, false, 'the server kept the idle connection open');
    const second = await get(`${running.url}/ping`, agent);
    assert.equal(second.status, 200);
    assert.equal(second.socket, first.socket, 'the same connection served both');
    const started = Date.now();
    await running.close();
    assert.ok(Date.now() - started < 1_500, 'the idle connection did not hold the stop');
  } finally {
    agent.destroy();
  }
});

test('a host that is not an address of this machine is refused with a line saying what to set (EADDRNOTAVAIL)', async () => {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737 §3): documentation only, never assigned to an interface.
  await assert.rejects(serve(express(), { host: '192.0.2.1', port: 0 }), {
    message: 'cannot listen on 192.0.2.1:0: EADDRNOTAVAIL (server.host is not an address of this machine: use 127.0.0.1, or 0.0.0.0 for every interface)',
  });
});

test('a request in flight when the stop begins is answered in full with "Connection: close", so its connection does not hold the stop until the grace cuts it', async () => {
  // Node answers keep-alive by default and leaves the connection open, idle, after server.close():
  // it was then cut at the end of the grace, maybe just as a proxy sent a SCIM POST on it.
  let arrived!: () => void;
  const inFlight = new Promise<void>((r) => (arrived = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const app = express();
  app.post('/slow', async (_req, res) => {
    arrived();
    await released;
    res.status(201).json({ done: true });
  });
  let remaining: number | undefined;
  const running = await serve(app, { host: '127.0.0.1', port: 0, graceMs: 60_000, onClose: async (ms) => { remaining = ms; } });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = request(`${running.url}/slow`, { agent, method: 'POST' }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      });
      req.on('error', reject);
      req.end();
    });
    await inFlight;
    const closed = running.close();
    release();
    const res = await answer;
    assert.deepEqual(res, { status: 201, connection: 'close', body: '{"done":true}' }, 'answered in full, the connection not kept');
    await closed;
    assert.ok(remaining !== undefined && remaining > 0, 'the stop ended when the response did, not by cutting the connection at the end of the grace');
  } finally {
    agent.destroy();
  }
});

test('a response already streaming when the stop begins (headers sent, keep-alive) has its connection closed as soon as it ends', async () => {
  let arrived!: () => void;
  const inFlight = new Promise<void>((r) => (arrived = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const app = express();
  app.get('/export', async (_req, res) => {
    res.write('first part,');
    arrived();
    await released;
    res.end('last part');
  });
  let remaining: number | undefined;
  // Without the close at the response's end, the idle connection held the stop the whole 30 s.
  const running = await serve(app, { host: '127.0.0.1', port: 0, graceMs: 30_000, onClose: async (ms) => { remaining = ms; } });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const body = new Promise<string>((resolve, reject) => {
      const req = request(`${running.url}/export`, { agent }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    await inFlight;
    const closed = running.close();
    release();
    assert.equal(await body, 'first part,last part');
    await closed;
    assert.ok(remaining !== undefined && remaining > 20_000, `the stop ended with the response (${remaining} ms of the grace left)`);
  } finally {
    agent.destroy();
  }
});

test('requests in flight when the listener closes get their drain time even when beforeClose used the whole grace (a task stuck on an app call)', async () => {
  let arrived!: () => void;
  const inFlight = new Promise<void>((r) => (arrived = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const app = express();
  app.patch('/Users/1', async (_req, res) => {
    arrived();
    await released;
    res.json({ id: '1' });
  });
  let budget: number | undefined;
  const running = await serve(app, {
    host: '127.0.0.1', port: 0, graceMs: 3_000,
    beforeClose: async (ms) => {
      budget = ms;
      await new Promise((r) => setTimeout(r, 3_000)); // overran its budget: the whole grace is gone
      setTimeout(release, 100); // the request answers a moment after the listener closes
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${running.url}/Users/1`, { agent, method: 'PATCH' }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    await inFlight;
    const closed = running.close();
    assert.deepEqual(await answer, { status: 200, body: '{"id":"1"}' }, 'answered, not cut');
    await closed;
    assert.equal(budget, 1_000, 'beforeClose is offered the grace less the 2 s the requests keep');
  } finally {
    agent.destroy();
  }
});
