/**
 * One check for updates of one hub: read the whole app,
 * then in ONE store transaction replace the snapshot, mark the import complete, re-run matching,
 * record what changed (run summary + audit), and ask the agent for a reconcile pass.
 *
 * Nothing is written until every page was read: a read that fails midway leaves the previous
 * complete snapshot and its `complete` flag exactly as they were, and only a failed run record
 * (with the cause) is written, so health can report it.
 *
 * The snapshot transaction reads everything that decides it (the previous snapshot, the last
 * import, the directory and decisions for matching, the runs kept) through its `tx`, and keeps no
 * effects outside it, so the store may run it again on a conflict.
 */
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { isConnectorError } from '../../connectors/sdk/connector-error.ts';
import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { countOutcomes, rematchHub, rowsOf } from '../matching/hub-matching.ts';
import { countOtherSeats } from '../members/other-seats.ts';
import { collect, type Store, type Transaction } from '../store/store.ts';
import { recordChangesInAudit } from './change-audit.ts';
import { changeCounts, findChanges } from './changes.ts';
import { trimChanges, type CheckRunRecord } from './check-run.ts';
import { readApp, type AppReading } from './read-app.ts';
import { carryDecisions, renamedRows } from './renamed-rows.ts';
import { endDepartedExemptions } from './departed-exemptions.ts';
import { formerIdsOf, formerRowRenames, withCurrentIds } from './former-ids.ts';
import { buildSnapshot } from './snapshot.ts';
import { shareReading } from './share-baseline.ts';
import { assignsTriedOn, defineAssignTriedIndex } from '../app-state/grant-maker.ts';
import { definitionOf } from '../hub-connector.ts';
import { lastImport, readSnapshot, removedDuring, writeSnapshot } from './snapshot-store.ts';
import { errorText } from '../log/logger.ts';
import { recordDriftHolds } from '../safety/drift-holds.ts';
import { retireDeparted, type RetireInput } from '../dispatch/retire-departed.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';

/** Runs kept per hub; older ones are dropped when a new one is recorded. */
export const KEEP_RUNS = 50;

export interface CheckInput {
  store: Store;
  hub: HubConfigFile;
  connector: HubConnector;
  trigger: Trigger;
  /** The check-for-updates task id (the run record's id). */
  taskId: string;
  now: () => Date;
  log: { info(msg: string, meta?: object): void; warn(msg: string, meta?: object): void };
  progress?: (done: number, total: number, phase: string) => void;
  signal?: AbortSignal;
  /** Graph calls made so far by this hub's connector (from the connector context's `onCall`). */
  graphCalls?: () => number;
  /** Stages the reconcile pass that follows a completed import (the agent's plan, H5). */
  enqueueReconcile?: (tx: Transaction) => { id: string } | undefined | Promise<{ id: string } | undefined>;
}

