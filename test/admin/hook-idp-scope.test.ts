import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadedConfig } from '../../config/load.ts';
import { configSchema } from '../../config/schema.ts';
import { Secret } from '../../config/secret-ref.ts';
import { createOktaHookRouter, type HookRouter } from '../../scim-server/hooks/okta.ts';
import { checkForUpdates, HUB, hubConfig, onboard, startHarness, until, type Harness } from '../agent-e2e/harness.ts';
import { suiteStores } from '../suite-stores.ts';
import { serveRouters, type TestServer } from './test-server.ts';

/**
 * Two Okta orgs, told apart by their event hook secret (https://developer.okta.com/docs/concepts/event-hooks/:
 * the static Authorization header): the hub is governed by org B. Org A deactivating a person of
 * the same login must not remove the seat they hold on B's hub, where they are still active.
 */
const SECRETS: Record<string, string> = { 'env:HOOK_A': 'org-a-hook-secret', 'env:HOOK_B': 'org-b-hook-secret' };

function twoOrgs(): LoadedConfig {
  const base = hubConfig();
  const file = configSchema.parse({
    identityProviders: {
      'okta-a': { kind: 'okta', orgUrl: 'https://a.okta.example', eventHookSecret: 'env:HOOK_A' },
      'okta-b': { kind: 'okta', orgUrl: 'https://b.okta.example', eventHookSecret: 'env:HOOK_B' },
    },
    hubs: [{ ...base.hubs[0], identityProvider: 'okta-b' }],
  });
  return { file, secretRefs: Object.keys(SECRETS), secret: (ref: string) => new Secret(SECRETS[ref]!, ref) } as unknown as LoadedConfig;
}

const deactivation = (uuid: string) => ({
  eventType: 'com.okta.event_hook',
  data: { events: [{
    uuid, published: new Date().toISOString(), eventType: 'user.lifecycle.deactivate',
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com' }, outcome: { result: 'SUCCESS' },
    target: [{ id: '00uleo', type: 'User', alternateId: 'leo@example.com', displayName: 'Leo' }],
  }] },
});

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`Okta event hooks of two orgs act on the hubs each governs (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    let hook: HookRouter & { stop(): void };
    let server: TestServer;
    before(async () => {
      const config = twoOrgs();
      h = await startHarness({ store: kind, config: config.file });
      await checkForUpdates(h);
      hook = createOktaHookRouter({ config, agent: h.agent.api, store: h.store });
      server = await serveRouters([['/hooks', hook]]);
    });
    after(async () => {
      hook.stop();
      await server.close();
      await h.close();
    });

    const deliver = (secret: string, uuid: string) => fetch(`${server.url}/hooks/okta`, {
      method: 'POST', headers: { authorization: secret, 'content-type': 'application/json' }, body: JSON.stringify(deactivation(uuid)),
    });
    const offboarding = async (uuid: string) => {
      await hook.settled();
      const task = (await h.agent.api.tasks({ kind: 'offboard' })).items.find((t) => t.trigger.detail === `user.lifecycle.deactivate ${uuid}`);
      assert.ok(task, `an offboarding for ${uuid}`);
      return until(`offboarding ${uuid} finished`, async () => {
        const t = await h.agent.api.findTask(task.id);
        return t && ['completed', 'failed'].includes(t.status) ? t : undefined;
      }, 10_000);
    };
    const holdsSeat = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);

    test('a deactivation in the org that does not govern the hub removes nothing there; the one in its own org does', async () => {
      const seat = await onboard(h, 'u-leo', 'leo@example.com', 'Meta Advertisers');
      assert.equal((await deliver(SECRETS['env:HOOK_A']!, 'org-a-1')).status, 200);
      const fromA = await offboarding('org-a-1');
      assert.equal(fromA.trigger.idp, 'okta-a');
      assert.deepEqual(fromA.result, { hubs: [], operations: 0, reported: [] });
      assert.ok(holdsSeat(seat), `org A's deactivation left the seat on ${HUB}`);
      const skipped = (await h.agent.api.audit({ email: 'leo@example.com', action: 'offboard' })).items.filter((e) => e.taskId === fromA.id);
      assert.deepEqual(skipped.map((e) => e.outcome), ['skipped']);

      assert.equal((await deliver(SECRETS['env:HOOK_B']!, 'org-b-1')).status, 200);
      const fromB = await offboarding('org-b-1');
      assert.equal(fromB.status, 'completed', JSON.stringify(fromB.lastError));
      assert.notEqual(fromB.id, fromA.id);
      await until('seat removed', () => !holdsSeat(seat), 10_000);
    });
  });
}
