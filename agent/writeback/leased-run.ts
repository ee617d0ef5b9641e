import { randomUUID } from 'node:crypto';
import type { LoadedConfig } from '../../config/load.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { errorText, type Logger } from '../log/logger.ts';
import type { Store } from '../store/store.ts';
import type { WritebackClock } from './pacing.ts';
import { LeaseLostError, type LeaseFence } from './lease-fence.ts';
import { endRun, renewRun, takeRun } from './run-lease.ts';
import type { WritebackReport } from './writeback.ts';

export interface LeasedRunDeps {
  store: Store;
  clock: WritebackClock;
  log: Logger;
  config: LoadedConfig;
  leaseMs: number;
  /**
   * One run of the hub (writeback.ts); `halted` says why it must stop before its next person,
   * `fence` confirms the lease right before each request to the IdP (lease-fence.ts).
   */
  runNow(hubId: string, halted: () => string | undefined, fence: LeaseFence): Promise<WritebackReport>;
  /** The run asked for once a dead holder's lease lapses, queued as any run of the hub (writeback.ts `run`). */
  runAgain(hubId: string): Promise<WritebackReport>;
}

const emptyReport = (hubId: string): WritebackReport => ({ hubId, written: 0, unchanged: 0, failed: 0, skipped: 0, problems: [], waitedMs: 0, durationMs: 0 });

/**
 * Runs of a hub's write-back on a store replicas share: one at a time across them, through the
 * hub's lease (run-lease.ts). Asked while another replica runs it, this one leaves the hub to that
 * run, which runs once more after. `onlyIfAsked`: the follow-up of such a refusal, which runs only
 * if that holder died first.
 */
export function createLeasedRuns(deps: LeasedRunDeps): (hubId: string, onlyIfAsked: boolean) => Promise<WritebackReport> {
  const { store, clock, log, config, leaseMs } = deps;
  /** This process, as the holder of hubs' write-back leases. */
  const owner = `writeback-${randomUUID()}`;

  /** A run taken from a replica that held the hub and died stopped or failed: audited as a failed run. */
  function auditAskedRunFailed(hubId: string, why: string): Promise<void> {
    const idp = config.file.hubs.find((h) => h.id === hubId)?.identityProvider;
    return store.transact((tx) => {
      appendAudit(tx, {
        hubId, trigger: { type: 'agent', ...(idp ? { idp } : {}), detail: 'write-back asked for while another replica held the hub' },
        action: 'writeback.run', outcome: 'failed', detail: { idp },
        why: `write-back to ${idp ?? 'the identity provider'} of hub ${hubId}, asked for while another replica held the hub and run once its lease lapsed, stopped: ${why}; tried again after the next check for updates`,
      });
    });
  }

  return async function runLeased(hubId: string, onlyIfAsked: boolean): Promise<WritebackReport> {
    const took = await takeRun(store, hubId, owner, clock.now(), leaseMs, { onlyIfAsked });
    if (!took.taken) {
      if (took.heldUntil === undefined) return { ...emptyReport(hubId), note: 'the run asked for was done by the replica that held the hub' };
      log.info('write-back: another replica is writing back this hub; it runs again once done', { hubId });
      // Should that replica die before it runs again, this one takes the run once its lease lapses.
      // Its report reaches no caller (the check that asked already answered): a run that stops or
      // fails is audited here, as the check and the watchdog audit theirs.
      const t = setTimeout(() => {
        deps.runAgain(hubId).then((report) => (report.stopped ? auditAskedRunFailed(hubId, report.stopped) : undefined), (err: unknown) => {
          log.warn('write-back: the run asked for while another replica held the hub failed', { hubId, reason: errorText(err) });
          return auditAskedRunFailed(hubId, errorText(err));
        }).catch((err: unknown) => log.warn('write-back: auditing the failed run asked for while another replica held the hub failed', { hubId, reason: errorText(err) }));
      }, Math.max(0, took.heldUntil - clock.now()) + 50);
      t.unref();
      return { ...emptyReport(hubId), deferred: true, note: 'another replica is writing back this hub; it runs again once done, from the values then' };
    }
    const token = took.token!;
    // Lost (renewed too late, and another replica took the lapsed lease): this run stops instead
    // of writing beside the holder (the double sends the lease prevents), and never lands a value
    // it read before the holder wrote a newer one. The timer below renews the lease while the run
    // waits (pacing, a slow IdP); the fence confirms it, with this take's token, right before
    // each request leaves, since a stalled process (a GC pause) resumes its requests before its
    // timers can tell it the lease is gone.
    let lost: string | undefined;
    const lose = () => {
      if (lost) return;
      lost = 'the lease on the hub\'s run was lost (renewed too late) and another replica runs it now; the rest are written by that run';
      log.warn('write-back: the lease on the hub\'s run was lost (renewed too late); this run stops, sending nothing more', { hubId });
    };
    const fence: LeaseFence = async () => {
      if (!lost && !(await renewRun(store, hubId, owner, token, clock.now(), leaseMs))) lose();
      if (lost) throw new LeaseLostError(lost);
    };
    const renew = setInterval(() => {
      renewRun(store, hubId, owner, token, clock.now(), leaseMs).then((held) => {
        if (!held) lose();
      }, (err: unknown) => log.warn('write-back: renewing the lease on the hub\'s run failed', { hubId, reason: errorText(err) }));
    }, Math.max(10, Math.floor(leaseMs / 3)));
    renew.unref();
    let written = 0;
    try {
      for (;;) {
        const report = await deps.runNow(hubId, () => lost, fence);
        written += report.written;
        // A stopped run (credential refused) is not run again at once: the next run's trigger does.
        if (!(await endRun(store, hubId, owner, token, clock.now(), { keep: report.stopped === undefined, leaseMs }))) return { ...report, written };
        log.info('write-back: running the hub again, asked for by another replica meanwhile', { hubId });
      }
    } catch (err) {
      // Released for the next run to take at once (when the store refuses this too, the lease lapses).
      await endRun(store, hubId, owner, token, clock.now(), { keep: false }).catch(() => undefined);
      throw err;
    } finally {
      clearInterval(renew);
    }
  };
}