export async function runCheckForUpdates(input: CheckInput): Promise<CheckRunRecord> {
  const { store, hub, connector, trigger, taskId } = input;
  defineHeldIndexes(store); // retireDeparted reads the hub's open reports (safety/held-indexes.ts)
  defineAssignTriedIndex(store); // assignsTriedOn: the assigns hubwarden tried without recording them
  const started = input.now();
  const startedAt = started.toISOString();
  const callsBefore = input.graphCalls?.() ?? 0;
  let connectorReads = 0;
  const counted = countingReads(connector, () => connectorReads++);
  const graphCalls = () => (input.graphCalls ? input.graphCalls() - callsBefore : connectorReads);
  // Whose people the connector can read (where the app needs a partner's own credential, the
  // connector knows which partners have one).
  const partnersWithToken = connector.partnersWithPeople?.() ?? [];

  let reading;
  try {
    const managedAssetTypes = [...new Set(hub.teams.flatMap((t) => t.assets.map((a) => a.type)))];
    reading = await readApp(counted, { assetTypes: Object.keys(definitionOf(hub).assetTypes), partnersWithToken, managedAssetTypes, progress: input.progress, signal: input.signal });
  } catch (err) {
    // Stopped by the agent (shutdown): not a failure of the app; the task runs again at start.
    if (input.signal?.aborted) throw err;
    const kind = isConnectorError(err) ? err.kind : 'internal';
    const message = errorText(err);
    const finished = input.now();
    const run: CheckRunRecord = {
      hubId: hub.id, id: taskId, trigger, startedAt, finishedAt: finished.toISOString(), durationMs: finished.getTime() - started.getTime(),
      outcome: 'failed', graphCalls: graphCalls(), error: { kind, message },
    };
    await store.transact(async (tx) => {
      await putRun(tx, run);
      appendAudit(tx, {
        hubId: hub.id, trigger, taskId, action: 'check-for-updates', outcome: 'failed',
        why: `check for updates of hub ${hub.id} stopped: ${message}; the previous complete snapshot is kept`,
        detail: { errorKind: kind },
      });
    });
    input.log.warn(`check for updates: hub ${hub.id}: read failed (${kind}); previous snapshot kept`, { hubId: hub.id, taskId, kind });
    throw err;
  }

  input.progress?.(1, 1, 'saving snapshot');
  let retire: RetireInput | undefined;
  const run = await store.transact(async (tx): Promise<CheckRunRecord> => {
    const now = input.now().toISOString();
    // Read before anything is staged: the snapshot this transaction replaces.
    const stored = await readSnapshot(tx, hub.id);
    // Invites the connector now lists under a new id of the same row (`formerIds`): compared,
    // matched and held as the records stored under the old id; the old key is replaced below.
    const formerIds = formerIdsOf(reading.invites);
    const previous = withCurrentIds(stored, formerIds);
    const last = await lastImport(tx, hub.id);
    const previousComplete = last?.complete === true;
    // What changed is found against the previous snapshot when it holds every member and invite:
    // after a complete import, or after one whose member listing was filtered (the members it
    // lacked kept as last seen) that followed such a snapshot. Compared only after a complete one,
    // a role changed, a seat added or removed by hand while the credential saw only part of the
    // business was never reported, nor held under `safety.drift: report` (the plan undid it).
    const baseline = previousComplete || last?.baseline === true;
    const [removed, assignsTried] = await Promise.all([removedDuring(tx, hub.id, startedAt), assignsTriedOn(tx, hub.id)]);
    // A person the agent removed, or seated, while the reading ran may be on an asset edge read
    // before the change and missing from a member page read after it (or the other way round):
    // timing, not a filtered listing.
    // And a system user an unread system-user listing (an optional section) left out is kept as known.
    const agentWrote = new Set(previous.members.filter((m) => m.lastSeenAt >= startedAt).map((m) => m.id));
    const knownSystem = new Set(previous.systemUsers.map((u) => u.id));
    const hiddenMembers = (reading.hiddenMembers ?? []).filter((id) => !removed.has(id) && !agentWrote.has(id) && !knownSystem.has(id));
    const snapshot = buildSnapshot({ hubId: hub.id, reading: { ...reading, hiddenMembers }, previous, startedAt, now, removed, assignsTried });
    const definition = definitionOf(hub);
    const shares = shareReading({ declared: definition.partnerShareTypes ?? Object.keys(definition.assetTypes), reading, last, previous });
    const changes = findChanges(previous, snapshot, baseline, shares.firstRead);
    const counts = {
      members: snapshot.members.length, invites: snapshot.invites.length, systemUsers: snapshot.systemUsers.length, assets: snapshot.assets.length,
      assignments: snapshot.assignments.length, partners: new Set(snapshot.partners.map((p) => p.businessId)).size, partnerUsers: snapshot.partnerUsers.length,
    };
    // A member listing the credential filters is kept as read, with the members it lacks kept as
    // last seen (snapshot.ts), but it is no complete picture: the import is marked incomplete (no
    // removals, removal.ts) and reported as a section not read in full (hub health, the plan's
    // hold on invites, plan.ts).
    const hidden = hiddenMembers.length;
    // Assets whose holders the credential may not read keep their last known holders (snapshot.ts):
    // the assignments are not read in full, and hub health says which and why.
    const holdersUnread = reading.unavailable.some((u) => u.section === 'assignments') ? [] : reading.unreadableAssignments ?? [];
    const notRead = [
      ...(hidden > 0 ? [{ section: 'members', message: hiddenMembersText(hidden) }] : []),
      ...reading.unavailable,
      ...(holdersUnread.length > 0 ? [{ section: 'assignments', message: holdersUnreadText(holdersUnread) }] : []),
    ];
    const unavailable = [
      ...notRead,
      ...reading.partnerFailures.map((f) => ({ section: 'partners', partnerBusinessId: f.partnerBusinessId, message: `people of partner ${f.partnerBusinessId}${f.assetType ? ` on ${f.assetType} assets` : ''}: ${f.message}` })),
    ];
    // A filtered member listing is no complete picture either (removals, retiring departed users).
    const listsAll = !reading.unsupported.includes('members') && !reading.unsupported.includes('invites');
    const complete = hidden === 0 && listsAll;
    // Filtered only, after a baseline: the members it lacks are kept as last seen (snapshot.ts), so
    // this snapshot is the next check's baseline too. A first import filtered is none: the members
    // it never listed would be reported as added by hand once listed.
    const nextBaseline = !complete && listsAll && baseline;
    writeSnapshot(tx, hub.id, stored, snapshot, {
      completedAt: now, startedAt, taskId, counts, assetTypes: reading.assetTypes, partnerShareTypes: shares.known, ...(unavailable.length > 0 ? { unavailable } : {}),
      ...(nextBaseline ? { baseline: true as const } : {}),
    }, complete);

    await carryDecisions(tx, hub.id, [...formerRowRenames(formerIds), ...renamedRows(previous, snapshot)], { trigger, taskId });
    // An exemption whose seat or invite this complete listing no longer shows, nor the previous
    // one, ends with it (audited): kept, it covered whoever came back under the same row id later.
    // Never from a partial reading, nor from one listing alone (a row it wrongly lacked is back next time).
    const endedExemptions = await endDepartedExemptions(tx, hub.id, snapshot, complete, now, taskId, baseline ? previous : undefined);
    // Directory, guests, exemptions and decisions are not staged here, but read through `tx` too.
    const matching = await rematchHub(tx, hub.id, now, { trigger, taskId }, rowsOf(snapshot));
    // Deleted users none of whose rows this complete listing shows stop identifying seats
    // (dispatch/retire-departed.ts): after this save, in a transaction of its own. It reads the
    // hub's unfinished tasks, and here every task a runner took or ended meanwhile would make
    // the whole save run again (the PostgreSQL store's commit checks what was read).
    retire = { complete, startedAt, members: snapshot.members, invites: snapshot.invites, matches: matching.matches, trigger, taskId, now };
    // `safety.drift: report`: what was changed by hand is held from every later plan (safety/drift-holds.ts).
    await recordDriftHolds(tx, hub, previous, snapshot, changes.drift, { trigger, taskId, now });
    recordChangesInAudit(tx, hub.id, changes, { trigger, taskId, drift: hub.safety.drift });
    const reconcile = await input.enqueueReconcile?.(tx);

    const otherSeats = countOtherSeats(matching.matches);
    const finished = input.now();
    const record: CheckRunRecord = {
      hubId: hub.id, id: taskId, trigger, startedAt, finishedAt: finished.toISOString(), durationMs: finished.getTime() - started.getTime(),
      outcome: 'completed', graphCalls: graphCalls(), counts, matchCounts: countOutcomes(matching.matches), otherSeats,
      changeCounts: changeCounts(changes), changes: trimChanges(changes),
      lapsedExemptions: matching.lapsedExemptions.map((e) => e.memberId),
      ...(endedExemptions.length > 0 ? { endedExemptions: endedExemptions.map((e) => e.exemption.memberId) } : {}),
      partnerFailures: reading.partnerFailures, unreadableAssetTypes: reading.unreadableAssetTypes, unsupported: reading.unsupported,
      ...(reading.incompleteAssetTypes ? { incompleteAssetTypes: reading.incompleteAssetTypes } : {}),
      sectionsRead: sectionsRead(reading, notRead), ...(notRead.length > 0 ? { unavailable: notRead } : {}),
      ...(reconcile ? { reconcileTaskId: reconcile.id } : {}),
    };
    await putRun(tx, record);
    appendAudit(tx, {
      hubId: hub.id, trigger, taskId, action: 'check-for-updates', outcome: 'ok',
      why: `check for updates of hub ${hub.id}: ${counts.members} members, ${counts.invites} invites, ${counts.assets} assets read in ${record.durationMs} ms (${record.graphCalls} calls to the app)`
        + (otherSeats > 0 ? `; ${otherSeats} seat(s) held by a person holding another (members flag=other-seats; an owner decides, nothing removed)` : '')
        + (notRead.length > 0 ? `; not read (previous data kept): ${notRead.map((u) => `${u.section} (${u.message})`).join('; ')}` : ''),
      detail: { counts, changes: record.changeCounts, matches: record.matchCounts, otherSeats, sectionsRead: record.sectionsRead, ...(record.unavailable ? { unavailable: record.unavailable } : {}) },
    });
    return record;
  });
  if (retire?.complete) {
    const given = retire;
    // Failing (contention, an outage) keeps the records: the next complete check tries again.
    await store.transact((tx) => retireDeparted(tx, hub.id, given)).catch((err: unknown) => {
      input.log.warn(`check for updates: hub ${hub.id}: departed-user records not retired this time: ${errorText(err)}`, { hubId: hub.id, taskId });
    });
  }
  input.log.info(`check for updates: hub ${hub.id}: complete`, { hubId: hub.id, taskId, counts: run.counts, changes: run.changeCounts, ms: run.durationMs });
  for (const b of (run.changes?.shareBaselines ?? []).filter((x) => x.shares > 0)) input.log.info(`check for updates: hub ${hub.id}: first read of ${b.assetType.replace('_', ' ')} partner shares: ${b.shares} recorded as the baseline`, { hubId: hub.id, taskId, assetType: b.assetType, shares: b.shares });
  for (const u of run.unavailable ?? []) input.log.warn(`check for updates: hub ${hub.id}: ${u.section} not read, previous data kept: ${u.message}`, { hubId: hub.id, taskId, section: u.section });
  return run;
}

