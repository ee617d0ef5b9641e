import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../agent/log/logger.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraConfigFor, serveRouters, TEST_ENV } from './test-server.ts';

/**
 * A callout drives an offboarding, so only the relay app acting as itself may send one. Per
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, `scp` is only
 * in user (delegated) tokens and the optional `idtyp` claim is `app` in app-only ones: a person's
 * token for the allowed app (scp set, or idtyp "user") is refused with 403 and nothing is done.
 */
const callout = (resultId: string) => ({
  data: {
    callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/wf-1/tasks/task-1/taskProcessingResults/${resultId}/resume`,
    subject: { id: 'obj-jane', email: 'jane@example.com', userPrincipalName: 'jane@example.com' },
    task: { id: 'task-1', displayName: 'remove seat' },
    taskProcessingResult: { id: resultId, createdDateTime: '2026-11-23T10:00:00Z' },
    workflow: { id: 'wf-1', displayName: 'Leaver', workflowVersion: 1 },
  },
  source: 'sample',
  type: 'lifecycleEvent',
});

test('a delegated token of an allowed app (scp, or idtyp other than app) is refused 403, logged without the token; an app-only one is accepted', async () => {
  const emulator = createGraphEmulator({ tenantId: 'tenant-1111', clientId: 'hubwarden-app-id', clientSecret: TEST_ENV.ENTRA_CLIENT_SECRET });
  const graph = await emulator.listen();
  const config = entraConfigFor(graph.url);
  const lines: string[] = [];
  const keep = (...args: unknown[]) => { lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')); };
  const log = { debug: keep, info: keep, warn: keep, error: keep, child: () => log } as unknown as Logger;
  const agent = new FakeAgent();
  const hook = createEntraLifecycleRouter({ config, agent, store: new MemoryStore(), log, pollIntervalMs: 5, resume: async () => {} });
  const server = await serveRouters([['/hooks', hook]]);
  const send = (token: string, resultId: string) => fetch(`${server.url}/hooks/entra/lifecycle`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(callout(resultId)),
  });
  const delegated = [
    await emulator.issueToken({ aud: 'api://hubwarden', azp: 'relay-app', scp: 'user_impersonation', sub: 'jo', oid: 'obj-jo' }),
    await emulator.issueToken({ aud: 'api://hubwarden', azp: 'relay-app', idtyp: 'user', oid: 'obj-jo' }),
  ];
  try {
    for (const [i, token] of delegated.entries()) {
      const res = await send(token, `tpr-delegated-${i}`);
      assert.equal(res.status, 403, `delegated token ${i}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /insufficient_scope/);
      assert.doesNotMatch(await res.text(), new RegExp(token.slice(-20)));
    }
    const appOnly = await send(await emulator.issueToken({ aud: 'api://hubwarden', azp: 'relay-app', idtyp: 'app', roles: ['Lifecycle.Callout'] }), 'tpr-app');
    assert.equal(appOnly.status, 202, 'an app-only token of the allowed app');
    const noIdtyp = await send(await emulator.issueToken({ aud: 'api://hubwarden', azp: 'relay-app' }), 'tpr-app-2');
    assert.equal(noIdtyp.status, 202, 'idtyp is optional: an app-only token without it still passes');
    await hook.settled();
  } finally {
    hook.stop();
    await server.close();
    await graph.close();
  }
  const offboarded = agent.writes().filter((c) => c.method === 'offboard');
  assert.equal(offboarded.length, 2, 'only the two app-only callouts offboard');
  const text = lines.join('\n');
  assert.match(text, /callout refused: .*delegated token/);
  assert.match(text, /callout refused: .*idtyp "user"/);
  for (const token of delegated) assert.ok(!text.includes(token.split('.')[2]!), 'the token is not logged');
});
