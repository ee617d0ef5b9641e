import type { LoadedConfig } from '../config/load.ts';
import { withCollections, type ConfigFile, type HubConfigFile } from '../config/schema.ts';
import type { HubConnector } from '../connectors/sdk/connector.ts';
import type { AgentApi } from './api.ts';
import { recordConfigChange, type ConfigRevision } from './audit/config-change.ts';
import { mirrorAuditToFile } from './audit/audit-log.ts';
import { auditCredentialRotations } from './audit/credential-rotation.ts';
import { withdrawHeldOfUnconfiguredHubs } from './safety/unconfigured-hubs.ts';
import type { Keyring } from './secrets/keyring.ts';
import { defineDirectoryIndexes } from './desired-state/directory-records.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import { offboardHandler } from './dispatch/offboard.ts';
import { reconcileHubHandler, reconcilePersonHandler } from './dispatch/reconcile.ts';
import { definePersonIndexes } from './plan/person-input.ts';
import { pruneScheduleRuns, runSlot, slotOf, startSlotTimer, type SlotTimer } from './schedules/run-once.ts';
import { applyRemovalsHandler } from './safety/apply-removals.ts';
import type { Store } from './store/store.ts';
import { createAgentApi, type MemberService } from './agent-api.ts';
import type { TaskHandler, TaskLog } from './tasks/handler.ts';
import { operationHandlers } from './tasks/operations/operation-handler.ts';
import { archiveFinishedTasks, FINISHED_IN_MEMORY_MS, pruneFinishedTasks } from './tasks/prune.ts';
import { TaskRunner, type TaskRunnerOptions } from './tasks/task-runner.ts';

export type { MemberService } from './agent-api.ts';

export interface AgentOptions {
  /** The loaded config (audit file path resolved against it), or the parsed file. */
  config: LoadedConfig | ConfigFile;
  store: Store;
  connectorFor: (hubId: string) => HubConnector | undefined;
  log: TaskLog;
  /** Epoch ms (tests and benchmarks run simulated time). */
  clock?: () => number;
  /** Member views, matching, exemptions, guests and check for updates (agent/members, H8). */
  members?: MemberService;
  /** More task kinds (check-for-updates, write-back…). */
  handlers?: TaskHandler[];
  /** false: no audit file (tests); default: config `audit.file`. */
  auditFile?: string | false;
  runner?: Partial<Pick<TaskRunnerOptions, 'leaseMs' | 'concurrencyPerHub' | 'requestsPerSecondPerHub' | 'localConcurrency' | 'backoffBaseMs' | 'backoffMaxMs' | 'reclaimLeasesOnStart' | 'random'>>;
  /**
   * true (the service: scim-server/compose.ts): at start, before any task runs, compare the config's
   * governance view with the one recorded in the store and audit a change once (`config-changed`,
   * audit/config-change.ts). Needs a loaded config (its path and hash); default false (tests).
   */
  auditConfig?: boolean;
  /**
   * With `auditConfig`: the key (derived from `secrets.keyFile`) credential slots' fingerprints are
   * made with, asked for at start; a secret changed behind the same secret reference is audited once
   * (`credential-rotated`, audit/credential-rotation.ts). Absent: not checked (tests).
   */
  credentialKey?: () => Keyring;
  /** Dedupe window of per-person reconciles (ms). */
  dispatchWindowMs?: number;
  /** How often finished tasks past `store.taskRetentionDays` are pruned (ms; default 6 h). */
  pruneEveryMs?: number;
  /** How often tasks finished more than a minute ago move to the archive (ms; default 15 s). */
  archiveEveryMs?: number;
  /** With `auditConfig`: how often held changes of hubs the config no longer names are withdrawn again (ms; default 10 min; safety/unconfigured-hubs.ts). */
  unconfiguredEveryMs?: number;
}

export interface Agent {
  start(): Promise<void>;
  /** Stops taking work; running tasks finish or hand their lease back (they run again at the next start). */
  stop(graceMs?: number): Promise<void>;
  api: AgentApi;
  /** Resolves when nothing is runnable now (tests, benchmarks). */
  idle(): Promise<void>;
  runner: TaskRunner;
  dispatcher: Dispatcher;
}

/** Records of schedules not claimed for this long are deleted (a hub removed from the config). */
const SCHEDULE_RUNS_KEPT_MS = 30 * 86_400_000;

function fileOf(config: LoadedConfig | ConfigFile): { file: ConfigFile; auditPath: string } {
  if ('file' in config && 'pathOf' in config) return { file: config.file, auditPath: config.pathOf(config.file.audit.file) };
  const file = config as ConfigFile;
  return { file, auditPath: file.audit.file };
}

/**
 * The agent runtime: the outbox dispatcher, the task runner with every handler,
 * the audit file mirror, and the AgentApi the server surfaces call.
 */
