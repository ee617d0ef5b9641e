/**
 * The `check-for-updates` task (agent/tasks/handler.ts). It runs even while the hub is paused:
 * a successful full read proves the credential works again, so it also resumes the hub, unless
 * the credential check of the same run says the credential is not valid: an app may let a
 * credential read and not write (TikTok: a STANDARD member reads the Business Center, only an
 * ADMIN may change it, https://business-api.tiktok.com/portal/docs?id=1822009220448257), and
 * resuming then only sends writes the app refuses, pausing the hub again after every check.
 *
 * Order: credential check (health, never fatal) → full read and snapshot in one transaction
 * (run-check.ts) → one reconcile pass for the hub as a child task → write-back of match and
 * exemption state to the identity provider, when wired (H6's `createWriteback`).
 */
import { appendAudit } from '../audit/audit-log.ts';
import { checkHubCredential } from '../health/credential-check.ts';
import type { TaskHandler } from '../tasks/handler.ts';
import { resumeHub } from '../tasks/hub-state.ts';
import { CHECK_FOR_UPDATES_KIND, requestReconcile } from './request.ts';
import { runCheckForUpdates } from './run-check.ts';
import { errorText } from '../log/logger.ts';

export interface CheckForUpdatesHandlerOptions {
  /** Write-back of each directory user's standing to the IdP (agent/writeback), run after the import. */
  writeback?: { run(hubId: string): Promise<unknown> };
  /** Graph calls made so far by a hub's connector (a counter fed by the connector context's `onCall`). */
  graphCalls?: (hubId: string) => number;
}

export function createCheckForUpdatesHandler(options: CheckForUpdatesHandlerOptions = {}): TaskHandler {
  return {
    kind: CHECK_FOR_UPDATES_KIND,
    runsWhilePaused: true,
    async run(task, ctx) {
      const { hub, connector } = ctx;
      if (!hub || !connector) {
        return { status: 'failed', error: { kind: 'invalid-argument', message: `check for updates: task ${task.id}: hub "${task.hubId}" is not configured` } };
      }
      // What this check vouches for: the credential as of now (a pause recorded later stands).
      const checkedAt = ctx.now();
      const credential = await checkHubCredential(ctx.store, hub.id, connector, checkedAt);
      // A check that could not run (checkError) says nothing new: the read decides, as before.
      const credentialRefused = credential !== undefined && !credential.valid && !credential.checkError;
      const counter = options.graphCalls;
      const run = await runCheckForUpdates({
        store: ctx.store,
        hub,
        connector,
        trigger: task.trigger,
        taskId: task.id,
        now: () => ctx.now(),
        log: ctx.log,
        progress: (done, total, phase) => ctx.progress(done, total, phase),
        signal: ctx.signal,
        ...(counter ? { graphCalls: () => counter(hub.id) } : {}),
        enqueueReconcile: (tx) => requestReconcile(tx, hub.id, task.trigger, `after check for updates ${task.id}`, (t, input) => ctx.enqueueChild(t, input)),
      });

      let writeback: string | undefined;
      if (options.writeback) {
        // Write-back failures are the IdP's problem, reported by write-back; the import stands.
        try {
          const report = await options.writeback.run(hub.id);
          // A run that stopped part way (a refused credential, the IdP failing update after update)
          // answers with a report, not an error: it failed all the same.
          if (report && typeof report === 'object' && 'stopped' in report && typeof report.stopped === 'string') throw new Error(report.stopped);
          writeback = report && typeof report === 'object' && 'deferred' in report && report.deferred ? 'left to the run another replica was making, which runs again for it' : writebackOutcome(report);
        } catch (err) {
          writeback = `failed: ${errorText(err)}`;
          ctx.log.warn(`check for updates: hub ${hub.id}: write-back ${writeback}`, { hubId: hub.id, taskId: task.id });
          // The whole run stopped (a refused credential, attributes the IdP refuses): nobody's
          // standing reached the IdP. Audited with the check, not only logged.
          ctx.audit({ action: 'writeback.run', outcome: 'failed', why: `write-back to ${hub.identityProvider ?? 'the identity provider'} after check for updates of hub ${hub.id} stopped: ${errorText(err)}; tried again after the next check`, detail: { idp: hub.identityProvider } });
        }
      }

      return {
        status: 'completed',
        result: { counts: run.counts, changes: run.changeCounts, matches: run.matchCounts, otherSeats: run.otherSeats ?? 0, graphCalls: run.graphCalls, durationMs: run.durationMs, reconcileTaskId: run.reconcileTaskId, ...(writeback ? { writeback } : {}) },
        commit: async (tx) => {
          if (!credentialRefused && await resumeHub(tx, hub.id, { pausedBy: checkedAt })) {
            appendAudit(tx, { hubId: hub.id, trigger: task.trigger, taskId: task.id, action: 'hub-resumed', outcome: 'ok', why: `hub ${hub.id} resumed: a full check for updates succeeded with its credential` });
          }
        },
      };
    },
  };
}

/** The handler without write-back or call metering (the lead wires those in with the factory). */
export const checkForUpdatesHandler: TaskHandler = createCheckForUpdatesHandler();

/**
 * `done` when every person's standing reached the IdP (or had already); otherwise how many did not.
 * A run that went through everyone but failed some (a 5xx, a person the IdP refuses: mastered
 * elsewhere, not found) is not stopped, yet saying `done` told an Okta Workflows flow or an admin
 * reading the task that the IdP holds everyone's standing when it does not.
 */
export function writebackOutcome(report: unknown): string {
  const r = (report && typeof report === 'object' ? report : {}) as { failed?: unknown; problems?: unknown };
  const failed = typeof r.failed === 'number' ? r.failed : 0;
  const refused = Array.isArray(r.problems) ? r.problems.length : 0;
  if (failed === 0 && refused === 0) return 'done';
  const parts = [
    ...(failed > 0 ? [`${failed} update(s) failed in this run`] : []),
    ...(refused > 0 ? [`${refused} person(s) refused by the identity provider (tried again when their values change or after a day)`] : []),
  ];
  return `done with failures: ${parts.join('; ')}; see writeback.update in the audit log`;
}
