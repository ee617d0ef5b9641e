/**
 * The run summary of one check for updates (collection `checkRuns`, partition = hub id, id = the
 * task id): what was read, what changed, how long it took and how many Graph calls it made.
 * Failed runs are recorded too, with the cause, so health
 * can say "last successful check" and the dashboard can show why the last one failed.
 */
import type { Trigger } from '../desired-state/delta.ts';
import type { AppImportRecord, MemberMatchRecord } from '../app-state/records.ts';
import type { CheckChanges } from './changes.ts';
import { collect, type ReadView } from '../store/store.ts';

export interface CheckRunRecord {
  hubId: string;
  /** The check-for-updates task id. */
  id: string;
  trigger: Trigger;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: 'completed' | 'failed';
  /** Calls to the provider (Graph API requests; a batch counts once) when measured, else connector reads. */
  graphCalls: number;
  counts?: AppImportRecord['counts'];
  matchCounts?: Partial<Record<MemberMatchRecord['outcome'], number>>;
  /** Rows matched as the seat or invite of a directory user who holds another on the hub (agent/members/other-seats.ts). */
  otherSeats?: number;
  changeCounts?: Record<string, number>;
  /** The changes themselves, each list cut to `CHANGE_LIST_LIMIT` entries (counts stay exact). */
  changes?: CheckChanges;
  lapsedExemptions?: string[];
  /** Rows whose exemption ended because this complete check no longer lists them, nor did the one before it (departed-exemptions.ts). */
  endedExemptions?: string[];
  partnerFailures?: Array<{ partnerBusinessId: string; assetType?: string; message: string }>;
  unreadableAssetTypes?: Array<{ type: string; message: string }>;
  /** Asset types listed only in part: their assets listed are read, the rest kept as last seen. */
  incompleteAssetTypes?: Array<{ type: string; message: string; ownership?: 'owned' | 'client' }>;
  unsupported?: string[];
  /** Sections read in full (members, invites, system users, assets, assignments, partners). */
  sectionsRead?: string[];
  /** Optional sections that could not be read, and why: the run completed without them. */
  unavailable?: Array<{ section: string; message: string }>;
  error?: { kind: string; message: string };
  /** The reconcile pass enqueued after it. */
  reconcileTaskId?: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    checkRuns: CheckRunRecord;
  }
}

export const CHANGE_LIST_LIMIT = 200;

/** Keeps the run record small at 10,000 members: lists are cut, counts are not. */
export function trimChanges(changes: CheckChanges): CheckChanges {
  const cut = <T>(list: T[]) => list.slice(0, CHANGE_LIST_LIMIT);
  return {
    compared: changes.compared,
    newMembers: cut(changes.newMembers),
    removedMembers: cut(changes.removedMembers),
    roleChanges: cut(changes.roleChanges),
    acceptedInvites: cut(changes.acceptedInvites),
    expiredInvites: cut(changes.expiredInvites),
    declinedInvites: cut(changes.declinedInvites),
    drift: cut(changes.drift),
    ...(changes.systemUserChanges ? { systemUserChanges: cut(changes.systemUserChanges) } : {}),
    ...(changes.partnerShareChanges ? { partnerShareChanges: cut(changes.partnerShareChanges) } : {}),
    ...(changes.shareBaselines ? { shareBaselines: changes.shareBaselines } : {}),
  };
}

/** Runs of a hub, newest first (at most `KEEP_RUNS` are kept per hub, so reading them all is cheap). */
export async function checkRunsOf(view: Pick<ReadView, 'list'>, hubId: string): Promise<Array<Readonly<CheckRunRecord>>> {
  // Reversed first: runs that started in the same millisecond keep newest-recorded first (stable sort).
  return (await collect(view.list('checkRuns', hubId))).reverse().sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}
