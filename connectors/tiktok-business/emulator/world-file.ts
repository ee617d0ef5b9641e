/**
 * The emulated Business Centers outliving a restart: the whole world (every row in its order, each
 * person's user id and the user-id counter, so no user id is handed out twice) as one JSON document, restored before
 * the first request and saved after changes. Without it the product's sandbox forgot its Business
 * Center on every restart, and the next check for updates reported the people it had invited as
 * gone.
 *
 * The emulator only serializes and schedules; where the text goes (a file written durably) is the
 * caller's: connectors never import the product's storage code.
 */
import { debouncedSaver, type DebouncedSaver } from '../../sdk/debounced-save.ts';
import { jsonFault } from '../../sdk/json-fault.ts';
import type { TikTokWorld } from './world.ts';
import type { EmulatorState } from './model.ts';

export const WORLD_FORMAT = 'hubwarden-tiktok-emulator-world/1';

interface WorldDocument {
  format: typeof WORLD_FORMAT;
  counters: { nextUserId: string };
  /** lower-cased email → user id: a person keeps their id even while in no Business Center */
  people: Array<[string, string]>;
  state: EmulatorState;
}

export function serializeWorld(world: TikTokWorld): string {
  const doc: WorldDocument = { format: WORLD_FORMAT, counters: { nextUserId: world.nextUserId() }, people: [...world.people], state: world.snapshot() };
  return `${JSON.stringify(doc)}\n`;
}

/** Replaces the world's content with a saved document; throws naming `source` if it is not one. */
export function restoreWorld(world: TikTokWorld, text: string, source: string): void {
  let doc: WorldDocument;
  try {
    doc = JSON.parse(text) as WorldDocument;
  } catch (err) {
    throw new Error(`tiktok emulator: ${source} is not valid JSON (${jsonFault(err)}); it was left untouched`);
  }
  const keys: Array<keyof EmulatorState> = ['businessCenters', 'members', 'assets', 'shares', 'partnerships', 'assignments', 'tokens'];
  if (doc?.format !== WORLD_FORMAT || !keys.every((k) => Array.isArray(doc.state?.[k])) || typeof doc.counters?.nextUserId !== 'string' || !/^\d+$/.test(doc.counters.nextUserId) || !Array.isArray(doc.people)) {
    throw new Error(`tiktok emulator: ${source} is not a saved sandbox Business Center (expected format ${WORLD_FORMAT}); it was left untouched`);
  }
  world.seed(doc.state);
  for (const [email, userId] of doc.people) world.people.set(email, userId);
  world.restoreNextUserId(doc.counters.nextUserId);
}

/** Saves the world after changes, debounced (connectors/sdk/debounced-save.ts). */
export function worldSaver(world: TikTokWorld, save: (text: string) => Promise<void>, options: { debounceMs?: number; onError?: (err: Error) => void } = {}): DebouncedSaver {
  return debouncedSaver(() => serializeWorld(world), save, { ...options, failure: 'tiktok emulator: the sandbox Business Center could not be saved' });
}
