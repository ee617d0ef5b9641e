import type { DirectoryGroupRecord } from '../../agent/desired-state/directory-records.ts';
import type { Store, Transaction } from '../../agent/store/store.ts';
import type { HubRequest } from './context.ts';

/**
 * What one request asks of a group: reads and checks through `tx`, throwing that request's own
 * error (a version mismatch, an unknown member, a taken name), writing nothing; returns the group
 * the request leads to from `current`.
 */
export type Decide = (tx: Transaction, current: DirectoryGroupRecord) => Promise<DirectoryGroupRecord>;
/** Stages one request's change from `before` to `after` (the record and its outbox entry). */
export type Stage = (tx: Transaction, h: HubRequest, before: DirectoryGroupRecord, after: DirectoryGroupRecord) => void | Promise<void>;

/** Reads a request will make, asked for before the turn decides (they go with the group's read). */
export type Prefetch = (tx: Transaction) => Promise<unknown>;

interface Turn { h: HubRequest; decide: Decide; prefetch?: Prefetch; resolve: (group: DirectoryGroupRecord) => void; reject: (err: unknown) => void }

/** Per store: the requests waiting for each group (`hub\0id`) while one of its transactions runs. */
const queues = new WeakMap<Store, Map<string, Turn[]>>();

/**
 * Updates of one group, in turns: the first runs at once; those that arrive while it runs wait
 * and then go together, in arrival order, in one transaction. Okta sends a group's membership in
 * chunks at once (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/), and
 * each chunk read, rewrote and committed the whole group in its own transaction, one after
 * another: the SCIM import's slowest writes were the last chunks of a 1,000-member group waiting
 * their turn.
 *
 * Each request keeps its own answer: it is decided against the group as the requests before it
 * in the turn left it, a request that fails (its If-Match, an unknown member) fails alone and
 * changes nothing, and each change gets its own outbox entry with its own trigger (the audit trail
 * stays one entry per request). If the transaction itself fails (the store), every request in it
 * fails with that error, as each would have on its own. Within one process only: replicas still
 * meet at commit (the store checks what each read).
 */
export function updateInTurn(h: HubRequest, id: string, load: (tx: Transaction) => Promise<DirectoryGroupRecord>, decide: Decide, stage: Stage, prefetch?: Prefetch): Promise<DirectoryGroupRecord> {
  let byGroup = queues.get(h.store);
  if (!byGroup) queues.set(h.store, (byGroup = new Map()));
  const key = `${h.hubId}\u0000${id}`;
  return new Promise((resolve, reject) => {
    const turn = { h, decide, prefetch, resolve, reject };
    const queued = byGroup.get(key);
    if (queued) {
      queued.push(turn);
      return;
    }
    byGroup.set(key, [turn]);
    void takeTurns(h.store, byGroup, key, h.hubId, id, load, stage);
  });
}

async function takeTurns(store: Store, byGroup: Map<string, Turn[]>, key: string, hubId: string, id: string, load: (tx: Transaction) => Promise<DirectoryGroupRecord>, stage: Stage): Promise<void> {
  for (;;) {
    const turns = byGroup.get(key)!;
    if (turns.length === 0) {
      byGroup.delete(key);
      return;
    }
    byGroup.set(key, []); // arrivals from now on wait for the next turn
    type Answer = { group: DirectoryGroupRecord } | { error: unknown };
    let answers: Answer[];
    try {
      answers = await store.transact(async (tx) => {
        // The requests' own reads (the users their members name) are asked for with the group's:
        // one round trip, where each request deciding in turn made one more.
        let [current] = await Promise.all([load(tx), ...turns.map((t) => t.prefetch?.(tx))]);
        const out: Answer[] = [];
        for (const t of turns) {
          let next: DirectoryGroupRecord;
          try {
            next = await t.decide(tx, current);
          } catch (error) {
            out.push({ error });
            continue;
          }
          if (next !== current) {
            await stage(tx, t.h, current, next);
            current = next;
          }
          out.push({ group: current });
        }
        return out;
        // On PostgreSQL the store queues this process's transactions that name the group.
      }, { writes: [['directoryGroups', hubId, id]] });
    } catch (err) {
      for (const t of turns) t.reject(err);
      continue;
    }
    turns.forEach((t, n) => {
      const a = answers[n]!;
      if ('error' in a) t.reject(a.error);
      else t.resolve(a.group);
    });
  }
}