export function createAgent(o: AgentOptions): Agent {
  const { file, auditPath } = fileOf(o.config);
  // Claim teams carry their collection's offerDays (the agent reads teams, not collections).
  const hubMap = new Map<string, HubConfigFile>(withCollections(file).map((h) => [h.id, h]));
  const hubs = () => hubMap;
  const handlers: TaskHandler[] = [
    ...operationHandlers, reconcilePersonHandler, reconcileHubHandler, applyRemovalsHandler, offboardHandler(hubs),
    ...(o.members?.handlers ?? []), ...(o.handlers ?? []),
  ];
  // Per hub, the config revision that last changed its access rules: named in the audit entries
  // of the changes those rules cause (set at start, before the runner takes work).
  let hubRules: Record<string, ConfigRevision> = {};
  const runner = new TaskRunner({ store: o.store, handlers, hubs, connectorFor: o.connectorFor, log: o.log, clock: o.clock, ...o.runner, configRevision: (hubId) => hubRules[hubId] });
  const dispatcher = new Dispatcher({ store: o.store, hubs, log: o.log, clock: o.clock, windowMs: o.dispatchWindowMs, connectorFor: o.connectorFor });
  defineDirectoryIndexes(o.store);
  definePersonIndexes(o.store);
  const api = createAgentApi({ store: o.store, hubs, connectorFor: o.connectorFor, members: o.members, clock: o.clock ?? Date.now });
  let stopMirror: (() => Promise<void>) | undefined;
  // Retention (agent/tasks/prune.ts): at start, then every few hours; finished tasks move to the
  // on-disk archive a minute after they finish (checked every 15 s); never two sweeps at once.
  // On a store shared by replicas each sweep's slot is done by one replica (agent/schedules/run-once.ts).
  let pruneTimer: SlotTimer | undefined;
  let archiveTimer: SlotTimer | undefined;
  let unconfiguredTimer: SlotTimer | undefined;
  let pruning: Promise<void> = Promise.resolve();
  const serially = (work: () => Promise<void>) => (pruning = pruning.then(work));
  const now = () => (o.clock ?? Date.now)();
  const pruneEveryMs = o.pruneEveryMs ?? 6 * 3_600_000;
  const archiveEveryMs = o.archiveEveryMs ?? FINISHED_IN_MEMORY_MS / 4;
  const retention = async () => {
    const days = file.store.taskRetentionDays;
    const n = await pruneFinishedTasks(o.store, now() - days * 86_400_000);
    if (n > 0) o.log.info(`pruned ${n} task(s) finished more than ${days} day(s) ago (store.taskRetentionDays)`);
    await pruneScheduleRuns(o.store, now() - SCHEDULE_RUNS_KEPT_MS);
  };
  const retentionFailed = (err: unknown) => o.log.error(`task retention: ${(err as Error).message}`);
  const prune = () => serially(() => retention().catch(retentionFailed));
  const archive = () => serially(() => archiveFinishedTasks(o.store, now() - FINISHED_IN_MEMORY_MS).then(() => {}, (err) => o.log.warn(`moving finished tasks to the archive: ${(err as Error).message}`)));
  return {
    api, runner, dispatcher,
    async start() {
      const audit = o.auditFile === undefined ? auditPath : o.auditFile;
      if (audit) stopMirror = mirrorAuditToFile(o.store, audit);
      // After the mirror subscribes (the entry reaches audit.file), before the runner takes work
      // (tasks run under the new config are audited after the change that explains them).
      if (o.auditConfig && 'sha256' in o.config) {
        const recorded = await recordConfigChange(o.store, o.config);
        const entry = recorded.entry;
        hubRules = recorded.hubRules;
        if (entry) o.log.info(`config changed since the last start: audited as config-changed (${entry.subject?.label ?? ''})`);
        if (o.credentialKey && o.config.secretRefs.length > 0) {
          const rotations = await auditCredentialRotations(o.store, o.config, o.credentialKey());
          for (const e of rotations.entries) o.log.info(`credential changed since the last start: audited as credential-rotated (${e.subject?.label ?? ''})`);
          if (rotations.rekeyed) o.log.warn('credential fingerprints were made with another secrets.keyFile key: audited as secrets-key-changed and recorded anew; a credential rotated since the last start cannot be told');
        }
        // Approvals and reports of a hub this config no longer names could never be decided: withdrawn, audited,
        // at start and again every few minutes, for what replicas of the older config held there meanwhile (safety/unconfigured-hubs.ts).
        const config = o.config;
        const withdrawUnconfigured = async () => {
          const held = await withdrawHeldOfUnconfiguredHubs(o.store, new Set(hubMap.keys()), { type: 'config', actor: `config file ${config.path}`, detail: `sha256 ${config.sha256}` }, new Date(now()));
          if (held.approvals + held.reportItems > 0) o.log.warn(`hubs no longer in the config: withdrew ${held.approvals} pending approval(s) and ${held.reportItems} report item(s) held there (audited; nothing changed in any app)`);
        };
        await withdrawUnconfigured();
        unconfiguredTimer = startSlotTimer({ store: o.store, name: 'unconfigured-hubs', everyMs: o.unconfiguredEveryMs ?? 600_000, run: withdrawUnconfigured,
          onError: (err) => o.log.error(`withdrawing what is held on hubs no longer in the config: ${(err as Error).message}`), clock: now });
      }
      await runner.start();
      dispatcher.start();
      // The start-up pass counts as its slot's: a replica started in a slot another one already
      // pruned skips it (always runs on a store only this process uses).
      serially(() => runSlot(o.store, 'task-retention', slotOf(now(), pruneEveryMs), retention, { clock: now })
        .then(() => {}, retentionFailed));
      pruneTimer = startSlotTimer({ store: o.store, name: 'task-retention', everyMs: pruneEveryMs, run: prune, onError: retentionFailed, clock: now });
      archiveTimer = startSlotTimer({ store: o.store, name: 'task-archive', everyMs: archiveEveryMs, run: archive, onError: retentionFailed, clock: now });
    },
    async stop(graceMs) {
      pruneTimer?.stop();
      archiveTimer?.stop();
      unconfiguredTimer?.stop();
      await pruning;
      await dispatcher.stop();
      await runner.stop(graceMs);
      await stopMirror?.(); // the audit lines still waiting, within a short timeout (audit-file.ts)
    },
    idle: async () => {
      for (;;) {
        await dispatcher.drain();
        await runner.idle();
        if ((await o.store.partitions('outbox')).length === 0) return;
      }
    },
  };
}
