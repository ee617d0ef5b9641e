/**
 * The service hands every hub's connector the call window in the store (agent/tasks/call-pace.ts),
 * on a store one process uses too: TikTok's sandbox host allows 1,000 calls a UTC day ("Rate
 * limits", https://business-api.tiktok.com/portal/docs/rate-limits/v1.3), and given only on a
 * shared store, the day's count lived in the process and a restart started it over at 0.
 */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Keyring } from '../agent/secrets/keyring.ts';
import { MemoryStore } from '../agent/store/memory-store.ts';
import '../agent/tasks/call-pace.ts';
import type { ConnectorError } from '../connectors/sdk/connector-error.ts';
import { composeHubwarden } from './compose.ts';
import { tiktokHubConfig } from '../connectors/tiktok-business/test-setup.ts';

test('on a store one process uses, a day\'s calls counted before a restart hold the hub after it, and nothing is sent', async (t) => {
  const config = tiktokHubConfig('https://sandbox-ads.tiktok.com', 'compose-call-pace');
  const store = new MemoryStore();
  await store.open();
  // The process before the restart spent the day's 1,000 calls.
  const day = Math.floor(Date.now() / 86_400_000);
  await store.transact((tx) => tx.put('callWindows', '', 'hub-t', { id: 'hub-t', hubId: 'hub-t', at: [], day, inDay: 1_000 }));
  const sent = mock.method(globalThis, 'fetch', async () => new Response('{}', { status: 500 }));
  t.after(() => sent.mock.restore());
  const hubwarden = composeHubwarden({ config, store, auditFile: false, keyring: Keyring.fromKey(randomBytes(32)) });
  const err = await hubwarden.connectorFor('hub-t')!.listMembers!().then(() => undefined, (e: ConnectorError) => e);
  assert.equal(err?.kind, 'rate-limited', 'the 1,001st call of the day is held');
  assert.equal(sent.mock.callCount(), 0, 'nothing sent');
});