/**
 * Why the member listing is not complete when the credential does not see every member: how many,
 * and what to change. No ids or names (the report goes to logs and the audit too).
 */
export function hiddenMembersText(count: number): string {
  return `the app credential does not see every member: ${count} ${count === 1 ? 'person holds' : 'people hold'} asset assignments but ${count === 1 ? 'is' : 'are'} missing from the member listing; `
    + 'members it does not list are kept as last seen, nothing is removed and nobody is invited until it lists every member '
    + "(give the credential's account a role that sees every person in the business; the connector's README says which)";
}

/**
 * Why some assets' holders were not read: how many, the first few, and the app's answer (a
 * permission the credential lacks, say). Asset ids only, no people.
 */
export function holdersUnreadText(unread: ReadonlyArray<{ asset: { type: string; id: string }; message: string }>): string {
  const named = unread.slice(0, 5).map((u) => `${u.asset.type} ${u.asset.id}`).join(', ');
  return `the holders of ${unread.length} ${unread.length === 1 ? 'asset' : 'assets'} (${named}${unread.length > 5 ? ', …' : ''}) could not be read and are kept as last seen: ${unread[0]!.message}`;
}

/** The sections read in full, in a fixed order (invites always, or the run failed; members unless the credential filters them). */
function sectionsRead(reading: AppReading, notRead: ReadonlyArray<{ section: string }>): string[] {
  const missing = new Set<string>([...notRead.map((u) => u.section), ...reading.unsupported]);
  if (reading.unsupported.some((u) => u.startsWith('assets: '))) missing.add('assets');
  return ['members', 'invites', 'system users', 'assets', 'assignments', 'partners'].filter((s) => !missing.has(s));
}

/** Records a run and keeps only the newest KEEP_RUNS of the hub. */
async function putRun(tx: Transaction, run: CheckRunRecord): Promise<void> {
  tx.put('checkRuns', run.hubId, run.id, run);
  const runs = await collect(tx.list('checkRuns', run.hubId));
  if (runs.length <= KEEP_RUNS) return;
  runs.sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1));
  for (const old of runs.slice(0, runs.length - KEEP_RUNS)) if (old.id !== run.id) tx.delete('checkRuns', run.hubId, old.id);
}

/** The connector with its listing methods counted (a fallback figure when Graph calls are not metered). */
function countingReads(connector: HubConnector, count: () => void): HubConnector {
  return new Proxy(connector, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || !prop.startsWith('list')) return value;
      return (...args: unknown[]) => {
        count();
        return value.apply(target, args);
      };
    },
  });
}
