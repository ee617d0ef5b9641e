import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { ReadView } from '../store/store.ts';
import { standingsOfHub, type PersonStanding } from '../standing/standing.ts';
import type { WritebackValues } from './attributes.ts';
import { failedInviteUsers } from './invite-failures.ts';
import type { WritebackStateRecord } from './writeback-state.ts';

/**
 * What each directory user of a hub should carry in the IdP. Pure: reads the
 * store view only. Per user, the first that applies:
 *
 * - `exempted`: an owner exempted the app member matched to them (exemption not lapsed).
 * - `onboarded`: matched to an app member (role = the member's app role).
 * - `invited`: matched to a pending invite (role = the invited role). An invite that expired or
 *   was declined and was already re-sent once counts as failed (re-sent once, then reported).
 * - `invite_failed`: the latest invite task for them failed, or the case above.
 * - `offered`: no seat, and an open offer (a claim team's seat) waits for their claim.
 * - `removed`: deactivated in the IdP, or they held a seat (last written onboarded/invited/exempted) and no longer do.
 * - `pending`: everyone else (assigned to the hub, no seat yet).
 *
 * The standing itself comes from agent/standing (`standingsOfHub`: matches, plus rows matching
 * has not decided yet matched by email); this adds only deactivation, failed invites and what was
 * written before.
 */
export function computeWriteback(hubId: string, view: ReadView, now: Date = new Date()): Map<string, WritebackValues> {
  const standings = standingsOfHub(view, hubId, now);
  const users = [...view.list('directoryUsers', hubId)];
  const failedInvites = failedInviteUsers(view, hubId, users);
  const out = new Map<string, WritebackValues>();
  for (const user of users) {
    const previous = view.get('writebackState', hubId, user.id) as Readonly<WritebackStateRecord> | undefined;
    out.set(user.id, valuesFor(user, standings.get(user.id)!, failedInvites.has(user.id), previous?.written?.status));
  }
  return out;
}

const SEATED = new Set(['onboarded', 'invited', 'exempted']);

/** The standing (agent/standing) in write-back's published words, with what only write-back knows. */
function valuesFor(user: Readonly<DirectoryUserRecord>, s: PersonStanding, inviteFailed: boolean, lastStatus: string | undefined): WritebackValues {
  if (s.standing === 'exempted') return { status: 'exempted', role: s.appRole ?? '', exemption: s.exemption?.reason ?? '' };
  if (!user.active) return { status: 'removed', role: '', exemption: '' };
  if (s.standing === 'onboarded') return { status: 'onboarded', role: s.appRole ?? '', exemption: '' };
  if (s.standing === 'invited') return { status: 'invited', role: s.appRole ?? '', exemption: '' };
  const lapsed = s.standing === 'invite-lapsed' ? s.invite : undefined;
  if (inviteFailed || (lapsed && lapsed.resendCount >= 1)) return { status: 'invite_failed', role: '', exemption: '' };
  if (lapsed) return { status: 'invited', role: lapsed.role, exemption: '' };
  if (s.standing === 'offered') return { status: 'offered', role: '', exemption: '' };
  if (lastStatus === 'removed' || (lastStatus !== undefined && SEATED.has(lastStatus))) return { status: 'removed', role: '', exemption: '' };
  return { status: 'pending', role: '', exemption: '' };
}
