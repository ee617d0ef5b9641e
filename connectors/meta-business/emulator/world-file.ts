/**
 * The emulated business outliving a restart: the whole world (every record with its `seq`, and the
 * seq/id counters, so no id is handed out twice) as one JSON document, restored before the first
 * request and saved after changes. Without it the product's sandbox forgot its business on every
 * restart, and the next check for updates reported the people it had invited as gone.
 *
 * The emulator only serializes and schedules; where the text goes (a file written durably) is the
 * caller's: connectors never import the product's storage code.
 */
import type { MetaWorld } from './world.ts';
import type { Assignment, EmulatorState } from './model.ts';
import { debouncedSaver, type DebouncedSaver } from '../../sdk/debounced-save.ts';
import { jsonFault } from '../../sdk/json-fault.ts';

export const WORLD_FORMAT = 'hubwarden-meta-emulator-world/1';

interface WorldDocument {
  format: typeof WORLD_FORMAT;
  counters: { seq: number; id: number };
  state: EmulatorState;
}

export function serializeWorld(world: MetaWorld): string {
  const doc: WorldDocument = { format: WORLD_FORMAT, counters: world.counters(), state: world.snapshot() };
  return `${JSON.stringify(doc)}\n`;
}

/** Replaces the world's content with a saved document; throws naming `source` if it is not one. */
export function restoreWorld(world: MetaWorld, text: string, source: string): void {
  let doc: WorldDocument;
  try {
    doc = JSON.parse(text) as WorldDocument;
  } catch (err) {
    throw new Error(`meta emulator: ${source} is not valid JSON (${jsonFault(err)}); it was left untouched`);
  }
  const keys: Array<keyof EmulatorState> = ['businesses', 'tokens', 'users', 'invites', 'systemUsers', 'assets', 'assignments', 'shares'];
  if (doc?.format !== WORLD_FORMAT || !keys.every((k) => Array.isArray(doc.state?.[k])) || !Number.isInteger(doc.counters?.seq) || !Number.isInteger(doc.counters?.id)) {
    throw new Error(`meta emulator: ${source} is not a saved sandbox business (expected format ${WORLD_FORMAT}); it was left untouched`);
  }
  const { state } = doc;
  for (const map of [world.businesses, world.tokens, world.users, world.invites, world.systemUsers, world.assets, world.assignmentsByAsset, world.assetsByUser, world.sharesByAsset]) map.clear();
  for (const b of state.businesses) world.businesses.set(b.id, b);
  for (const t of state.tokens) world.tokens.set(t.value, t);
  for (const u of state.users) world.users.set(u.id, u);
  for (const i of state.invites) world.invites.set(i.id, i);
  for (const s of state.systemUsers) world.systemUsers.set(s.id, s);
  for (const a of state.assets) world.assets.set(a.id, a);
  // world.assign() would hand out new seqs: paging cursors of a client mid-listing would break.
  for (const a of state.assignments) putAssignment(world, a);
  for (const s of state.shares) world.putShare(s);
  world.restoreCounters(doc.counters);
}

function putAssignment(world: MetaWorld, a: Assignment): void {
  let byUser = world.assignmentsByAsset.get(a.assetId);
  if (!byUser) world.assignmentsByAsset.set(a.assetId, (byUser = new Map()));
  byUser.set(a.userId, a);
  let assets = world.assetsByUser.get(a.userId);
  if (!assets) world.assetsByUser.set(a.userId, (assets = new Set()));
  assets.add(a.assetId);
}

export type WorldSaver = DebouncedSaver;

/** Saves the world after changes, debounced (connectors/sdk/debounced-save.ts). */
export function worldSaver(world: MetaWorld, save: (text: string) => Promise<void>, options: { debounceMs?: number; onError?: (err: Error) => void } = {}): WorldSaver {
  return debouncedSaver(() => serializeWorld(world), save, { ...options, failure: 'meta emulator: the sandbox business could not be saved' });
}
