/**
 * The member-related part of the agent's API (agent/api.ts): the members table, an owner's
 * decisions, check for updates on demand, and each hub's health and member counts for
 * `hubs()` / `hub()`. The lead wires it into the Agent.
 */
import type { LoadedConfig } from '../../config/load.ts';
import type { HubConfigFile } from '../../config/schema.ts';
import type { AgentApi, HubHealth, MemberDecision, MemberStatus, MemberView, PersonChangeOptions, TaskView } from '../api.ts';
import { requestCheckForUpdates, requestReconcile } from '../check-for-updates/request.ts';
import { createCheckForUpdatesHandler, type CheckForUpdatesHandlerOptions } from '../check-for-updates/handler.ts';
import { startCheckSchedules, type CheckSchedule } from '../check-for-updates/schedule.ts';
import { checkRunsOf, type CheckRunRecord } from '../check-for-updates/check-run.ts';
import { startWatchdog, type Watchdog } from '../health/watchdog.ts';
import type { TaskHandler } from '../tasks/handler.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { hubHealth, type HealthPolicy } from '../health/hub-health.ts';
import type { Store, Transaction } from '../store/store.ts';
import { toTaskView } from '../tasks/task-record.ts';
import { exempt, unexempt, matchToDirectoryUser, registerGuest, unmatch, actorOf, type StageOutcome } from './member-decisions.ts';
import { AgentError } from '../agent-error.ts';
import { MembersIndex } from './members-index.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';
import { removeAsOwner } from './owner-removal.ts';

export interface MemberServiceOptions {
  config: Pick<LoadedConfig, 'file'>;
  store: Store;
  log: { info(msg: string, meta?: object): void; warn(msg: string, meta?: object): void; error(msg: string, meta?: object): void };
  clock?: () => Date;
  healthPolicy?: HealthPolicy;
  /** Write-back after each check for updates (agent/writeback `createWriteback`). */
  writeback?: CheckForUpdatesHandlerOptions['writeback'];
  /** Graph calls made so far by a hub's connector (fed by the connector context's onCall). */
  graphCalls?: CheckForUpdatesHandlerOptions['graphCalls'];
}

export type MemberService = Pick<AgentApi, 'members' | 'member' | 'matchMember' | 'unmatchMember' | 'exemptMember' | 'unexemptMember' | 'removeMember' | 'registerGuest' | 'checkForUpdates'> & {
  health(hubId: string): Promise<HubHealth | undefined>;
  memberCounts(hubId: string): Promise<Record<MemberStatus, number> | undefined>;
  /** Run summaries of the hub's checks for updates, newest first (CLI, dashboard). */
  checkRuns(hubId: string, limit?: number): Promise<CheckRunRecord[]>;
  /** The `check-for-updates` task handler, for the agent's runner (createAgent's `members.handlers`). */
  handlers: TaskHandler[];
  /** Node-cron schedules per hub, first imports of hubs never imported, and the health watchdog. */
  start(o: { connectorFor: (hubId: string) => HubConnector | undefined; watchdogIntervalMs?: number }): Promise<void>;
  stop(): Promise<void>;
  close(): void;
};

