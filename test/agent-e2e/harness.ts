/** An agent wired to the Meta emulator through the real Meta connector, for end-to-end tests. */
import { createAgent, type Agent } from '../../agent/agent.ts';
import { checkForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import type { Store } from '../../agent/store/store.ts';
import { MEMORY_STORE, type SuiteStore } from '../suite-stores.ts';
import { configSchema, type ConfigFile } from '../../config/schema.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { createMetaEmulator, SANDBOX, type MetaEmulator, type MetaEmulatorOptions } from '../../connectors/meta-business/emulator/index.ts';
import { Directory } from './directory.ts';
import express from 'express';
import { listenOn } from '../../connectors/sdk/listen.ts';

export const HUB = 'meta-main';
export const silent = { debug() {}, info() {}, warn() {}, error() {} };

export function hubConfig(safety: Record<string, unknown> = {}): ConfigFile {
  return configSchema.parse({
    hubs: [{
      id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId },
      teams: [
        { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
        { group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }] },
      ],
      safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false, ...safety },
    }],
  });
}

export interface Harness {
  emulator: MetaEmulator;
  /** The emulator's base URL (changes made by hand in Meta go there). */
  url: string;
  agent: Agent;
  store: Store;
  directory: Directory;
  close(): Promise<void>;
}

/**
 * `store`: the store kind the agent runs on (test/suite-stores.ts), opened here and closed by `close`; memory by default.
 * `front`: a handler every call to the emulator passes first (a test that changes the world at a
 * chosen point of a read); it calls `next()` to have the emulator answer.
 */
export async function startHarness(o: { safety?: Record<string, unknown>; emulator?: MetaEmulatorOptions; store?: SuiteStore; token?: string; config?: ConfigFile; front?: express.RequestHandler } = {}): Promise<Harness> {
  const emulator = createMetaEmulator(o.emulator);
  const server = o.front ? await listenOn(express().use(o.front, emulator.handler), 0, '127.0.0.1') : await emulator.listen(0);
  const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: o.token ?? SANDBOX.token, graphBaseUrl: server.url }, { log: silent });
  const { store, dispose } = await (o.store ?? MEMORY_STORE).open();
  const agent = createAgent({
    config: o.config ?? hubConfig(o.safety), store, connectorFor: () => connector, log: silent, handlers: [checkForUpdatesHandler], auditFile: false,
    runner: { backoffBaseMs: 20, backoffMaxMs: 200, leaseMs: 2_000 },
  });
  await agent.start();
  return {
    emulator, url: server.url, agent, store, directory: new Directory(store, HUB),
    async close() {
      await agent.stop(500);
      await server.close();
      await dispose();
    },
  };
}

/**
 * Polls `probe` until it answers, failing after `ms`. The default is generous (as browser-kit's):
 * a full `npm test` runs files side by side on two cores. A condition that never comes true
 * still fails; it only fails later.
 */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * What a fixed `ms` sleep between two `idle()`s left done, without sleeping out the rest of `ms`
 * once nothing more is due in it: every task the runner has due within `ms` (the settle pass a
 * change scheduled, 1 s in hubConfig; the deprovisioning gather, 2 s; a backoff; and whatever those
 * queue, due within `ms` too) is waited for and run. A task due later was not run by the sleep
 * either. The runner's index learns of a task at its commit (a local notification), and `idle`
 * waits for those, so a pass scheduled before this call is seen.
 */
export async function settle(h: { agent: Agent }, ms = 1_500): Promise<void> {
  const end = Date.now() + ms;
  await h.agent.idle();
  for (;;) {
    const due = h.agent.runner.nextDueAt();
    if (due === undefined || due > end) return;
    await new Promise((r) => setTimeout(r, Math.max(due - Date.now(), 0) + 5));
    await h.agent.idle();
  }
}

/** Runs a check for updates of `hubId` (import + reconcile) and waits for both, the import at most `ms`. */
export async function checkForUpdates(h: { agent: Agent }, hubId = HUB, ms = 10_000): Promise<void> {
  const t = await h.agent.api.checkForUpdates(hubId, { type: 'admin', actor: 'e2e' });
  await until(`check for updates ${t.id}`, async () => { const v = await h.agent.api.task(t.id); return v && (v.status === 'completed' || v.status === 'failed') ? v : undefined; }, ms);
  const done = (await h.agent.api.task(t.id))!;
  if (done.status !== 'completed') throw new Error(`check for updates failed: ${done.lastError?.message}`);
  // And its reconcile pass: a pass still planning when a test pushes someone plans them too, under
  // the check's trigger (seen on PostgreSQL under load: Jane's invite audited as the admin's).
  await h.agent.idle();
}

export const invitePosts = (e: MetaEmulator, email: string) =>
  e.calls.filter((c) => c.method === 'POST' && c.path === `/${SANDBOX.businessId}/business_users` && String(c.body.email).toLowerCase() === email);

/** Pushes a user into a group, waits for the invite, accepts it in the emulator and imports. */
export async function onboard(h: Harness, userId: string, email: string, group: string, options: { import?: boolean } = {}): Promise<string> {
  await h.directory.createUser(userId, email);
  await h.directory.patchGroup(group, [userId]);
  const invite = await until(`invite of ${email}`, () => h.emulator.control.state().invites.find((i) => i.email === email && i.status === 'PENDING'));
  const { memberId } = h.emulator.control.acceptInvite(invite.id);
  if (options.import !== false) await checkForUpdates(h);
  return memberId;
}
