import type { ReadView, Store } from '../../../agent/store/store.ts';
import { decideStanding, defineStandingIndexes, standingOfUser, toScimStatus, type PersonStanding } from '../../../agent/standing/standing.ts';
import '../../../agent/app-state/records.ts';
import type { DirectoryUserRecord } from '../../../agent/desired-state/directory-records.ts';

/**
 * The read-only hubwarden User extension: how the directory user stands in the hub app, as the
 * agent's standing module decides it (agent/standing), in the extension's published words, so an
 * IdP can import it as attributes. A POST or PUT that sends it back has it ignored (RFC 7644
 * §3.5.1); a PATCH naming it is a 400 mutability (RFC 7644 §3.5.2; patch/target.ts).
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
export async function hubStateOf(view: ReadView, hubId: string, userId: string, now = Date.now(), user?: Readonly<DirectoryUserRecord>): Promise<HubState> {
  return named(await standingOfUser(view, hubId, userId, now, user));
}

/**
 * The state of a user created a moment ago: no member match and no offer can name an id that did
 * not exist before (ids are random UUIDs), so its standing is that of no rows, without a read.
 */
export function hubStateOfNewUser(): HubState {
  return named(decideStanding([], false));
}

function named(s: PersonStanding): HubState {
  const state: HubState = { status: toScimStatus(s.standing) };
  if (s.appRole !== undefined) state.appRole = s.appRole;
  if (s.exemption) state.exemption = s.exemption.until ? { reason: s.exemption.reason, until: s.exemption.until } : { reason: s.exemption.reason };
  return state;
}
