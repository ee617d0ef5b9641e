/**
 * A hub with write-back to the Okta emulator, wired as compose.ts wires it (connector, write-back
 * through okta-sdk-nodejs, the check-for-updates handler on a task runner, the member service),
 * for the end-to-end suites of each app (check-for-updates-e2e/writeback, tiktok-e2e). The app's
 * emulator is the caller's: it passes the URL and the hub's config builder.
 */
import assert from 'node:assert/strict';
import { createCheckForUpdatesHandler } from '../agent/check-for-updates/handler.ts';
import { createHubConnector } from '../agent/hub-connector.ts';
import { childLogger } from '../agent/log/logger.ts';
import { createMemberService, type MemberService } from '../agent/members/member-service.ts';
import type { Store } from '../agent/store/store.ts';
import type { TaskRecord } from '../agent/tasks/task-record.ts';
import { TaskRunner, type TaskRunnerOptions } from '../agent/tasks/task-runner.ts';
import { createWriteback } from '../agent/writeback/writeback.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { HubConfigFile } from '../config/schema.ts';
import type { HubConnector } from '../connectors/sdk/connector.ts';
import { createOktaEmulator, type OktaEmulator, type OktaReadings } from './emulators/okta/okta-emulator.ts';
import type { SuiteStore } from './suite-stores.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const owner = { type: 'admin' as const, actor: 'owner@sandbox.example' };

export interface WritebackWorld {
  store: Store;
  okta: OktaEmulator;
  runner: TaskRunner;
  service: MemberService;
  /** Runs a check for updates as the hub's owner and waits for it; asserts it completed. */
  check(): Promise<TaskRecord>;
  /** A directory user's status, role and exemption as written back to their Okta profile. */
  profileOf(dirId: string): unknown[];
  close(): Promise<void>;
}

export async function startWritebackWorld(o: {
  kind: SuiteStore;
  hubId: string;
  appUrl: string;
  hubConfig: (appUrl: string, oktaUrl: string) => LoadedConfig;
  /** The Okta API token the hub's config names. */
  oktaToken: string;
  /** Directory user id → the Okta login the emulator holds. */
  logins: Record<string, string>;
  seedDirectory: (store: Store) => Promise<void>;
  runner?: Partial<Pick<TaskRunnerOptions, 'handlers' | 'backoffBaseMs' | 'backoffMaxMs'>>;
  /** Builds the hub's connector; createHubConnector (agent/hub-connector.ts) by default. */
  connector?: (hub: HubConfigFile, config: LoadedConfig) => HubConnector;
  /** How the Okta emulator reads what Okta's documentation cited in docs/writeback.md leaves open (okta-emulator.ts OktaReadings). */
  oktaReadings?: OktaReadings;
}): Promise<WritebackWorld> {
  const closers: Array<() => Promise<void>> = [];
  const opened = await o.kind.open();
  const store = opened.store;
  closers.push(opened.dispose);
  await o.seedDirectory(store);
  const okta = createOktaEmulator({ token: o.oktaToken, users: Object.values(o.logins).map((login) => ({ login: login.toLowerCase() })), ...(o.oktaReadings ? { readings: o.oktaReadings } : {}) });
  const oktaServer = await okta.listen();
  closers.push(oktaServer.close);
  const config = o.hubConfig(o.appUrl, oktaServer.url);
  const hub = config.file.hubs[0]!;
  const connector = o.connector ? o.connector(hub, config) : createHubConnector(hub, config, { log: silent });
  const writeback = createWriteback({ config, store, log: childLogger('writeback-e2e') });
  const runner = new TaskRunner({
    store, log: silent, hubs: () => new Map([[o.hubId, hub]]), connectorFor: () => connector,
    ...o.runner,
    handlers: [createCheckForUpdatesHandler({ writeback }), ...(o.runner?.handlers ?? [])],
  });
  await runner.start();
  const service = createMemberService({ config, store, log: silent });
  const attr = (field: string) => `hubwarden_${o.hubId.replace(/-/g, '_')}_${field}`;
  return {
    store, okta, runner, service,
    async check() {
      const task = await service.checkForUpdates(o.hubId, owner);
      await runner.idle();
      const done = (await store.get('tasks', o.hubId, task.id))!;
      assert.equal(done.status, 'completed', JSON.stringify(done.lastError));
      return done;
    },
    profileOf(dirId) {
      const user = okta.state().users.find((u) => String(u.profile.login).toLowerCase() === o.logins[dirId]!.toLowerCase())!;
      return [user.profile[attr('status')], user.profile[attr('role')], user.profile[attr('exemption')]];
    },
    async close() {
      await runner.stop();
      service.close();
      for (const close of closers.reverse()) await close();
    },
  };
}
