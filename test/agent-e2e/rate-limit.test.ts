import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

// The agent's end-to-end flows on the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`invite limit (code 17) against the emulator (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ store: kind, emulator: { inviteLimit: { count: 2, windowMs: 86_400_000 } } });
      await checkForUpdates(h);
    });
    after(() => h.close());

    test('the third invite waits as long as Meta says; other work on the hub goes on; no retry storm', async () => {
      for (const i of [1, 2, 3]) await h.directory.createUser(`u-${i}`, `p${i}@example.com`);
      await h.directory.patchGroup('Meta Advertisers', ['u-1', 'u-2', 'u-3']);
      const waiting = await until('an invite waiting on the limit', async () => (await h.agent.api.tasks({ hubId: HUB, kind: 'invite', status: 'waiting' })).items[0]);
      assert.equal(waiting.lastError?.kind, 'rate-limited');
      const task = (await h.store.get('tasks', HUB, waiting.id))!;
      assert.equal(task.waitReason, `rate-limited invite:${SANDBOX.businessId}`);
      assert.ok(Date.parse(task.nextRunAt!) - Date.now() > 23 * 3_600_000, 'waits about 24 h (the invite limit, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users)');
      assert.equal(h.emulator.control.state().invites.filter((i) => i.email.startsWith('p') && i.status === 'PENDING').length, 2);

      // Non-invite work is not held by the invite block: a role change on an invite goes through.
      // One of the two sent (which two were sent first is not fixed: the three invites run side by side).
      const pending = h.emulator.control.state().invites.find((i) => /^p\d@example\.com$/.test(i.email) && i.status === 'PENDING')!;
      await h.directory.patchGroup('Meta Admins', [`u-${pending.email.slice(1, 2)}`]);
      await until('invite role raised', () => h.emulator.control.state().invites.find((i) => i.id === pending.id)?.role === 'ADMIN');
      await h.agent.idle();
      assert.equal(h.emulator.calls.filter((c) => c.code === 17).length, 1, 'one code-17 answer; the blocked scope is not retried');
    });
  });
}
