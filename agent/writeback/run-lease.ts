import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.ts';

/**
 * One write-back run of a hub at a time across replicas sharing the store (PostgreSQL). A run
 * reads what it last wrote, sends what changed and then records it; two runs of one hub side by
 * side (a check for updates on one replica, the watchdog after a lapsed exemption on another)
 * both sent the same update and audited it twice, and when they had computed different values
 * the IdP could keep the older one while the store recorded the newer one as written, so no later
 * run corrected it.
 *
 * The run holds a lease on the hub (collection `writebackRuns`, partition '', id = hub id), renewed
 * while it works. A run asked for while another replica holds it does not run: it marks the
 * record `again`, and the holder runs once more when it finishes, from values read then, so the
 * change that asked for it is written. A holder that died leaves the record: the replica that asked
 * takes it once the lease has lapsed and runs then (so the ask is not lost), as any later run
 * would (agent task leases work the same way: agent/tasks/lease.ts).
 * Within one process runs of a hub already queue behind each other (writeback.ts `run`); a store
 * only this process uses (memory, lowdb) needs no lease.
 *
 * Each take gets its own `token` (a fencing token): renewing, confirming and ending the run all
 * need owner and token, so a run whose lease lapsed and was taken (even by a later run of the same
 * process) can never count it as its own again. The holder confirms it before each call to the
 * IdP (leased-run.ts `fence`).
 */
export interface WritebackRunRecord {
  hubId: string;
  owner: string;
  /** This take of the lease (a fencing token); records written before it had none. */
  token?: string;
  /** ISO time the lease lapses unless renewed. */
  until: string;
  /** Another run was asked for while this one ran: the holder runs again. */
  again?: boolean;
}

declare module '../store/collections.ts' {
  interface Collections {
    writebackRuns: WritebackRunRecord;
  }
}

/** As agent task leases: 30 s, renewed every 10 s. */
export const WRITEBACK_LEASE_MS = 30_000;

/**
 * Takes the hub's run for `owner`. When a live run holds it, that run is asked to run again and the
 * answer is when its lease lapses unless renewed (`heldUntil`, epoch ms). `onlyIfAsked`: take it
 * only from a holder that was asked to run again and let its lease lapse (it died before it could).
 */
export function takeRun(store: Store, hubId: string, owner: string, now: number, leaseMs = WRITEBACK_LEASE_MS, o: { onlyIfAsked?: boolean } = {}): Promise<{ taken: boolean; token?: string; heldUntil?: number }> {
  return store.transact(async (tx) => {
    const held = await tx.get('writebackRuns', '', hubId);
    if (o.onlyIfAsked && !held?.again) return { taken: false };
    if (held && held.owner !== owner && Date.parse(held.until) > now) {
      if (!held.again) tx.put('writebackRuns', '', hubId, { ...held, again: true });
      return { taken: false, heldUntil: Date.parse(held.until) };
    }
    const token = randomUUID();
    tx.put('writebackRuns', '', hubId, { hubId, owner, token, until: new Date(now + leaseMs).toISOString() });
    return { taken: true, token };
  });
}

/**
 * Confirms that this take of the lease (`owner`, `token`) still holds it and extends it; false when
 * it no longer does. A lease that lapsed and nobody took is still this run's: no other run wrote
 * meanwhile, so what it read under the lease is still what it would read.
 */
export function renewRun(store: Store, hubId: string, owner: string, token: string, now: number, leaseMs = WRITEBACK_LEASE_MS): Promise<boolean> {
  return store.transact(async (tx) => {
    const held = await tx.get('writebackRuns', '', hubId);
    if (!held || held.owner !== owner || held.token !== token) return false;
    tx.put('writebackRuns', '', hubId, { ...held, until: new Date(now + leaseMs).toISOString() });
    return true;
  });
}

/**
 * Ends `owner`'s run. With `again` asked for (and `keep`), keeps the lease and resolves true: the
 * holder runs once more. Otherwise the record is deleted and it resolves false.
 */
export function endRun(store: Store, hubId: string, owner: string, token: string, now: number, o: { keep: boolean; leaseMs?: number }): Promise<boolean> {
  return store.transact(async (tx) => {
    const held = await tx.get('writebackRuns', '', hubId);
    if (!held || held.owner !== owner || held.token !== token) return false;
    if (held.again && o.keep) {
      tx.put('writebackRuns', '', hubId, { hubId, owner, token, until: new Date(now + (o.leaseMs ?? WRITEBACK_LEASE_MS)).toISOString() });
      return true;
    }
    tx.delete('writebackRuns', '', hubId);
    return false;
  });
}
