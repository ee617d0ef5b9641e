/**
 * End to end through the agent runtime (agent/agent.ts createAgent) with the member service
 * wired in as the lead wires it: a newly connected hub gets its first check for updates at start,
 * the agent's reconcile pass runs after it, and the AgentApi answers members, hub health and
 * member counts from it. Real Meta connector over the emulator.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createAgent, type Agent } from '../../agent/agent.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import type { Store } from '../../agent/store/store.ts';
import { createGraphCallMeter } from '../../agent/check-for-updates/graph-call-meter.ts';
import { HUB, sandboxHub } from './business.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('member service wired into the agent', () => {
  let agent: Agent;
  let service: MemberService;
  let store: Store;
  let close: () => Promise<void>;
  let emulator: ReturnType<typeof createMetaEmulator>;

  before(async () => {
    let config;
    ({ emulator, close, config, store } = await sandboxHub());
    const meter = createGraphCallMeter();
    const connector = createHubConnector(config.file.hubs[0], config, { log: silent, onCall: meter.onCall(HUB) });
    const connectorFor = () => connector;
    service = createMemberService({ config, store, log: silent, graphCalls: meter.calls });
    agent = createAgent({ config, store, connectorFor, log: silent, members: service, auditFile: false, runner: { backoffBaseMs: 600_000 } });
    await agent.start();
    await service.start({ connectorFor }); // first import of the never-imported hub, watchdog
  });
  after(async () => {
    await service.stop();
    await agent.stop();
    service.close();
    await close();
  });

  test('first import at start, reconcile after it, members and health through the AgentApi', async () => {
    await agent.idle();
    const checks = (await agent.api.tasks({ hubId: HUB, kind: 'check-for-updates' })).items;
    assert.equal(checks.length, 1);
    assert.equal(checks[0].status, 'completed', JSON.stringify(checks[0].lastError));
    assert.equal(checks[0].trigger.type, 'agent');
    const reconcile = (await agent.api.tasks({ hubId: HUB, kind: 'reconcile-hub' })).items;
    assert.equal(reconcile.length, 1);
    assert.equal(reconcile[0].parentId, checks[0].id);
    assert.equal(reconcile[0].status, 'completed', JSON.stringify(reconcile[0].lastError));

    const summary = (await agent.api.hub(HUB))!;
    assert.equal(summary.health.credential?.valid, true);
    assert.equal(summary.health.lastCheckForUpdates?.taskId, checks[0].id);
    assert.equal(summary.memberCounts.guest, 2); // Northwind's two people on act_111
    assert.ok(summary.memberCounts.onboarded >= 5, JSON.stringify(summary.memberCounts));
    const guests = await agent.api.members(HUB, { status: 'guest' });
    assert.deepEqual(guests.items.map((g) => g.partnerBusinessId), [SANDBOX.partner.businessId, SANDBOX.partner.businessId]);
    assert.ok((checks[0].result as { graphCalls: number }).graphCalls > 0);
  });

  test('an expired invite is re-sent once, never again on later checks', async () => {
    // The first reconcile re-sent the late joiner's expired invite (issue: re-sent once).
    const invitesOf = () => emulator.control.state().invites.filter((i) => i.email === SANDBOX.expiredInviteEmail);
    assert.equal(invitesOf().filter((i) => i.status === 'PENDING').length, 1);
    const sent = invitesOf().length;
    for (let round = 0; round < 2; round++) {
      await agent.api.checkForUpdates(HUB, { type: 'cli' });
      await agent.idle();
    }
    assert.equal(invitesOf().length, sent, 'no further invite for the same person');
    assert.equal(invitesOf().filter((i) => i.status === 'PENDING').length, 1);
    const rows = (await agent.api.members(HUB, { search: SANDBOX.expiredInviteEmail })).items;
    assert.deepEqual(rows.map((r) => [r.kind, r.status]), [['invite', 'invited']]);
  });

  test('asking again while a check is queued gives the same task', async () => {
    const a = await agent.api.checkForUpdates(HUB, { type: 'cli' });
    const b = await agent.api.checkForUpdates(HUB, { type: 'admin', actor: 'x' });
    assert.equal(a.id, b.id);
    await agent.idle();
    assert.equal((await agent.api.task(a.id))?.status, 'completed');
  });
});
