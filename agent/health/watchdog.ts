/**
 * The watchdog (issue "Check for updates", item 5): between checks for updates, every
 * `intervalMs` it re-checks each hub's app credential (so an expiring or revoked token shows in
 * health before tasks fail) and retires exemptions that lapsed (the member returns to matching,
 * with an audit entry), without waiting for the next import.
 */
import type { HubConfigFile } from '../../config/schema.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { exemptionInForce } from '../standing/exemption.ts';
import { rematchHub } from '../matching/hub-matching.ts';
import { requestReconcile } from '../check-for-updates/request.ts';
import { startSlotTimer } from '../schedules/run-once.ts';
import type { ReadView, Store } from '../store/store.ts';
import { checkHubCredential } from './credential-check.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { errorText } from '../log/logger.ts';
import { isStoreUnavailable } from '../store/store-unavailable.ts';

export interface WatchdogOptions {
  store: Store;
  hubs: readonly HubConfigFile[];
  connectorFor: (hubId: string) => HubConnector | undefined;
  log: { info?(msg: string, meta?: object): void; warn(msg: string, meta?: object): void; error(msg: string, meta?: object): void };
  /** Default: one hour. */
  intervalMs?: number;
  /** Write-back of the hub's standings to the IdP (agent/writeback), run after an exemption lapsed. */
  writeback?: { run(hubId: string): Promise<unknown> };
  clock?: () => Date;
}

export interface Watchdog {
  /** One round over every hub (also what the timer runs). */
  runOnce(): Promise<void>;
  stop(): void;
}

/** Who retires a lapsed exemption and writes it back: the watchdog. */
const LAPSED: Trigger = { type: 'agent', detail: 'watchdog: exemption lapsed' };

export function startWatchdog(options: WatchdogOptions): Watchdog {
  const clock = options.clock ?? (() => new Date());
  let running: Promise<void> | undefined;
  // While the store is unavailable every hub fails the same way: one line per round, naming how
  // many hubs were skipped, and one when a round gets through again (as the lowdb store logs a
  // refused disk), not one error per hub per round.
  let storeDown: { since: Date; rounds: number } | undefined;
  const round = async () => {
    let skipped = 0;
    let reason: string | undefined;
    for (const hub of options.hubs) {
      try {
        const connector = options.connectorFor(hub.id);
        if (connector) {
          const cred = await checkHubCredential(options.store, hub.id, connector, clock());
          if (cred && (!cred.valid || cred.missingScopes.length > 0)) {
            options.log.warn(`watchdog: hub ${hub.id}: app credential ${cred.valid ? `lacks scopes ${cred.missingScopes.join(', ')}` : `is not valid${cred.problem ? ` (${cred.problem})` : ''}`}`, { hubId: hub.id });
          }
        }
        if ((await retireLapsedExemptions(options.store, hub.id, clock())) > 0 && options.writeback) {
          // The person is no longer `exempted`: tell the IdP now, not at the next check for updates.
          try {
            const report = await options.writeback.run(hub.id);
            // A run that stopped part way answers with a report, not an error (check-for-updates/handler.ts).
            if (report && typeof report === 'object' && 'stopped' in report && typeof report.stopped === 'string') throw new Error(report.stopped);
          } catch (err) {
            options.log.warn(`watchdog: hub ${hub.id}: write-back after a lapsed exemption failed: ${err instanceof Error ? err.message : String(err)}`, { hubId: hub.id });
            // Audited too (as after a check for updates, check-for-updates/handler.ts): the IdP still shows them exempted.
            await options.store.transact((tx) => {
              appendAudit(tx, { hubId: hub.id, trigger: LAPSED, action: 'writeback.run', outcome: 'failed', detail: { idp: hub.identityProvider },
                why: `write-back to ${hub.identityProvider ?? 'the identity provider'} after an exemption lapsed on hub ${hub.id} stopped: ${errorText(err)}; tried again after the next check for updates` });
            });
          }
        }
      } catch (err) {
        if (isStoreUnavailable(err)) {
          skipped++;
          reason ??= err.reason;
          continue;
        }
        options.log.error(`watchdog: hub ${hub.id}: ${err instanceof Error ? err.message : String(err)}`, { hubId: hub.id });
      }
    }
    if (skipped > 0) {
      const first = storeDown === undefined;
      storeDown ??= { since: clock(), rounds: 0 };
      storeDown.rounds++;
      (first ? options.log.error : options.log.warn).call(options.log, `watchdog: the store is unavailable (${reason}): ${skipped} of ${options.hubs.length} hub(s) skipped this round; tried again next round`, { skipped });
    } else if (storeDown) {
      (options.log.info ?? options.log.warn).call(options.log, `watchdog: the store is available again; every hub checked (${storeDown.rounds} round(s) skipped hubs since ${storeDown.since.toISOString()})`);
      storeDown = undefined;
    }
  };
  const runOnce = () => (running ??= round().finally(() => { running = undefined; }));
  // Every replica keeps the timer; on a shared store one of them does each interval's round
  // (agent/schedules/run-once.ts), so the app sees one credential check per hour, not one per replica.
  const timer = startSlotTimer({
    store: options.store, name: 'watchdog', everyMs: options.intervalMs ?? 3_600_000, run: runOnce,
    clock: () => clock().getTime(),
    onError: (err) => options.log.error(`watchdog: ${err instanceof Error ? err.message : String(err)}`),
  });
  return { runOnce, stop: () => timer.stop() };
}

/**
 * Re-matches the hub when an exemption has lapsed; `rematchHub` deletes and audits it. The
 * matching that decides it is read through the transaction that saves it. A retired exemption
 * queues the reconcile pass an owner's unexempt queues (member-service.ts), in the same
 * transaction: until a pass runs, the row's match still said `exempted` and the plan left the seat
 * alone; the pass governs it again, its removals going through the settle window (agent/safety).
 */
export async function retireLapsedExemptions(store: Store, hubId: string, now: Date): Promise<number> {
  const nowIso = now.toISOString();
  if (!(await anyLapsed(store, hubId, now))) return 0;
  return store.transact(async (tx) => {
    const trigger = LAPSED;
    const result = await rematchHub(tx, hubId, nowIso, { trigger });
    if (result.lapsedExemptions.length > 0) await requestReconcile(tx, hubId, trigger, `${result.lapsedExemptions.length} exemption(s) lapsed`);
    return result.lapsedExemptions.length;
  });
}

async function anyLapsed(view: ReadView, hubId: string, now: Date): Promise<boolean> {
  for await (const e of view.list('exemptions', hubId)) if (!exemptionInForce(e, now)) return true;
  return false;
}
