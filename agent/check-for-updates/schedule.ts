/**
 * Scheduled checks for updates: one node-cron job per hub with `checkForUpdates.schedule`. The
 * job only enqueues the task (deduped per hub, see request.ts); the agent's workers run it, so a
 * slow import never overlaps the next tick and a restart loses nothing.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { HubConfigFile } from '../../config/schema.ts';
import type { Store } from '../store/store.ts';
import { requestCheckForUpdates, requestFirstImports } from './request.ts';

export interface CheckSchedule {
  /** Hub id → cron expression actually scheduled. */
  readonly scheduled: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  store: Store;
  hubs: readonly HubConfigFile[];
  log: { info(msg: string, meta?: object): void; warn(msg: string, meta?: object): void; error(msg: string, meta?: object): void };
  /** Also enqueue the first import of hubs never imported (default true). */
  firstImports?: boolean;
}

/** A bad expression is a config error that names the hub, caught before anything is scheduled. */
export function validateSchedules(hubs: readonly HubConfigFile[]): string[] {
  return hubs
    .filter((h) => h.checkForUpdates.schedule !== undefined && !cron.validate(h.checkForUpdates.schedule))
    .map((h) => `hubs.${h.id}.checkForUpdates.schedule: "${h.checkForUpdates.schedule}" is not a valid cron expression`);
}

export async function startCheckSchedules(options: ScheduleOptions): Promise<CheckSchedule> {
  const problems = validateSchedules(options.hubs);
  if (problems.length > 0) throw new Error(`check for updates: ${problems.join('; ')}`);
  const jobs: ScheduledTask[] = [];
  const scheduled = new Map<string, string>();
  for (const hub of options.hubs) {
    const expression = hub.checkForUpdates.schedule;
    if (!expression) continue;
    const job = cron.schedule(expression, async () => {
      try {
        const task = await options.store.transact((tx) => requestCheckForUpdates(tx, hub.id, { type: 'schedule', detail: expression }));
        options.log.info(`check for updates: hub ${hub.id}: scheduled run queued`, { hubId: hub.id, taskId: task.id, schedule: expression });
      } catch (err) {
        options.log.error(`check for updates: hub ${hub.id}: could not queue the scheduled run: ${err instanceof Error ? err.message : String(err)}`, { hubId: hub.id });
      }
    }, { name: `check-for-updates:${hub.id}`, noOverlap: true });
    jobs.push(job);
    scheduled.set(hub.id, expression);
  }
  if (options.firstImports !== false) {
    for (const task of await requestFirstImports(options.store, options.hubs)) {
      options.log.info(`check for updates: hub ${task.hubId}: never imported; first import queued`, { hubId: task.hubId, taskId: task.id });
    }
  }
  return {
    scheduled,
    async stop() {
      for (const job of jobs) await job.destroy();
    },
  };
}
