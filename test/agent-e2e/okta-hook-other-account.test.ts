import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { checkForUpdates, HUB, onboard, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

/**
 * Okta keeps logins unique, not primary emails. Jane's old account (login jane@example.com, Okta
 * id 00u-old) is not assigned to this hub's app; her colleague's account (Okta id 00u-colleague,
 * another login) carries the email jane@example.com and holds the seat. The old account's
 * deactivation, announced by the org's event hook, found nobody by login or id on the hub and fell
 * back to the email: it offboarded the colleague and removed their seat.
 */
const hook: Trigger = { type: 'okta-event-hook', idp: 'okta', detail: 'user.lifecycle.deactivate evt-old-account' };

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`an Okta deactivation of another account with the same email (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind, safety: { removalThresholdPercent: 100 } }); await checkForUpdates(h); });
    after(() => h.close());

    test("does not remove the seat of a directory user whose externalId is another Okta account's", async () => {
      const seat = await onboard(h, 'u-colleague', 'jane@example.com', 'Meta Advertisers');
      await h.store.transact(async (tx) => {
        const u = (await tx.get('directoryUsers', HUB, 'u-colleague'))!;
        tx.put('directoryUsers', HUB, 'u-colleague', { ...u, userName: 'jane.smith@example.com', externalId: '00u-colleague', version: u.version + 1 });
      });
      const parent = await h.agent.api.offboard({ userName: 'jane@example.com', email: 'jane@example.com', externalId: '00u-old' }, hook);
      await until('offboarding done', async () => ['completed', 'failed'].includes((await h.agent.api.task(parent.id))?.status ?? ''), 8_000);
      await h.agent.idle();
      assert.ok(h.emulator.control.state().users.some((u) => u.id === seat), "the colleague's seat stays");
      assert.equal((await h.store.get('directoryUsers', HUB, 'u-colleague'))?.offboarded, undefined, 'the colleague is not marked offboarded');
      const trail = (await h.agent.api.audit({ email: 'jane@example.com', action: 'offboard' })).items;
      assert.ok(trail.some((e) => e.outcome === 'skipped' && /matched to directory user u-colleague, not to the leaver/.test(e.why)), JSON.stringify(trail.map((e) => [e.outcome, e.why])));
    });
  });
}
