import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, onboard, startHarness, until, type Harness } from './harness.ts';

/**
 * Every change is audited with who it was about, what, why and the outcome, a failed one too: the
 * entry recording that an app change gave up names the person and the row it was for, so the
 * audit of that person (the members view, `hubwarden audit --email`) shows that their removal
 * did not happen. Before, only the task's summary said whom it concerned.
 */
let h: Harness;
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
before(async () => { h = await startHarness(); await checkForUpdates(h); });
after(() => h.close());

test('a removal that fails is audited under the person and row it was for', async () => {
  const email = 'fay@example.com';
  const seat = await onboard(h, 'u-fay', email, 'Meta Advertisers');
  h.emulator.control.setFaults({ errorRate: 1, match: `/${seat}` });
  const task = await h.agent.api.removeMember(HUB, seat, owner);
  await until('the removal gave up', async () => (await h.agent.api.task(task.id))?.status === 'failed', 20_000);
  h.emulator.control.setFaults({});
  const mine = (await h.agent.api.audit({ hubId: HUB, email, action: 'remove-member' })).items;
  const failed = mine.find((e) => e.outcome === 'failed' && e.taskId === task.id);
  assert.ok(failed, `a failed entry under ${email}: ${JSON.stringify(mine.map((e) => `${e.outcome}: ${e.why}`))}`);
  assert.equal(failed.subject?.memberId, seat);
  assert.equal(failed.trigger.actor, owner.actor);
  assert.match(failed.why, /gave up/);
});
