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
 * - `invited`: matched to a pending invite (role = the invited role).
 * - `invite_failed`: the latest invite task for them failed, or their invite expired or was
 *   declined after it was re-sent once (re-sent once, then reported).
 * - `lapsed`: their invite expired or was declined (or is past its expiry) and is not re-sent
 *   yet: no seat and no invitation pending, as the members view says (`lapsed`); role cleared.
 * - `offered`: no seat, and an open offer (a claim team's seat) waits for their claim.
 * - `removed`: deactivated in the IdP, or they held a seat (last written onboarded/invited/exempted,
 *   or `removed` for a seat lost) and no longer do. A `removed` written for a deactivation alone
 *   (no seat held, `seatless`) tells of no seat: once reactivated they are told what anyone
 *   without a seat is. A seat matching left disputed between them and another directory user is
 *   still in the app: they keep what was last written until an owner decides
 *   (PersonStanding.disputedCandidate).
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
 * `seatless`: the users told `removed` for a deactivation alone (WritebackStateRecord.seatless).
 */
export async function computeWritebackOf(hubId: string, view: ReadView, now: Date = new Date()): Promise<{ users: Map<string, Readonly<DirectoryUserRecord>>; values: Map<string, WritebackValues>; seatless: Set<string> }> {
  const users = await collect(view.list('directoryUsers', hubId));
  const standings = await standingsOfHub(view, hubId, now);
  const failedInvites = await failedInviteUsers(view, hubId, users);
  const written = new Map<string, Readonly<WritebackStateRecord>>();
  for await (const state of view.list('writebackState', hubId)) written.set(state.directoryUserId, state);
  const out = new Map<string, WritebackValues>();
  const seatless = new Set<string>();
  const byId = new Map<string, Readonly<DirectoryUserRecord>>();
  for (const user of users) {
    byId.set(user.id, user);
    const standing = standings.get(user.id);
    if (!standing) continue;
    const told = valuesFor(user, standing, failedInvites.has(user.id), written.get(user.id), standing.disputedCandidate === true);
    out.set(user.id, told.values);
    if (told.seatless) seatless.add(user.id);
  }
  return { users: byId, values: out, seatless };
}

const SEATED = new Set(['onboarded', 'invited', 'exempted']);

const v = (status: WritebackValues['status'], role = ''): WritebackValues => ({ status, role, exemption: '', exemptUntil: '' });

/**
 * The standing (agent/standing) in write-back's published words, with what only write-back knows;
 * `seatless` when they are told `removed` for a deactivation alone.
 */
function valuesFor(user: Readonly<DirectoryUserRecord>, s: PersonStanding, inviteFailed: boolean, state: Readonly<WritebackStateRecord> | undefined, disputed: boolean): { values: WritebackValues; seatless: boolean } {
  if (s.standing === 'exempted') return { values: { status: 'exempted', role: s.appRole ?? '', exemption: s.exemption?.reason ?? '', exemptUntil: s.exemption?.until ?? '' }, seatless: false };
  if (isActiveUser(user)) return { values: activeValues(s, inviteFailed, state, disputed), seatless: false };
  // Deactivated: `removed`, and whether they hold (or lost) a seat is what they would be told
  // active. A `removed` kept for ever after a reactivation told the IdP's group rules and reports
  // that someone who never held a seat had lost one (docs/writeback.md).
  const active = activeValues(s, inviteFailed, state, disputed).status;
  return { values: v('removed'), seatless: !SEATED.has(active) && active !== 'removed' };
}

function activeValues(s: PersonStanding, inviteFailed: boolean, state: Readonly<WritebackStateRecord> | undefined, disputed: boolean): WritebackValues {
  const last = state?.written;
  const lastStatus = last?.status;
  if (s.standing === 'onboarded') return v('onboarded', s.appRole ?? '');
  if (s.standing === 'invited') return v('invited', s.appRole ?? '');
  const lapsed = s.standing === 'invite-lapsed' ? s.invite : undefined;
  if (inviteFailed || (lapsed && lapsed.resendCount >= 1)) return v('invite_failed');
  // Not `invited`: no invitation is pending, and an IdP rule or access review on `invited` took
  // the person for one with a seat coming (docs/writeback-values.md).
  if (lapsed) return v('lapsed');
  if (s.standing === 'offered') return v('offered');
  // Their seat is disputed, not gone: the plan neither changes nor removes it until an owner
  // decides (match-members.ts), so the IdP keeps what it was told; "removed" here flipped them to
  // removed (and back once an owner matched the seat to them) while they held it. Not a last
  // `exempted`: no exemption is in force on the row any more, so that would tell of one.
  if (disputed && last && (last.status === 'onboarded' || last.status === 'invited')) return { status: last.status, role: last.role, exemption: last.exemption, exemptUntil: last.exemptUntil ?? '' };
  // A seat lost stays `removed` until they hold one again; a `removed` written for a deactivation
  // alone (`seatless`) was no seat lost. Records written before `seatless` existed read as a seat lost.
  if (lastStatus === 'removed' ? state?.seatless !== true : lastStatus !== undefined && SEATED.has(lastStatus)) return v('removed');
  return v('pending');
}
