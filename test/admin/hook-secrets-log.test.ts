import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../agent/log/logger.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraConfigFor, serveRouters, TEST_ENV, testConfig } from './test-server.ts';

/** A logger that keeps every line it is given, with its metadata. */
function capturingLog(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  const log = { debug: keep, info: keep, warn: keep, error: keep, child: () => log } as unknown as Logger;
  return { log, text: () => lines.join('\n') };
}

test('Okta: a refused or malformed delivery logs and answers neither the configured secret nor the one presented', async () => {
  // Okta sends the static secret in Authorization (https://developer.okta.com/docs/concepts/event-hooks/ "Security"):
  // a near miss (an old or mistyped secret) is as secret as the right one.
  const { log, text } = capturingLog();
  const hook = createOktaHookRouter({ config: testConfig(), agent: new FakeAgent(), store: new MemoryStore(), log });
  const server = await serveRouters([['/hooks', hook]]);
  const answers: string[] = [];
  try {
    for (const authorization of ['okta-hook-secret-mai', `Basic ${TEST_ENV.OKTA_HOOK_SECRET}`, TEST_ENV.OKTA_HOOK_SECRET]) {
      const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: '{"data": {"events": "not a list"}}' });
      assert.ok(res.status === 401 || res.status === 400, `${authorization}: ${res.status}`);
      answers.push(await res.text());
    }
    await hook.settled();
  } finally {
    hook.stop();
    await server.close();
  }
  assert.match(text(), /delivery refused/, 'the refusal is logged');
  for (const where of [text(), ...answers]) assert.doesNotMatch(where, /okta-hook-secret/);
});

test('Entra: a refused callout logs and answers nothing of the bearer token', async () => {
  const emulator = createGraphEmulator({ tenantId: 'tenant-1111', clientId: 'hubwarden-app-id', clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  const config = entraConfigFor(graph.url);
  const { log, text } = capturingLog();
  const hook = createEntraLifecycleRouter({ config, agent: new FakeAgent(), store: new MemoryStore(), log, pollIntervalMs: 5 });
  const server = await serveRouters([['/hooks', hook]]);
  const tokens = [
    await emulator.issueToken({ aud: 'api://hubwarden', azp: 'other-app', appid: 'other-app' }),
    await emulator.issueToken({ aud: 'https://graph.microsoft.com', azp: 'relay-app' }),
    await emulator.issueToken({ aud: 'api://hubwarden', azp: 'relay-app' }, -600),
  ];
  const answers: string[] = [];
  try {
    for (const token of tokens) {
      const res = await fetch(`${server.url}/hooks/entra/lifecycle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}' });
      assert.equal(res.status, 401);
      answers.push(await res.text());
    }
    await hook.settled();
  } finally {
    hook.stop();
    await server.close();
    await graph.close();
  }
  assert.match(text(), /callout refused/, 'the refusals are logged');
  for (const token of tokens) {
    const signature = token.split('.')[2]!;
    for (const where of [text(), ...answers]) assert.ok(!where.includes(signature) && !where.includes(token.split('.')[1]!), 'no part of the token');
  }
});