export function createMemberService({ config, store, log, clock = () => new Date(), healthPolicy, writeback, graphCalls }: MemberServiceOptions): MemberService {
  const hubs = new Map(config.file.hubs.map((h) => [h.id, h]));
  // Also defines the directory indexes owners' decisions match their rows by (member-decisions.ts).
  const index = new MembersIndex(store, () => hubs, clock);
  // The pending approvals and open reports an exemption and a check for updates read (safety/held-indexes.ts).
  defineHeldIndexes(store);
  let schedule: CheckSchedule | undefined;
  let watchdog: Watchdog | undefined;

  const hubOf = (hubId: string): HubConfigFile => {
    const hub = hubs.get(hubId);
    if (!hub) throw new AgentError('not-found', `no hub "${hubId}" in the config`);
    return hub;
  };
  const viewOf = async (hubId: string, memberId: string): Promise<MemberView> => {
    const view = await index.get(hubId, memberId);
    if (!view) throw new AgentError('not-found', `hub ${hubId}: no member "${memberId}"`);
    return view;
  };
  /** Stages an owner's decision and the reconcile pass it calls for, in one transaction. */
  /**
   * Stages an owner's decision and the reconcile it implies in one transaction. A stage that
   * returns a refusal (a brake, audited in `tx` as failed) commits that entry alone and it is thrown.
   */
  const decide = async (hubId: string, memberId: string, trigger: Trigger, why: string, stage: (tx: Transaction, hub: HubConfigFile, now: Date) => Promise<StageOutcome>, options?: PersonChangeOptions): Promise<MemberDecision> => {
    const hub = hubOf(hubId);
    const staged = await store.transact(async (tx) => {
      // The caller's check first, so it and the decision commit together (api.ts PersonChangeOptions).
      await options?.within?.(tx);
      const now = clock();
      const out = await stage(tx, hub, now);
      if (!out) await requestReconcile(tx, hubId, trigger, why);
      return out;
    });
    if (staged && 'refused' in staged) throw staged.refused;
    // The same decision was in force already (a retry): nothing was written; the row as it is.
    if (staged) return { ...(await viewOf(hubId, memberId)), alreadyDone: true, detail: staged.unchanged };
    log.info(`members: hub ${hubId}: ${why}`, { hubId, memberId, actor: actorOf(trigger) });
    return viewOf(hubId, memberId);
  };

  return {
    async members(hubId, query) {
      hubOf(hubId);
      return (await index.query(hubId, query))!;
    },
    async member(hubId, memberId) {
      return hubs.has(hubId) ? index.get(hubId, memberId) : undefined;
    },
    matchMember(hubId, memberId, input, trigger, options) {
      return decide(hubId, memberId, trigger, `${memberId} matched to ${input?.directoryUserId}`, (tx, hub, now) => matchToDirectoryUser(tx, hub, memberId, input ?? {}, trigger, now), options);
    },
    unmatchMember(hubId, memberId, trigger, options) {
      return decide(hubId, memberId, trigger, `${memberId} un-matched`, (tx, hub, now) => unmatch(tx, hub, memberId, trigger, now), options);
    },
    exemptMember(hubId, memberId, input, trigger, options) {
      return decide(hubId, memberId, trigger, `${memberId} exempted`, (tx, hub, now) => exempt(tx, hub, memberId, input ?? {}, trigger, now), options);
    },
    unexemptMember(hubId, memberId, trigger, options) {
      return decide(hubId, memberId, trigger, `${memberId}'s exemption ended`, (tx, hub, now) => unexempt(tx, hub, memberId, trigger, now), options);
    },
    async registerGuest(hubId, input, trigger) {
      const hub = hubOf(hubId);
      await store.transact(async (tx) => {
        if (!(await registerGuest(tx, hub, input ?? {}, trigger, clock()))) await requestReconcile(tx, hubId, trigger, 'guest registered');
      });
    },
    async removeMember(hubId, memberId, trigger, options): Promise<TaskView> {
      const hub = hubOf(hubId);
      const task = await removeAsOwner(store, hub, memberId, trigger, clock, options);
      log.info(`members: hub ${hubId}: ${task.summary} queued`, { hubId, memberId, taskId: task.id });
      return toTaskView(task);
    },
    async checkForUpdates(hubId, trigger) {
      hubOf(hubId);
      const task = await store.transact((tx) => requestCheckForUpdates(tx, hubId, trigger, clock()));
      return toTaskView(task);
    },
    async health(hubId) {
      const hub = hubs.get(hubId);
      return hub ? hubHealth(store, hubId, clock(), healthPolicy, hub.checkForUpdates.schedule ?? false) : undefined;
    },
    async checkRuns(hubId, limit = 20) {
      return (await checkRunsOf(store, hubId)).slice(0, limit) as CheckRunRecord[];
    },
    async memberCounts(hubId) {
      return hubs.has(hubId) ? index.counts(hubId) : undefined;
    },
    handlers: [createCheckForUpdatesHandler({ ...(writeback ? { writeback } : {}), ...(graphCalls ? { graphCalls } : {}) })],
    async start({ connectorFor, watchdogIntervalMs }) {
      schedule ??= await startCheckSchedules({ store, hubs: config.file.hubs, log });
      watchdog ??= startWatchdog({ store, hubs: config.file.hubs, connectorFor, log, clock, ...(writeback ? { writeback } : {}), ...(watchdogIntervalMs ? { intervalMs: watchdogIntervalMs } : {}) });
      void watchdog.runOnce();
    },
    async stop() {
      watchdog?.stop();
      await schedule?.stop();
      watchdog = undefined;
      schedule = undefined;
    },
    close() {
      index.close();
    },
  };
}
