import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

/**
 * An event type hubwarden does not act on is acknowledged and ignored, whatever its name: one
 * named as a property every JavaScript object inherits ("constructor", "toString", "__proto__")
 * was looked up in the action table through the prototype and taken as an action, and an event
 * "constructor" about a suspended person unsuspended them. Okta's event types are listed at
 * https://developer.okta.com/docs/reference/api/event-types/; none is such a name.
 */
const published = new Date(Date.now() - 60_000).toISOString();

test('an event type named as an inherited object property (constructor, toString, __proto__) is ignored, not acted on', async () => {
  const agent = new FakeAgent();
  agent.people.add('ana@example.com');
  const store = new MemoryStore();
  const hook = createOktaHookRouter({ config: testConfig(), agent, store });
  const server = await serveRouters([['/hooks', hook]]);
  try {
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
    const res = await fetch(`${server.url}/hooks/okta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET },
      body: JSON.stringify({ data: { events: names.map((eventType, i) => ({
        uuid: `inherited-${i}`, published, eventType, outcome: { result: 'SUCCESS' },
        target: [{ id: '00uana', type: 'User', alternateId: 'ana@example.com' }],
      })) } }),
    });
    assert.equal(res.status, 200);
    await hook.settled();
    assert.deepEqual(agent.writes().map((c) => c.method), []);
    for (let i = 0; i < names.length; i++) {
      const r = await store.get('hookEvents', 'okta', `inherited-${i}`);
      assert.equal(r?.state, 'done', names[i]);
      assert.equal(r?.outcome, `event type ${names[i]} not handled`);
    }
  } finally {
    hook.stop();
    await server.close();
  }
});
