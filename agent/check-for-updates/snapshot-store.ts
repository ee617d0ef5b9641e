/**
 * Reading and replacing a hub's app snapshot in the store. The replacement is staged in the
 * caller's transaction together with `appImports.complete = true`, so readers see either the
 * previous complete snapshot or the new one, never a mix (design brief idea 4).
 */
import type { AppImportRecord } from '../app-state/records.ts';
import type { CollectionName } from '../store/collections.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import type { HubSnapshot } from './snapshot.ts';

export function readSnapshot(view: ReadView, hubId: string): HubSnapshot {
  return {
    members: [...view.list('appMembers', hubId)],
    invites: [...view.list('appInvites', hubId)],
    systemUsers: [...view.list('appSystemUsers', hubId)],
    assets: [...view.list('appAssets', hubId)],
    assignments: [...view.list('appAssignments', hubId)],
    partners: [...view.list('appPartners', hubId)],
    partnerUsers: [...view.list('partnerUsers', hubId)],
  };
}

/** Replaces one collection's partition: puts every new record, deletes the ones gone. */
function replace<C extends CollectionName>(tx: Transaction, collection: C, hubId: string, records: ReadonlyArray<{ id: string; record: any }>): void {
  const keep = new Set(records.map((r) => r.id));
  const stale: string[] = [];
  for (const old of tx.list(collection, hubId)) {
    const id = idOf(collection, old);
    if (!keep.has(id)) stale.push(id);
  }
  for (const id of stale) tx.delete(collection, hubId, id);
  for (const { id, record } of records) tx.put(collection, hubId, id, record);
}

/** The store key of a snapshot record (see agent/app-state/records.ts). */
function idOf(collection: CollectionName, record: any): string {
  if (collection === 'appAssets') return `${record.type}:${record.id}`;
  if (collection === 'appPartners') return record.businessId;
  if (collection === 'appAssignments' || collection === 'partnerUsers') return record.key;
  return record.id;
}

export function writeSnapshot(tx: Transaction, hubId: string, snapshot: HubSnapshot, done: Omit<AppImportRecord, 'hubId' | 'id' | 'complete'>): AppImportRecord {
  const entries = <T>(collection: CollectionName, records: readonly T[]) => records.map((record) => ({ id: idOf(collection, record), record }));
  replace(tx, 'appMembers', hubId, entries('appMembers', snapshot.members));
  replace(tx, 'appInvites', hubId, entries('appInvites', snapshot.invites));
  replace(tx, 'appSystemUsers', hubId, entries('appSystemUsers', snapshot.systemUsers));
  replace(tx, 'appAssets', hubId, entries('appAssets', snapshot.assets));
  replace(tx, 'appAssignments', hubId, entries('appAssignments', snapshot.assignments));
  replace(tx, 'appPartners', hubId, entries('appPartners', snapshot.partners));
  replace(tx, 'partnerUsers', hubId, entries('partnerUsers', snapshot.partnerUsers));
  const record: AppImportRecord = { ...done, hubId, id: hubId, complete: true };
  tx.put('appImports', hubId, hubId, record);
  return record;
}

export function lastImport(view: ReadView, hubId: string): Readonly<AppImportRecord> | undefined {
  return view.get('appImports', hubId, hubId);
}
