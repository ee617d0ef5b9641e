/**
 * The scale benchmark's data (test/bench/scale.ts), as the store holds it after months in
 * production: per hub, `users` directory users as Okta pushes them (SCIM record shape of
 * scim-server/scim/users.ts), a mapped group "Meta Advertisers" with the people holding a seat or
 * an invite, 25 unmapped department groups covering everyone, the app snapshot a check for updates
 * of the generated Meta business wrote (read through the real connector, so its records have the
 * product's shapes), and the matching of its rows.
 *
 * People of a hub, by index i: i < members are the business's members (`member<i>@bench.example`,
 * the emulator's generated fixture) except every tenth, who is not in the directory (their member
 * stays unmatched); the next `invites` are the pending invitees (`invitee<k>@bench.example`); the
 * rest are directory users with no seat and no mapped group (`person<i>@bench.example`).
 */
import type { DirectoryGroupRecord, DirectoryUserRecord } from '../../../agent/desired-state/directory-records.ts';
import type { AppImportRecord } from '../../../agent/app-state/records.ts';
import type { AppReading } from '../../../agent/check-for-updates/read-app.ts';
import { buildSnapshot, type HubSnapshot } from '../../../agent/check-for-updates/snapshot.ts';
import { rowsOf } from '../../../agent/matching/hub-matching.ts';
import { matchMembers } from '../../../agent/matching/match-members.ts';
import type { CollectionName } from '../../../agent/store/collections.ts';

export interface HubShape {
  hubId: string;
  users: number;
  members: number;
  invites: number;
}

/** One record to load: collection, partition (the hub), id, value. */
export type Row = [collection: CollectionName, partition: string, id: string, record: unknown];

const AT = '2026-01-05T09:00:00.000Z';
const DEPARTMENTS = 25;
export const MAPPED_GROUP = 'Meta Advertisers';

/** A SCIM id (a UUID, as hubwarden assigns) that is the same at every run. */
export function userId(hubIndex: number, i: number): string {
  return `5c1e0000-0000-4000-8000-${(hubIndex * 10_000_000 + i).toString(16).padStart(12, '0')}`;
}

export function emailOf(shape: HubShape, i: number): string {
  if (i < shape.members) return i % 10 === 0 ? `person${i}@bench.example` : `member${i}@bench.example`;
  if (i < shape.members + shape.invites) return `invitee${i - shape.members}@bench.example`;
  return `person${i}@bench.example`;
}

/** In the mapped group: a member found in the directory, or an invitee. */
export function seated(shape: HubShape, i: number): boolean {
  return (i < shape.members && i % 10 !== 0) || (i >= shape.members && i < shape.members + shape.invites);
}

function directoryUser(shape: HubShape, hubIndex: number, i: number): DirectoryUserRecord {
  const email = emailOf(shape, i);
  const id = userId(hubIndex, i);
  const externalId = `00u${(hubIndex * 10_000_000 + i).toString(36).padStart(10, '0')}`;
  const name = { givenName: 'Person', familyName: `Number ${i}` };
  const scim = { userName: email, name, emails: [{ primary: true, value: email, type: 'work' }], displayName: `Person ${i}`, locale: 'en-US', externalId, active: true, title: `Department ${i % DEPARTMENTS}` };
  return { hubId: shape.hubId, id, userName: email, externalId, active: true, displayName: `Person ${i}`, email, emails: [email], scim, created: AT, lastModified: AT, version: 1 };
}

function group(shape: HubShape, id: string, displayName: string, memberIds: string[]): DirectoryGroupRecord {
  return { hubId: shape.hubId, id, displayName, externalId: `00g${id}`, members: memberIds.map((value) => ({ value })), scim: {}, created: AT, lastModified: AT, version: 1 };
}

/** The directory users of a hub, in batches (a million records never sit in memory at once). */
export function* directoryBatches(shape: HubShape, hubIndex: number, batch: number): Generator<Row[]> {
  for (let from = 0; from < shape.users; from += batch) {
    const rows: Row[] = [];
    for (let i = from; i < Math.min(shape.users, from + batch); i++) {
      const u = directoryUser(shape, hubIndex, i);
      rows.push(['directoryUsers', shape.hubId, u.id, u]);
    }
    yield rows;
  }
}

/** The hub's groups: the mapped one and the departments. */
export function groupRows(shape: HubShape, hubIndex: number): Row[] {
  const mapped: string[] = [];
  const departments: string[][] = Array.from({ length: DEPARTMENTS }, () => []);
  for (let i = 0; i < shape.users; i++) {
    const id = userId(hubIndex, i);
    if (seated(shape, i)) mapped.push(id);
    departments[i % DEPARTMENTS]!.push(id);
  }
  const rows: Row[] = [[ 'directoryGroups', shape.hubId, `g-${hubIndex}-mapped`, group(shape, `g-${hubIndex}-mapped`, MAPPED_GROUP, mapped) ]];
  departments.forEach((ids, k) => rows.push(['directoryGroups', shape.hubId, `g-${hubIndex}-d${k}`, group(shape, `g-${hubIndex}-d${k}`, `Department ${k}`, ids)]));
  return rows;
}

/** The store key of a snapshot record (as agent/check-for-updates/snapshot-store.ts writes it). */
function idOf(collection: CollectionName, record: any): string {
  if (collection === 'appAssets') return `${record.type}:${record.id}`;
  if (collection === 'appPartners') return record.businessId;
  if (collection === 'appAssignments' || collection === 'partnerUsers') return record.key;
  return record.id;
}

/** The hub's app snapshot from a reading of the business, its import record, and its rows' matches. */
export function snapshotRows(shape: HubShape, hubIndex: number, reading: AppReading): Row[] {
  const empty: HubSnapshot = { members: [], invites: [], systemUsers: [], assets: [], assignments: [], partners: [], partnerUsers: [] };
  const snapshot = buildSnapshot({ hubId: shape.hubId, reading, previous: empty, startedAt: AT, now: AT });
  const rows: Row[] = [];
  const sections: Array<[CollectionName, readonly unknown[]]> = [
    ['appMembers', snapshot.members], ['appInvites', snapshot.invites], ['appSystemUsers', snapshot.systemUsers], ['appAssets', snapshot.assets],
    ['appAssignments', snapshot.assignments], ['appPartners', snapshot.partners], ['partnerUsers', snapshot.partnerUsers],
  ];
  for (const [collection, records] of sections) for (const r of records) rows.push([collection, shape.hubId, idOf(collection, r), r]);
  const counts = {
    members: snapshot.members.length, invites: snapshot.invites.length, systemUsers: snapshot.systemUsers.length, assets: snapshot.assets.length,
    assignments: snapshot.assignments.length, partners: snapshot.partners.length, partnerUsers: snapshot.partnerUsers.length,
  };
  const imported: AppImportRecord = { hubId: shape.hubId, id: shape.hubId, complete: true, completedAt: AT, startedAt: AT, taskId: `t-import-${hubIndex}`, counts, assetTypes: reading.assetTypes };
  rows.push(['appImports', shape.hubId, shape.hubId, imported]);
  // Matching needs the directory users having the rows' emails: those are the first members + invites.
  const identities = [];
  for (let i = 0; i < Math.min(shape.users, shape.members + shape.invites); i++) identities.push({ id: userId(hubIndex, i), emails: [emailOf(shape, i)] });
  const { matches } = matchMembers({ hubId: shape.hubId, now: AT, rows: rowsOf(snapshot), directoryUsers: identities, guests: [], exemptions: [], decisions: [] });
  for (const m of matches) rows.push(['memberMatches', shape.hubId, m.memberId, m]);
  return rows;
}
