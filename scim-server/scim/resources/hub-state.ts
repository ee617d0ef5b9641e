import type { ReadView, Store } from '../../../agent/store/store.ts';
import { defineStandingIndexes, standingOfUser, toScimStatus } from '../../../agent/standing/standing.ts';
import '../../../agent/app-state/records.ts';

/**
 * The read-only hubwarden User extension: how the directory user stands in the hub app, as the
 * agent's standing module decides it (agent/standing), in the extension's published words, so an
 * IdP can import it as attributes. Writes to it are ignored (it is not in any writable schema).
 */
export function defineHubStateIndexes(store: Store): void {
  defineStandingIndexes(store);
}

export interface HubState {
  status: string;
  appRole?: string;
  exemption?: { reason: string; until?: string };
}

/** Reads the user's standing (a few indexed reads, outside any transaction) and names it. */
export async function hubStateOf(view: ReadView, hubId: string, userId: string, now = Date.now()): Promise<HubState> {
  const s = await standingOfUser(view, hubId, userId, now);
  const state: HubState = { status: toScimStatus(s.standing) };
  if (s.appRole !== undefined) state.appRole = s.appRole;
  if (s.exemption) state.exemption = s.exemption.until ? { reason: s.exemption.reason, until: s.exemption.until } : { reason: s.exemption.reason };
  return state;
}
