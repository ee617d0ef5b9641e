import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { parseConfig } from '../../config/load.ts';
import { createAgent } from '../agent.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { requestReconcile } from '../check-for-updates/request.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';

const ENV = { SCIM_TOKEN: 'scim-token-config-edit-0123456789', APP_TOKEN: 'app-token-config-edit-0123456789' };
const at = '2026-12-04T01:00:00.000Z';

/** The hub's config: its advertisers' team mapped from `group` (the IdP's group is "Meta Advertisers") with `appRole`. */
const configOf = (group: string, appRole: string) => parseConfig(`hubs:
  - id: main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:APP_TOKEN }
    scim: { tokens: [env:SCIM_TOKEN] }
    checkForUpdates: { onConnect: false }
    safety: { settleSeconds: 0, removalThresholdPercent: 20, confirmDeprovisioning: false }
    teams:
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - { group: ${group}, appRole: ${appRole} }
`, '/etc/hubwarden/hubwarden.yaml', ENV);

const ADVERTISERS = 8;

const cases = [
  {
    name: 'a mistyped group ("Meta Advertisers" → "Meta Advertiser") holds its members\' seat removals',
    before: configOf('Meta Advertisers', 'EMPLOYEE'), after: configOf('Meta Advertiser', 'EMPLOYEE'), seatRole: 'EMPLOYEE',
    change: 'hub main, team "Meta Advertiser": added (hubRole collaborator, appRole EMPLOYEE, 0 asset grant(s))',
    action: 'remove-member', reason: 'unassigned', share: /would remove 8 of 9 member/,
  },
  {
    name: 'a team\'s app role lowered (ADMIN → EMPLOYEE) holds its members\' demotions',
    before: configOf('Meta Advertisers', 'ADMIN'), after: configOf('Meta Advertisers', 'EMPLOYEE'), seatRole: 'ADMIN',
    change: 'hub main, team "Meta Advertisers": appRole ADMIN → EMPLOYEE',
    action: 'change-member-role', reason: 'group-change', share: /would lower the app role of 8 of 9 people/,
  },
];

/**
 * An admin edits the advertisers' mapping in the config and restarts: at the next check every
 * advertiser loses their seat (a mistyped group: they are in no mapped group) or their role. The
 * removal brake halts the batch for an owner (nothing changed in the app), and the held state names
 * its cause: the approval's explanation, its `approval-requested` entry and each held person's
 * `pending` entry name the config revision that changed the hub's rules (its SHA-256 and
 * `config-changed` entry), as the change's own entry does once it runs (operations/config-cause.ts).
 * Before, they said only "held for approval (removalThresholdPercent 20%: seat removals)": an owner
 * deciding the approval, or reading one person's trail, was not led to the edit that caused it.
 */
for (const c of cases) {
  test(`${c.name} for approval, naming the config edit`, async () => {
    const store = new MemoryStore();
    const called: string[] = [];
    const connector = {
      id: 'fake',
      removeMember: async (id: string) => { called.push(`remove ${id}`); return 'done' as const; },
      changeMemberRole: async (id: string) => { called.push(`role ${id}`); return 'done' as const; },
    } as unknown as HubConnector;
    const run = async (config: ReturnType<typeof configOf>, work?: () => Promise<void>) => {
      const agent = createAgent({ config, store, connectorFor: () => connector, log: { debug() {}, info() {}, warn() {}, error() {} }, auditFile: false, auditConfig: true });
      await agent.start();
      await work?.();
      await agent.idle();
      await agent.stop(0);
    };
    await run(c.before);
    await store.transact(async (tx) => {
      const user = (id: string, email: string) => ({ hubId: 'main', id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });
      const ids: string[] = [];
      for (let i = 0; i < ADVERTISERS; i++) {
        tx.put('directoryUsers', 'main', `u-${i}`, user(`u-${i}`, `p${i}@example.com`));
        tx.put('appMembers', 'main', `m-${i}`, { hubId: 'main', id: `m-${i}`, email: `p${i}@example.com`, role: c.seatRole, firstSeenAt: at, lastSeenAt: at });
        ids.push(`u-${i}`);
      }
      tx.put('directoryUsers', 'main', 'u-admin', user('u-admin', 'owner@example.com'));
      tx.put('appMembers', 'main', 'm-admin', { hubId: 'main', id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
      tx.put('directoryGroups', 'main', 'g-adv', { hubId: 'main', id: 'g-adv', displayName: 'Meta Advertisers', members: ids.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 });
      tx.put('directoryGroups', 'main', 'g-admins', { hubId: 'main', id: 'g-admins', displayName: 'Meta Admins', members: [{ value: 'u-admin' }], scim: {}, created: at, lastModified: at, version: 1 });
      tx.put('appImports', 'main', 'main', { hubId: 'main', id: 'main', complete: true, completedAt: at });
    });

    await run(c.after, () => store.transact(async (tx) => { await requestReconcile(tx, 'main', { type: 'schedule' }, 'check for updates'); }));

    assert.deepEqual(called, [], 'nothing changed in the app before an owner approves');
    const edit = (await queryAudit(store, { action: 'config-changed' })).items.find((e) => e.detail?.sha256 === c.after.sha256);
    assert.ok(edit, 'the edit is audited');
    assert.ok((edit.detail?.changes as string[]).includes(c.change), JSON.stringify(edit.detail?.changes));
    const revision = { sha256: c.after.sha256, at: edit.at, auditSeq: edit.seq };
    const named = new RegExp(`hub rules of config sha256 ${c.after.sha256.slice(0, 12)}, changed ${edit.at} \\(config-changed entry seq ${edit.seq}\\)`);

    const [approval, ...others] = await collect(store.list('approvals', 'main'));
    assert.equal(others.length, 0);
    assert.equal(approval!.status, 'pending');
    assert.match(approval!.explanation, c.share);
    assert.match(approval!.explanation, named, 'the owner deciding the approval is told which edit it comes from');
    const [asked, ...more] = (await queryAudit(store, { hubId: 'main', action: 'approval-requested' })).items;
    assert.equal(more.length, 0);
    assert.equal(asked!.why, approval!.explanation);
    assert.deepEqual(asked!.detail?.config, revision);

    const held = (await queryAudit(store, { hubId: 'main', action: c.action })).items;
    assert.deepEqual(held.map((e) => e.subject?.email).sort(), Array.from({ length: ADVERTISERS }, (_, i) => `p${i}@example.com`));
    for (const e of held) {
      assert.equal(e.outcome, 'pending');
      assert.match(e.why, /held for approval/);
      assert.match(e.why, named, `${e.subject?.email}'s held change names the config edit`);
      assert.deepEqual(e.detail?.config, revision);
      assert.equal(e.detail?.reason, c.reason);
    }
  });
}
