import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { oktaDeactivation, oktaDelivery } from './okta-event-fixture.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

/**
 * An Okta event hook delivery's actor and event type went as sent into the audit trigger (`actor`,
 * `detail`) and the hook records: a sender holding the secret, broken or compromised, wrote ESC
 * sequences, line breaks (new rows in a CSV export) and megabytes into the audit log. They are now
 * escaped and cut (scim-server/hooks/hook-text.ts); the deactivation is still acted on.
 */
const published = new Date(Date.now() - 60_000).toISOString();
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

test('an Okta delivery whose actor holds control characters or megabytes: audited and passed on escaped and cut', async () => {
  const agent = new FakeAgent();
  agent.people.add('jane@example.com');
  const store = new MemoryStore();
  const hook = createOktaHookRouter({ config: testConfig(), agent, store });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const hostile = (uuid: string, login: string, alternateId: string) => ({ ...oktaDeactivation(login, uuid, published), actor: { id: '00uevil', type: 'User', alternateId, displayName: 'x'.repeat(100_000) } });
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify(oktaDelivery(
        hostile('evt-esc', 'jane@example.com', 'eve\u001b[2J\r\n=HYPERLINK("http://x")\u202e@example.com'),
        // Nobody the agent knows: refused, and the refusal is audited with the trigger.
        hostile('evt-long', 'ghost@example.com', 'e'.repeat(1_000_000)),
      )),
    });
    assert.equal(res.status, 200);
    await hook.settled();

    const offboard = agent.calls.find((c) => c.method === 'offboard');
    assert.equal((offboard?.args[1] as Trigger).actor, 'eve\\x1b[2J\\x0d\\x0a=HYPERLINK("http://x")\\u202e@example.com', 'the deactivation is acted on, its actor escaped');
    const entries = (await collect(store.list('audit', ''))) as AuditEntry[];
    const refused = entries.find((e) => e.trigger.detail === 'user.lifecycle.deactivate evt-long');
    assert.ok(refused, 'the refused offboarding is audited');
    assert.equal(refused.outcome, 'failed');
    assert.equal(refused.trigger.actor, `${'e'.repeat(319)}…`);
    for (const id of ['evt-esc', 'evt-long']) {
      const record = await store.get('hookEvents', 'okta', id);
      const text = JSON.stringify(record?.event);
      assert.ok(text.length < 1000, `${id}: the record is bounded`);
      assert.ok(!CONTROL.test(record?.event?.actor ?? ''), `${id}: no control character kept`);
    }
  } finally {
    hook.stop();
    await server.close();
  }
});
