import type { AppInvite } from '../../connectors/sdk/hub-model.ts';
import type { AppInviteRecord } from '../app-state/records.ts';
import { emailKey } from '../matching/email-key.ts';
import { inviteRowId } from '../standing/row-ids.ts';
import type { HubSnapshot } from './snapshot.ts';

/** One invite the connector now lists under another id than an earlier release gave it. */
export interface FormerId {
  from: string;
  to: string;
  email: string;
}

/**
 * The listed invites that name a former id (`AppInvite.formerIds`: the connector changed how it
 * derives the id; the invitation and its person did not). A former id that is itself a listed
 * invite's id is another row the app lists now, never folded into this one; one id claimed as
 * former by two listed invites is neither's (which of them it was is not known).
 */
export function formerIdsOf(listed: readonly AppInvite[]): FormerId[] {
  const ids = new Set(listed.map((i) => i.id));
  const claims = new Map<string, FormerId[]>();
  for (const i of listed) {
    for (const from of i.formerIds ?? []) {
      if (from === i.id || ids.has(from)) continue;
      claims.set(from, [...(claims.get(from) ?? []), { from, to: i.id, email: emailKey(i.email) }]);
    }
  }
  return [...claims.values()].filter((c) => new Set(c.map((x) => x.to)).size === 1).map((c) => c[0]);
}

/**
 * The previous snapshot as if the connector had always used the new ids: a stored invite under a
 * former id is that invite (its bookkeeping kept: sent by hubwarden, re-sends, when it was
 * created), not one that vanished beside a new one invited by hand. With a record under both
 * ids (the new one written since, e.g. by a one-person refresh), the new one is kept.
 * The stored records themselves are replaced by the snapshot write (the old key deleted), which
 * is given the previous snapshot as read.
 */
export function withCurrentIds<T extends Pick<HubSnapshot, 'invites'>>(previous: T, former: readonly FormerId[]): T {
  if (former.length === 0) return previous;
  const to = new Map(former.map((f) => [f.from, f.to]));
  const held = new Set(previous.invites.map((i) => i.id));
  const invites: AppInviteRecord[] = [];
  for (const i of previous.invites) {
    const id = to.get(i.id);
    if (id === undefined) invites.push(i);
    else if (!held.has(id)) invites.push({ ...i, id });
  }
  return { ...previous, invites };
}

/** The member-row renames of `former` (`invite:<from>` → `invite:<to>`), for carrying what is stored under them. */
export function formerRowRenames(former: readonly FormerId[]): Array<{ from: string; to: string; email: string; formerId: true }> {
  return former.map((f) => ({ from: inviteRowId(f.from), to: inviteRowId(f.to), email: f.email, formerId: true as const }));
}
