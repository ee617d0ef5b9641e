/**
 * The product mounts the sandbox emulator inside itself; its `/__emulator/*` control endpoints
 * (accept invites, inject faults, list calls) then need the product's admin token, while the
 * Graph endpoints keep answering the sandbox's own access tokens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createMetaEmulator, SANDBOX } from './index.ts';

test('controlAuth guards the control endpoints only', async () => {
  const emulator = createMetaEmulator({ controlAuth: (req) => req.headers.authorization === 'Bearer admin-secret' });
  const app = express();
  app.use('/sandbox/graph', emulator.handler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox/graph`;
  try {
    const anonymous = await fetch(`${base}/__emulator/calls`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
    const accept = await fetch(`${base}/__emulator/invites/${SANDBOX.pendingInviteId}/accept`, { method: 'POST', headers: { authorization: 'Bearer wrong' } });
    assert.equal(accept.status, 401);
    assert.equal(emulator.control.state().invites.find((i) => i.id === SANDBOX.pendingInviteId)?.status, 'PENDING', 'the refused accept changed nothing');
    const calls = await fetch(`${base}/__emulator/calls`, { headers: { authorization: 'Bearer admin-secret' } });
    assert.equal(calls.status, 200);
    const graph = await fetch(`${base}/v25.0/${SANDBOX.businessId}?access_token=${SANDBOX.token}`);
    assert.equal(graph.status, 200);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('without controlAuth the control endpoints stay open (tests, standalone on loopback)', async () => {
  const emulator = createMetaEmulator();
  const { url, close } = await emulator.listen(0);
  try {
    assert.equal((await fetch(`${url}/__emulator/calls`)).status, 200);
  } finally {
    await close();
  }
});
