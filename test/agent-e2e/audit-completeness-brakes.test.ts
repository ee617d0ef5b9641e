import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OKTA } from './directory.ts';
import { checkForUpdates, HUB, onboard, until, type Harness } from './harness.ts';
import { checkCase, isMember, owner, startWorld, type Expected } from './audit-completeness-fixtures.ts';

/** Audit completeness (audit-completeness.test.ts) of the safety brakes: a change held, then applied or rejected by an owner. */

describe('audit completeness: safety brakes (confirmDeprovisioning)', () => {
  let h: Harness;
  before(async () => { h = await startWorld({ confirmDeprovisioning: true }); });
  after(() => h.close());
  test('a deactivation goes to the report; an owner applies it', () => checkCase(h, {
    name: 'confirmDeprovisioning',
    async run(h) {
      const seat = await onboard(h, 'u-rae', 'rae@example.com', 'Meta Advertisers');
      await h.directory.setActive('u-rae', false);
      const report = await until('a report', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === seat)));
      await h.agent.idle();
      assert.ok(isMember(h, seat), 'held until applied');
      await h.agent.api.applyReport(report.id, [seat], owner);
      await until('rae removed', () => !isMember(h, seat));
      return [
        { action: 'report', outcome: 'pending', trigger: OKTA, email: 'rae@example.com', memberId: seat, why: /confirmDeprovisioning|report/ },
        { action: 'apply-report', outcome: 'ok', trigger: owner, email: 'rae@example.com', memberId: seat, why: new RegExp(`applied from report ${report.id}`) },
        { action: 'remove-member', outcome: 'ok', trigger: owner, email: 'rae@example.com', memberId: seat, why: /remove rae@example\.com/ },
      ];
    },
  }));
});

describe('audit completeness: safety brakes (removal threshold)', () => {
  let h: Harness;
  before(async () => { h = await startWorld({ removalThresholdPercent: 10 }); });
  after(() => h.close());
  test('removals over the threshold wait for approval; an owner rejects them', () => checkCase(h, {
    name: 'removal threshold',
    async run(h) {
      const a = await onboard(h, 'u-tia', 'tia@example.com', 'Meta Advertisers', { import: false });
      const b = await onboard(h, 'u-tom', 'tom@example.com', 'Meta Advertisers', { import: false });
      await checkForUpdates(h);
      await h.directory.setActive('u-tia', false);
      await h.directory.setActive('u-tom', false);
      const approval = await until('an approval', async () => (await h.agent.api.approvals(HUB)).find((x) => x.status === 'pending'));
      await h.agent.api.decideApproval(approval.id, 'reject', owner);
      await h.agent.idle();
      assert.ok(isMember(h, a) && isMember(h, b), 'nobody removed');
      return [
        { action: 'approval-requested', outcome: 'pending', trigger: OKTA, why: /would remove 2 of \d+ member/ },
        { action: 'approval-rejected', outcome: 'ok', trigger: owner, why: /would remove 2/ },
        // In each person's own trail: held by the brake, then not done because the owner said no.
        ...[['tia@example.com', a], ['tom@example.com', b]].flatMap(([email, seat]): Expected[] => [
          { action: 'remove-member', outcome: 'pending', trigger: OKTA, email, memberId: seat, why: new RegExp(`held for approval ${approval.id} \\(removalThresholdPercent 10%: seat removals\\)`) },
          { action: 'remove-member', outcome: 'skipped', trigger: owner, email, memberId: seat, why: new RegExp(`not done, approval ${approval.id} rejected by owner@example\\.com`), not: 'ok' },
        ]),
      ];
    },
  }));
});
