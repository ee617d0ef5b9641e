import type { ReadView, Store } from '../../../agent/store/store.ts';
import '../../../agent/app-state/records.ts';

/**
 * The read-only hubwarden User extension: how the directory user stands in the hub app, read from
 * the app snapshot and match results the agent keeps (agent/app-state/records.ts), so an IdP can
 * import it as attributes. Writes to it are ignored (it is not in any writable schema).
 */
export const MATCH_BY_DIRECTORY_USER = 'scim.memberMatches.directoryUser';

export function defineHubStateIndexes(store: Store): void {
  store.defineIndex('memberMatches', MATCH_BY_DIRECTORY_USER, (m, hub) => (m.directoryUserId ? [`${hub}\u0000${m.directoryUserId}`] : []));
}

export interface HubState {
  status: string;
  appRole?: string;
  exemption?: { reason: string; until?: string };
}

export function hubStateOf(view: ReadView, hubId: string, userId: string, now = Date.now()): HubState {
  const match = view.lookup('memberMatches', MATCH_BY_DIRECTORY_USER, `${hubId}\u0000${userId}`)[0];
  if (!match) return { status: 'not_in_hub' };
  const state: HubState = { status: match.outcome };
  if (match.memberId.startsWith('invite:')) {
    const invite = view.get('appInvites', hubId, match.memberId.slice('invite:'.length));
    if (invite) state.appRole = invite.role;
    if (match.outcome === 'onboarded' || match.outcome === 'unmatched') state.status = 'pending_invite';
  } else {
    const member = view.get('appMembers', hubId, match.memberId);
    if (member) state.appRole = member.role;
  }
  const exemption = view.get('exemptions', hubId, match.memberId);
  if (exemption && (!exemption.until || Date.parse(exemption.until) > now)) {
    state.status = 'exempted';
    state.exemption = exemption.until ? { reason: exemption.reason, until: exemption.until } : { reason: exemption.reason };
  }
  return state;
}
