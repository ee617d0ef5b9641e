/**
 * Reading and replacing a hub's app snapshot in the store. The replacement is staged in the
 * caller's transaction together with `appImports.complete = true`, so readers see either the
 * previous complete snapshot or the new one, never a mix.
 */
import type { AppImportRecord } from '../app-state/records.ts';
import type { CollectionName } from '../store/collections.ts';
import { collect, type ReadView, type Transaction } from '../store/store.ts';
import type { HubSnapshot } from './snapshot.ts';

/**
 * The hub's whole snapshot (a check for updates compares and replaces all of it). Read through the
 * transaction that replaces it, so what is compared is what is replaced.
 */
export async function readSnapshot(view: ReadView, hubId: string): Promise<HubSnapshot> {
  return {
    members: await collect(view.list('appMembers', hubId)),
    invites: await collect(view.list('appInvites', hubId)),
    systemUsers: await collect(view.list('appSystemUsers', hubId)),
    assets: await collect(view.list('appAssets', hubId)),
    assignments: await collect(view.list('appAssignments', hubId)),
    partners: await collect(view.list('appPartners', hubId)),
    partnerUsers: await collect(view.list('partnerUsers', hubId)),
  };
}

/**
 * The rows the agent removed while a reading that started at `startedAt` ran (their removal is
 * newer than the reading: a listing of them is stale). Removals older than the reading are
 * reflected in it, so they are forgotten here, in the transaction that saves the reading.
 */
export async function removedDuring(tx: Transaction, hubId: string, startedAt: string): Promise<Set<string>> {
  const removed = new Set<string>();
  for await (const r of tx.list('appRemovals', hubId)) {
    if (r.removedAt >= startedAt) removed.add(r.rowId);
    else tx.delete('appRemovals', hubId, r.rowId);
  }
  return removed;
}

/**
 * Replaces one collection's partition: deletes the records of `previous` that are gone, puts
 * every new or changed one. `previous` is what the partition held when the transaction began
 * (read through it, before anything was staged). An unchanged record is not written again: an
 * hourly check of a 10,000-member hub where nothing changed writes nothing (on PostgreSQL that was
 * 25,000 rows and their index entries rewritten for nothing).
 */
function replace(tx: Transaction, collection: CollectionName, hubId: string, previous: readonly unknown[], records: readonly unknown[]): void {
  const keep = new Set(records.map((r) => idOf(collection, r)));
  const before = new Map<string, string>();
  for (const old of previous) {
    const id = idOf(collection, old);
    if (!keep.has(id)) tx.delete(collection, hubId, id);
    else before.set(id, JSON.stringify(old));
  }
  for (const record of records) {
    const id = idOf(collection, record);
    // A record with no stored one is put without its JSON made for a comparison (a first check puts 25,000).
    const stored = before.get(id);
    if (stored === undefined || stored !== JSON.stringify(record)) tx.put(collection, hubId, id, record as never);
  }
}

/** The store key of a snapshot record (see agent/app-state/records.ts). */
function idOf(collection: CollectionName, record: any): string {
  if (collection === 'appAssets') return `${record.type}:${record.id}`;
  if (collection === 'appPartners') return record.key ?? record.businessId; // no key: an earlier release's record
  if (collection === 'appAssignments' || collection === 'partnerUsers') return record.key;
  return record.id;
}

/**
 * `complete` is false only when the connector cannot list members or invites at all: a snapshot
 * without them is no picture to plan removals (or invites) from.
 */
export function writeSnapshot(tx: Transaction, hubId: string, previous: HubSnapshot, snapshot: HubSnapshot, done: Omit<AppImportRecord, 'hubId' | 'id' | 'complete'>, complete = true): AppImportRecord {
  replace(tx, 'appMembers', hubId, previous.members, snapshot.members);
  replace(tx, 'appInvites', hubId, previous.invites, snapshot.invites);
  replace(tx, 'appSystemUsers', hubId, previous.systemUsers, snapshot.systemUsers);
  replace(tx, 'appAssets', hubId, previous.assets, snapshot.assets);
  replace(tx, 'appAssignments', hubId, previous.assignments, snapshot.assignments);
  replace(tx, 'appPartners', hubId, previous.partners, snapshot.partners);
  replace(tx, 'partnerUsers', hubId, previous.partnerUsers, snapshot.partnerUsers);
  const record: AppImportRecord = { ...done, hubId, id: hubId, complete };
  tx.put('appImports', hubId, hubId, record);
  return record;
}

export function lastImport(view: ReadView, hubId: string): Promise<Readonly<AppImportRecord> | undefined> {
  return view.get('appImports', hubId, hubId);
}
