/** Shared by audit-completeness*.test.ts: the agent as the server builds it, and the check of what a path audited. */
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import { createAgent } from '../../agent/agent.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { createMemberService } from '../../agent/members/member-service.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { MEMORY_STORE } from '../suite-stores.ts';
import type { ConfigFile } from '../../config/schema.ts';
import { Directory } from './directory.ts';
import { checkForUpdates, HUB, hubConfig, silent, until, type Harness } from './harness.ts';

/**
 * Every change to people's access and to hubwarden's own governance state is audited with who
 * (the trigger's type and actor), what (the action, the hub and the person or row), why and the
 * outcome; a change refused by a brake or that failed is audited as such, never as done and never
 * left out. One row per path that changes something: each drives the path through the agent the
 * server runs (member service wired, as scim-server/compose.ts does) and checks the entries it
 * wrote. Paths over HTTP (SCIM, hooks, the dashboard adapter) reach these same agent calls with
 * their own trigger; their own tests check the trigger (test/admin/hook-audit.test.ts,
 * scim-server/web/acting-agent.ts).
 */
export const owner: Trigger = { type: 'admin', actor: 'owner@example.com' };
export const signedIn: Trigger = { type: 'dashboard', actor: 'manager@example.com' };
export const oktaHook: Trigger = { type: 'okta-event-hook', idp: 'okta', actor: 'okta-admin@example.com', detail: 'event e-1' };
export const leaver: Trigger = { type: 'entra-lifecycle', idp: 'entra', actor: 'workflow:wf-1', detail: 'task t-1 result r-1' };

/**
 * Armed by a row: `refusal`, the identity provider refuses the write-back run; `stop`, the run
 * stops part way and says why in its report (agent/writeback `stopped`).
 */
export const writebackFault: { refusal?: Error; stop?: string } = {};

/** The agent as the server builds it (member service included), on the Meta emulator. */
export async function startWorld(safety: Record<string, unknown> = {}, config: ConfigFile = hubConfig(safety)): Promise<Harness> {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0);
  const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log: silent });
  const { store, dispose } = await MEMORY_STORE.open();
  // Write-back to the IdP (agent/writeback), as a double: a row arms `writebackFault.refusal` to have the IdP refuse a run.
  const writeback = { async run() { if (writebackFault.refusal) throw writebackFault.refusal; return writebackFault.stop ? { hubId: HUB, written: 2, failed: 8, stopped: writebackFault.stop } : undefined; } };
  const members = createMemberService({ config: { file: config }, store, log: silent, writeback });
  const agent = createAgent({ config, store, connectorFor: () => connector, log: silent, members, auditFile: false, runner: { backoffBaseMs: 20, backoffMaxMs: 200, leaseMs: 2_000 } });
  await agent.start();
  const h: Harness = {
    emulator, url: server.url, agent, store, directory: new Directory(store, HUB),
    async close() { await agent.stop(500); await server.close(); await dispose(); },
  };
  await checkForUpdates(h);
  return h;
}

export const isMember = (h: Harness, id: string) => h.emulator.control.state().users.some((u) => u.id === id);
export const finished = (h: Harness, id: string) => until(`task ${id} finished`, async () => {
  const t = await h.agent.api.task(id);
  return t && ['completed', 'failed', 'cancelled'].includes(t.status) ? t : undefined;
}, 20_000);

export interface Expected {
  action: string;
  outcome: AuditEntry['outcome'];
  trigger: Trigger;
  email?: string;
  memberId?: string;
  directoryUserId?: string;
  /** The task that wrote it, where the case starts several of one action (a failed task's retry is audited too). */
  taskId?: string;
  /** The hub (default HUB); null: an entry about every hub (an offboarding). */
  hubId?: string | null;
  /** Says why: the group, the rule, the brake, the reason given. */
  why: RegExp;
  /** The same change must not also be audited with this outcome (a refusal recorded as done). */
  not?: AuditEntry['outcome'];
}

export interface Case {
  name: string;
  /** Runs the path; answers what it must have audited. */
  run(h: Harness): Promise<Expected[]>;
}

async function entriesSince(h: Harness, seq: number): Promise<AuditEntry[]> {
  return (await h.agent.api.audit({ limit: 1000 })).items.filter((e) => e.seq > seq);
}

export async function checkCase(h: Harness, c: Case): Promise<void> {
  const mark = (await h.agent.api.audit({ limit: 1 })).items[0]?.seq ?? 0;
  const expected = await c.run(h);
  await h.agent.idle();
  const seen = await entriesSince(h, mark);
  const show = () => seen.map((e) => `${e.action}/${e.outcome} ${e.subject?.email ?? ''} [${e.trigger.type}:${e.trigger.actor ?? ''}] ${e.why}`).join('\n  ');
  for (const x of expected) {
    const same = (e: AuditEntry) => e.action === x.action && (x.email === undefined || e.subject?.email === x.email) && (x.memberId === undefined || e.subject?.memberId === x.memberId) && (x.taskId === undefined || e.taskId === x.taskId);
    // Several entries of one action (a push's two writes): the one whose why matches, else the first, to show.
    const candidates = seen.filter((e) => same(e) && e.outcome === x.outcome);
    const entry = candidates.find((e) => x.why.test(e.why)) ?? candidates[0];
    assert.ok(entry, `${c.name}: no ${x.action}/${x.outcome} entry for ${x.email ?? x.memberId ?? '(hub)'}; audited:\n  ${show()}`);
    // Who
    assert.equal(entry.trigger.type, x.trigger.type, `${c.name}: ${x.action}: trigger type; audited:\n  ${show()}`);
    assert.equal(entry.trigger.actor, x.trigger.actor, `${c.name}: ${x.action}: actor`);
    if (x.trigger.idp) assert.equal(entry.trigger.idp, x.trigger.idp, `${c.name}: ${x.action}: idp`);
    // What
    assert.equal(entry.hubId, x.hubId === null ? undefined : x.hubId ?? HUB, `${c.name}: ${x.action}: hub`);
    if (x.email) assert.equal(entry.subject?.email, x.email);
    if (x.memberId) assert.equal(entry.subject?.memberId, x.memberId);
    if (x.directoryUserId) assert.equal(entry.subject?.directoryUserId, x.directoryUserId, `${c.name}: ${x.action}: directory user`);
    // Why
    assert.match(entry.why, x.why, `${c.name}: ${x.action}: why`);
    assert.ok(entry.at && entry.seq > mark);
    if (x.not) assert.equal(seen.filter((e) => same(e) && e.outcome === x.not).length, 0, `${c.name}: ${x.action} also audited as ${x.not}:\n  ${show()}`);
  }
  // No secret in any entry (the emulator's token is the one secret this world has).
  assert.ok(!JSON.stringify(seen).includes(SANDBOX.token), `${c.name}: an entry holds the app token`);
}
