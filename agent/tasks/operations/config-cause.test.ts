import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnector } from '../../../connectors/sdk/connector.ts';
import { parseConfig } from '../../../config/load.ts';
import { createAgent } from '../../agent.ts';
import { queryAudit } from '../../audit/audit-query.ts';
import { planHub } from '../../plan/plan-hub.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { enqueueOperation } from './enqueue-operation.ts';

const ENV = { SCIM_TOKEN: 'scim-token-config-cause-0123456789', APP_TOKEN: 'app-token-config-cause-0123456789' };
const at = '2026-12-04T01:00:00.000Z';

const configOf = (advertisers: boolean, comment = 'hubwarden') => parseConfig(`# ${comment}
hubs:
  - id: main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:APP_TOKEN }
    scim: { tokens: [env:SCIM_TOKEN] }
    checkForUpdates: { onConnect: false }
    teams:
      - { group: Admins, hubRole: owner, appRole: ADMIN }
${advertisers ? '      - { group: Advertisers, appRole: EMPLOYEE }\n' : ''}`, '/etc/hubwarden/hubwarden.yaml', ENV);

/**
 * An admin removes the Advertisers team from the config and restarts: Bob, in that group only,
 * loses his seat at the next check. The removal was audited under that check, and nothing in its
 * entry led to the `config-changed` entry recording the edit: "why was Bob removed" stopped at
 * "unassigned". It now names the config revision that last changed the hub's rules, as that entry
 * names it (SHA-256, time, seq); a later restart whose edit leaves the teams alone (a comment, a
 * brake) still names the edit that did.
 */
test("a removal the hub's rules decided names the config-changed entry of the edit that last changed them", async () => {
  const store = new MemoryStore();
  const removed: string[] = [];
  const connector = { id: 'fake', removeMember: async (id: string) => { removed.push(id); return 'done' as const; } } as unknown as HubConnector;
  const run = async (config: ReturnType<typeof configOf>, work?: (agent: ReturnType<typeof createAgent>) => Promise<void>) => {
    const agent = createAgent({ config, store, connectorFor: () => connector, log: { debug() {}, info() {}, warn() {}, error() {} }, auditFile: false, auditConfig: true });
    await agent.start();
    await work?.(agent);
    await agent.idle();
    await agent.stop(0);
  };
  await run(configOf(true));
  await store.transact(async (tx) => {
    tx.put('directoryUsers', 'main', 'u-bob', { hubId: 'main', id: 'u-bob', userName: 'bob@example.com', active: true, email: 'bob@example.com', emails: ['bob@example.com'], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('directoryGroups', 'main', 'g-adv', { hubId: 'main', id: 'g-adv', displayName: 'Advertisers', members: [{ value: 'u-bob' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', 'main', 'm-bob', { hubId: 'main', id: 'm-bob', email: 'bob@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', 'main', 'main', { hubId: 'main', id: 'main', complete: true, completedAt: at });
  });
  const edited = configOf(false);
  await run(edited);
  // Restarted after a comment-only edit (no config-changed entry): the removal runs under it.
  const restarted = configOf(false, 'a comment');
  await run(restarted, async () => {
    const hub = restarted.file.hubs[0]!;
    const removal = (await planHub(store, hub)).operations.find((o) => o.kind === 'remove-member' && o.memberId === 'm-bob');
    assert.equal(removal?.reason, 'unassigned');
    await store.transact((tx) => enqueueOperation(tx, { hub, op: removal!, trigger: { type: 'schedule' } }));
  });
  assert.deepEqual(removed, ['m-bob']);
  const changes = (await queryAudit(store, { action: 'config-changed' })).items;
  assert.equal(changes.length, 2);
  const edit = changes.find((e) => e.detail?.sha256 === edited.sha256)!;
  assert.deepEqual(edit.detail?.changes, ['hub main, team "Advertisers": removed (was hubRole collaborator, appRole EMPLOYEE, 0 asset grant(s))']);
  const [entry] = (await queryAudit(store, { action: 'remove-member' })).items;
  assert.equal(entry?.outcome, 'ok');
  assert.deepEqual(entry.detail?.config, { sha256: edited.sha256, at: edit.at, auditSeq: edit.seq });
  assert.match(entry.why, new RegExp(`\\(unassigned; hub rules of config sha256 ${edited.sha256.slice(0, 12)}, changed ${edit.at} \\(config-changed entry seq ${edit.seq}\\)\\)$`));
});
