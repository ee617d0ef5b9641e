import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEntry } from '../../agent/api.ts';
import { AgentError } from '../../agent/agent-error.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { HookEventLog } from '../../scim-server/hooks/hook-events.ts';
import { HOOK_EVENT_TTL_MS } from '../../scim-server/hooks/hook-event-record.ts';
import { givenUpAudit } from '../../scim-server/hooks/hook-give-up.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { oktaDeactivation } from './okta-event-fixture.ts';

async function auditOf(store: MemoryStore): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (const p of await store.partitions('audit')) for await (const e of store.list('audit', p)) out.push(e);
  return out;
}

const deactivate = oktaDeactivation;

test('Okta: a deactivation the agent answers "not now" to for a week is audited as given up when its record is swept, not dropped without a trace', async () => {
  const store = new MemoryStore();
  let now = Date.now();
  const agent = new FakeAgent();
  // Every try is told "not now" (isTransient): the event stays open and is tried again.
  agent.offboard = async () => { throw new AgentError('unavailable', 'agent: the store is unavailable'); };
  const hook = createOktaHookRouter({ config: testConfig(), agent, store, now: () => now, leaseMs: 100 });
  const server = await serveRouters([['/hooks', hook]]);
  const deliver = (login: string, uuid: string) => fetch(`${server.url}/hooks/okta`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
    body: JSON.stringify({
      eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', contentType: 'application/json', eventId: `d-${uuid}`,
      eventTime: new Date(now).toISOString(), source: 'https://acme.okta.example/api/v1/eventHooks/who123',
      data: { events: [deactivate(login, uuid, new Date(now - 1000).toISOString())] },
    }),
  });
  try {
    assert.equal((await deliver('jane@example.com', 'evt-jane')).status, 200);
    await hook.settled();
    assert.equal((await store.get('hookEvents', 'okta', 'evt-jane'))?.state, 'processing', 'left open: tried again');
    assert.deepEqual((await auditOf(store)).filter((e) => e.subject?.email === 'jane@example.com'), [], 'nothing decided yet');

    // A week and more later: the next delivery's sweep removes the record still open. A retry of it
    // holding its lease at that moment (a loaded machine) defers it to the next hour's sweep
    // (sweep-batches.ts keeps a leased record), so each round moves the clock on an hour.
    now += HOOK_EVENT_TTL_MS + 3_600_000;
    for (let round = 0; round < 5 && (await store.get('hookEvents', 'okta', 'evt-jane')); round++) {
      assert.equal((await deliver('raj@example.com', `evt-raj-${round}`)).status, 200);
      await hook.settled();
      for (let waited = 0; (await store.get('hookEvents', 'okta', 'evt-jane')) && waited < 3000; waited += 20) await sleep(20);
      now += 3_600_000;
    }
    assert.equal(await store.get('hookEvents', 'okta', 'evt-jane'), undefined, 'swept');

    const jane = (await auditOf(store)).filter((e) => e.subject?.email === 'jane@example.com');
    assert.equal(jane.length, 1, `one entry for jane's event: ${JSON.stringify(jane)}`);
    const [entry] = jane;
    assert.equal(entry!.action, 'offboard');
    assert.equal(entry!.outcome, 'failed');
    assert.equal(entry!.trigger.type, 'okta-event-hook');
    assert.equal(entry!.trigger.actor, 'admin@example.com');
    assert.match(entry!.why, /user\.lifecycle\.deactivate .*never acted on in 7 days: given up, nothing done/);
    assert.deepEqual(entry!.detail, { eventId: 'evt-jane', eventType: 'user.lifecycle.deactivate' });
    // Raj's events, received hours ago at most, are still open: not given up.
    assert.equal((await auditOf(store)).filter((e) => e.subject?.email === 'raj@example.com').length, 0);
  } finally {
    hook.stop();
    await server.close();
  }
});

test('a Lifecycle Workflows callout swept still processing is audited as given up; done records and event types not acted on are not', async () => {
  const store = new MemoryStore();
  let now = Date.UTC(2026, 10, 23);
  const log = new HookEventLog(store, () => now, undefined, undefined, givenUpAudit);
  const person = { email: 'leo@example.com', userName: 'leo@example.com' };
  await log.claim('entra-lifecycle', 'entra', [{ id: 'r-1', callout: { workflowId: 'wf-1', taskId: 't-1', taskProcessingResultId: 'r-1', action: 'offboard', person } }]);
  await log.claim('okta', 'okta', [
    { id: 'e-done', event: { eventType: 'user.lifecycle.deactivate', person: { email: 'ann@example.com' }, actor: 'admin@example.com' } },
    { id: 'e-other', event: { eventType: 'user.session.start', person: { email: 'bo@example.com' }, actor: 'admin@example.com' } },
  ]);
  await log.update('okta', 'e-done', { state: 'done', outcome: 'offboard ann@example.com' });
  now += HOOK_EVENT_TTL_MS + 1;
  assert.equal(await log.sweep(true), 3);
  const entries = await auditOf(store);
  assert.equal(entries.length, 1, JSON.stringify(entries));
  const [entry] = entries;
  assert.equal(entry!.action, 'offboard');
  assert.equal(entry!.outcome, 'failed');
  assert.deepEqual(entry!.trigger, { type: 'entra-lifecycle', idp: 'entra', actor: 'workflow:wf-1', detail: 'task t-1 result r-1' });
  assert.equal(entry!.subject?.email, 'leo@example.com');
  assert.match(entry!.why, /Lifecycle Workflows task t-1 \(offboard\) .*never acted on in 7 days: given up, nothing done and not resumed/);
});
