/**
 * A deprovisioning report whose every item leaves it because the seat became a rehire's (a new
 * directory user with the leaver's email, safety/claimed-seats.ts). Before, the report stayed
 * `open` with no items: the dashboard and the admin API showed an open report to decide with
 * nothing in it, the hub's next leaver was added to it (it was still the hub's one open report),
 * and an owner applying it had it marked `applied` with nothing applied. Now it is `withdrawn`
 * with why (`withdrawnBecause`) in the transaction that empties it, audited `report-withdrawn`
 * by whoever emptied it; applying it is refused, and the next leaver goes on a new report.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, onboard, settle, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const LEE = 'lee@example.com';

const inMeta = (h: Harness, id: string) => h.emulator.control.state().users.some((u) => u.id === id);
const CLAIMED = /the seat is now matched to directory user u-lee-again \(lee@example\.com\), active in the IdP with this email/;

/** Lee (a leaver, to be rehired), May and Kim hold seats; Lee alone is deactivated, the removal the report's one item. */
async function leaverOnReport(h: Harness): Promise<{ lee: string; may: string; report: string }> {
  await checkForUpdates(h);
  const lee = await onboard(h, 'u-lee', LEE, 'Meta Advertisers');
  const may = await onboard(h, 'u-may', 'may@example.com', 'Meta Advertisers');
  await onboard(h, 'u-kim', 'kim@example.com', 'Meta Advertisers');
  await h.directory.setActive('u-lee', false);
  await settle(h, 3_000);
  const report = await until('the report', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.length === 1 && r.items[0]!.memberId === lee));
  return { lee, may, report: report.id };
}

const withdrawnEntries = async (h: Harness, reportId: string) =>
  (await collect(h.store.list('audit', HUB))).filter((e) => e.action === 'report-withdrawn' && e.detail?.reportId === reportId);

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`a deprovisioning report emptied by a rehire (${kind.kind})`, { skip: kind.skip }, () => {
    describe('at the rehire\'s push', () => {
      let h: Harness;
      before(async () => { h = await startHarness({ store: kind, safety: { confirmDeprovisioning: true } }); });
      after(() => h.close());

      test('the report is withdrawn with why, audited once; applying it is refused; the next leaver goes on a new report', async () => {
        const { lee, may, report } = await leaverOnReport(h);
        await h.directory.createUser('u-lee-again', LEE);
        await h.directory.patchGroup('Meta Advertisers', ['u-lee-again']);
        await settle(h, 1_500);
        const now = (await h.agent.api.reports(HUB)).find((r) => r.id === report)!;
        assert.deepEqual([now.status, now.items], ['withdrawn', []], 'not an open report with nothing to decide');
        assert.match(now.withdrawnBecause ?? '', CLAIMED);
        const entries = await withdrawnEntries(h, report);
        assert.equal(entries.length, 1, JSON.stringify(entries));
        assert.equal(entries[0]!.trigger.actor, 'okta-provisioning', 'who: the push that assigned the rehire');
        assert.equal(entries[0]!.outcome, 'ok');
        assert.match(entries[0]!.why, new RegExp(`deprovisioning report ${report} withdrawn before an owner applied it: every item taken out`));
        assert.match(entries[0]!.why, CLAIMED);
        await assert.rejects(h.agent.api.applyReport(report, 'all', owner), new RegExp(`report ${report} was withdrawn before an owner applied it .*nothing was queued`));
        assert.equal((await h.agent.api.reports(HUB)).find((r) => r.id === report)?.status, 'withdrawn');

        await h.directory.setActive('u-may', false);
        await settle(h, 3_000);
        const next = await until('the next report', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === may)));
        assert.notEqual(next.id, report, 'the next leaver is not added to the withdrawn report');
        assert.equal(next.status, 'open');
        assert.ok(inMeta(h, lee), 'the rehire keeps the seat');
      });
    });

    describe('applied before the rehire\'s push is dispatched', () => {
      let h: Harness;
      before(async () => { h = await startHarness({ store: kind, safety: { confirmDeprovisioning: true } }); });
      after(() => h.close());

      test('the apply withdraws the report inside its transaction and is refused; nothing is queued', async () => {
        const { lee, report } = await leaverOnReport(h);
        // The rehire's account as the SCIM server stores it, its outbox entry not dispatched yet.
        const at = new Date().toISOString();
        await h.store.transact((tx) => { tx.put('directoryUsers', HUB, 'u-lee-again', { hubId: HUB, id: 'u-lee-again', userName: LEE, active: true, email: LEE, emails: [LEE], scim: {}, created: at, lastModified: at, version: 1 }); });
        await assert.rejects(h.agent.api.applyReport(report, 'all', owner), new RegExp(`report ${report} was withdrawn before an owner applied it \\(every item taken out.*u-lee-again`));
        const now = (await h.agent.api.reports(HUB)).find((r) => r.id === report)!;
        assert.deepEqual([now.status, now.items], ['withdrawn', []], 'the withdrawal is committed, not marked applied');
        const entries = await withdrawnEntries(h, report);
        assert.equal(entries.length, 1);
        assert.equal(entries[0]!.trigger.actor, owner.actor, 'who: the owner whose apply found it empty');
        assert.ok(!(await collect(h.store.list('audit', HUB))).some((e) => e.action === 'apply-report'));
        await settle(h, 1_500);
        assert.ok(inMeta(h, lee));
        assert.ok(!(await collect(h.store.list('tasks', HUB))).some((t) => t.kind === 'remove-member'), 'no removal queued');
      });
    });
  });
}
