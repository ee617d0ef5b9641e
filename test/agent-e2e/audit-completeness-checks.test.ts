import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Operation } from '../../agent/plan/operation.ts';
import { enqueueOperation } from '../../agent/tasks/operations/enqueue-operation.ts';
import { Directory, OKTA } from './directory.ts';
import { checkForUpdates, HUB, hubConfig, until, type Harness } from './harness.ts';
import { checkCase, finished, owner, signedIn, startWorld, writebackFault, type Case } from './audit-completeness-fixtures.ts';

/** Audit completeness (audit-completeness.test.ts) of checks for updates, the write-back after them, and changes for a hub taken out of the config. */

const checks: Case[] = [
  {
    name: 'an invite declined in the app: found by a check for updates',
    async run(h) {
      await h.directory.createUser('u-dan', 'dan@example.com');
      await h.directory.patchGroup('Meta Advertisers', ['u-dan']);
      const invite = await until('dan invited', () => h.emulator.control.state().invites.find((i) => i.email === 'dan@example.com' && i.status === 'PENDING'));
      h.emulator.control.declineInvite(invite.id);
      await checkForUpdates(h);
      // The app lists pending invites only: a declined one is seen leaving them before it expired.
      return [
        { action: 'drift-invite-canceled-in-app', outcome: 'ok', trigger: { type: 'admin', actor: 'e2e' }, email: 'dan@example.com', why: /declined by the person or cancelled in the app; hubwarden re-sends it once/ },
        { action: 'reinvite', outcome: 'ok', trigger: { type: 'admin', actor: 'e2e' }, email: 'dan@example.com', why: /re-invite dan@example\.com.*declined/ },
      ];
    },
  },
  {
    name: 'a check for updates asked from the dashboard, and one the app refuses',
    async run(h) {
      const ok = await h.agent.api.checkForUpdates(HUB, signedIn);
      assert.equal((await finished(h, ok.id)).status, 'completed');
      h.emulator.control.setFaults({ errorRate: 1, match: 'business_users' });
      let refused: { id: string };
      try {
        refused = await h.agent.api.checkForUpdates(HUB, owner);
        await until('a failed read audited', async () => (await h.agent.api.audit({ hubId: HUB, action: 'check-for-updates' })).items.some((e) => e.taskId === refused.id && e.outcome === 'failed'), 20_000);
      } finally {
        h.emulator.control.setFaults({});
      }
      return [
        // By task: the refused check is retried once the app answers again, and its retry is audited ok too.
        { action: 'check-for-updates', outcome: 'ok', trigger: signedIn, taskId: ok.id, why: /check for updates of hub meta-main: \d+ members/ },
        { action: 'check-for-updates', outcome: 'failed', trigger: owner, taskId: refused.id, why: /check for updates of hub meta-main stopped: .+; the previous complete snapshot is kept/ },
      ];
    },
  },
  {
    name: 'the write-back after a check for updates is refused by the identity provider',
    async run(h) {
      writebackFault.refusal = new Error('okta: 401 E0000011 Invalid token provided');
      try {
        const t = await h.agent.api.checkForUpdates(HUB, owner);
        assert.equal((await finished(h, t.id)).status, 'completed', 'the import stands');
      } finally {
        writebackFault.refusal = undefined;
      }
      return [{ action: 'writeback.run', outcome: 'failed', trigger: owner, why: /write-back to the identity provider after check for updates of hub meta-main stopped: okta: 401 E0000011/ }];
    },
  },
  {
    name: 'the write-back after a check for updates stops part way (the identity provider failing update after update)',
    async run(h) {
      writebackFault.stop = 'okta failed 10 updates in a row for a passing reason (last: okta: 503); the rest are sent on the next run';
      try {
        const t = await h.agent.api.checkForUpdates(HUB, owner);
        const done = await finished(h, t.id);
        assert.equal(done.status, 'completed', 'the import stands');
        assert.match(String((done.result as { writeback?: unknown })?.writeback), /^failed: okta failed 10 updates in a row/, 'the task result does not say "done"');
      } finally {
        writebackFault.stop = undefined;
      }
      return [{ action: 'writeback.run', outcome: 'failed', trigger: owner, why: /after check for updates of hub meta-main stopped: okta failed 10 updates in a row/ }];
    },
  },
  {
    name: 'a SCIM push accepted for a hub since taken out of the config: failed, not dropped',
    async run(h) {
      const retired = new Directory(h.store, 'retired-hub');
      await retired.createUser('u-old', 'old@example.com');
      await until('dispatched', async () => (await h.store.count('outbox', 'retired-hub')) === 0);
      return [{ action: 'desired-state-change', outcome: 'failed', trigger: OKTA, hubId: 'retired-hub', why: /scim from okta: 1 user-created; not acted on: hub retired-hub is not configured/ }];
    },
  },
  {
    name: 'a change queued for a hub no longer in the config: failed, not dropped',
    async run(h) {
      const retired = { ...hubConfig().hubs[0]!, id: 'retired-hub' };
      const op: Operation = { kind: 'remove-member', key: 'remove:6100000000009999', memberId: '6100000000009999', role: 'EMPLOYEE', email: 'old@example.com', directoryUserId: 'u-old', summary: 'remove old@example.com (EMPLOYEE) from the business', effect: 'removal', reason: 'deactivated' };
      const task = await h.store.transact((tx) => enqueueOperation(tx, { hub: retired, op, trigger: owner, force: true }));
      assert.equal((await finished(h, task.id)).status, 'failed');
      return [{ action: 'remove-member', outcome: 'failed', trigger: owner, hubId: 'retired-hub', email: 'old@example.com', memberId: '6100000000009999', why: /remove old@example\.com.*not configured/, not: 'ok' }];
    },
  },
];

describe('audit completeness: checks for updates, write-back, hubs out of the config', () => {
  let h: Harness;
  before(async () => { h = await startWorld(); });
  after(() => h.close());
  for (const c of checks) test(c.name, () => checkCase(h, c));
});
