import { isActiveUser, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { collect, type ReadView } from '../store/store.ts';
import { standingsOfHub, type PersonStanding } from '../standing/standing.ts';
import type { WritebackValues } from './attributes.ts';
import { failedInviteUsers } from './invite-failures.ts';
import type { WritebackStateRecord } from './writeback-state.ts';

/**
 * What each directory user of a hub should carry in the IdP. Reads the store view only (async:
 * the hub's directory users, their standings, invite tasks and what was written before, each
 * listed once). Per user, the first that applies:
 *
 * - `exempted`: an owner exempted the app member matched to them (exemption not lapsed).
 * - `onboarded`: matched to an app member (role = the member's app role).
 * - `invited`: matched to a pending invite (role = the invited role). An invite that expired or
 *   was declined and was already re-sent once counts as failed (re-sent once, then reported).
 * - `invite_failed`: the latest invite task for them failed, or the case above.
 * - `offered`: no seat, and an open offer (a claim team's seat) waits for their claim.
 * - `removed`: deactivated in the IdP, or they held a seat (last written onboarded/invited/exempted) and no longer do.
 *   A seat matching left disputed between them and another directory user is still in the app:
 *   they keep what was last written until an owner decides (PersonStanding.disputedCandidate).
 * - `pending`: everyone else (assigned to the hub, no seat yet).
 *
 * The standing itself comes from agent/standing (`standingsOfHub`: matches, plus rows matching
 * has not decided yet matched by email); this adds only deactivation, failed invites and what was
 * written before.
 */
export async function computeWriteback(hubId: string, view: ReadView, now: Date = new Date()): Promise<Map<string, WritebackValues>> {
  return (await computeWritebackOf(hubId, view, now)).values;
}

/**
 * `computeWriteback`, with the hub's directory users as it read them (write-back writes to them).
 * A user added while it reads (no standing read for them yet) has no values: the next run has.
 */
export async function computeWritebackOf(hubId: string, view: ReadView, now: Date = new Date()): Promise<{ users: Map<string, Readonly<DirectoryUserRecord>>; values: Map<string, WritebackValues> }> {
  const users = await collect(view.list('directoryUsers', hubId));
  const standings = await standingsOfHub(view, hubId, now);
  const failedInvites = await failedInviteUsers(view, hubId, users);
  const written = new Map<string, Readonly<WritebackStateRecord>>();
  for await (const state of view.list('writebackState', hubId)) written.set(state.directoryUserId, state);
  const out = new Map<string, WritebackValues>();
  const byId = new Map<string, Readonly<DirectoryUserRecord>>();
  for (const user of users) {
    byId.set(user.id, user);
    const standing = standings.get(user.id);
    if (!standing) continue;
    out.set(user.id, valuesFor(user, standing, failedInvites.has(user.id), written.get(user.id)?.written, standing.disputedCandidate === true));
  }
  return { users: byId, values: out };
}

const SEATED = new Set(['onboarded', 'invited', 'exempted']);

/** The standing (agent/standing) in write-back's published words, with what only write-back knows. */
function valuesFor(user: Readonly<DirectoryUserRecord>, s: PersonStanding, inviteFailed: boolean, last: Readonly<WritebackValues> | undefined, disputed: boolean): WritebackValues {
  const lastStatus = last?.status;
  const v = (status: WritebackValues['status'], role = ''): WritebackValues => ({ status, role, exemption: '', exemptUntil: '' });
  if (s.standing === 'exempted') return { status: 'exempted', role: s.appRole ?? '', exemption: s.exemption?.reason ?? '', exemptUntil: s.exemption?.until ?? '' };
  if (!isActiveUser(user)) return v('removed');
  if (s.standing === 'onboarded') return v('onboarded', s.appRole ?? '');
  if (s.standing === 'invited') return v('invited', s.appRole ?? '');
  const lapsed = s.standing === 'invite-lapsed' ? s.invite : undefined;
  if (inviteFailed || (lapsed && lapsed.resendCount >= 1)) return v('invite_failed');
  if (lapsed) return v('invited', lapsed.role);
  if (s.standing === 'offered') return v('offered');
  // Their seat is disputed, not gone: the plan neither changes nor removes it until an owner
  // decides (match-members.ts), so the IdP keeps what it was told; "removed" here flipped them to
  // removed (and back once an owner matched the seat to them) while they held it. Not a last
  // `exempted`: no exemption is in force on the row any more, so that would tell of one.
  if (disputed && last && (last.status === 'onboarded' || last.status === 'invited')) return { status: last.status, role: last.role, exemption: last.exemption, exemptUntil: last.exemptUntil ?? '' };
  if (lastStatus === 'removed' || (lastStatus !== undefined && SEATED.has(lastStatus))) return v('removed');
  return v('pending');
}
