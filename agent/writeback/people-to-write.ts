import type { Store } from '../store/store.ts';
import type { WritebackValues } from './attributes.ts';
import { computeWritebackOf } from './compute.ts';
import type { WritebackTarget } from './target.ts';
import type { WritebackStateRecord } from './writeback-state.ts';

/** Who is written to: a directory user, or one whose directory record is gone (then userName = idpUserId). */
export interface Person {
  id: string;
  userName: string;
  email?: string;
  idpUserId: string;
  /** The IdP user id to try when `idpUserId` (a login or UPN) is not found (WritebackTarget.fallbackIdOf). */
  fallbackId?: string;
  /** No directory record any more: only told `removed`, through the id written to. */
  departed?: true;
  /** Departed, and the id written to is now another directory user's id or login: that user's id. */
  heldBy?: string;
}

/**
 * Whether values recorded as written are in this target: same IdP key and the same destination
 * (an Entra extensionAppId moved to another app registration names other attributes, so nothing
 * written before is there). Records from before destinations were kept count as the same.
 */
export function sameDestination(state: Readonly<WritebackStateRecord>, target: WritebackTarget): boolean {
  return state.idp === target.idp && (state.destination ?? target.destination) === target.destination;
}

/**
 * Every directory user of the hub, plus people written before whose directory record is gone
 * (deleted by the IdP's SCIM client): they are told `removed` once, through the id written to.
 */
export async function peopleToWrite(store: Store, target: WritebackTarget, hubId: string, now: Date): Promise<Array<{ person: Person; values: WritebackValues; seatless?: true }>> {
  const out: Array<{ person: Person; values: WritebackValues; seatless?: true }> = [];
  const { users, values: computed, seatless } = await computeWritebackOf(hubId, store, now);
  for (const [userId, values] of computed) {
    const user = users.get(userId)!;
    const idpUserId = target.idpUserIdOf(user);
    const fallbackId = target.fallbackIdOf?.(user);
    out.push({ person: { id: user.id, userName: user.userName, email: user.email, idpUserId, ...(fallbackId && fallbackId !== idpUserId ? { fallbackId } : {}) }, values, ...(seatless.has(user.id) ? { seatless: true as const } : {}) });
  }
  // Who each id or login now names among the hub's directory users: a login or UPN written to for
  // someone since deleted may have been given to a new hire (Okta logins and Entra UPNs are
  // reusable once the user is deleted; Entra hard-deletes on SCIM DELETE,
  // https://learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works).
  const holders = new Map<string, string>();
  for (const user of users.values()) {
    // Their login or UPN too: written through their id, they are still the user it names.
    for (const id of [target.idpUserIdOf(user), target.fallbackIdOf?.(user), user.userName]) if (id) holders.set(id.toLowerCase(), user.id);
  }
  for await (const state of store.list('writebackState', hubId)) {
    if (users.has(state.directoryUserId) || !sameDestination(state, target) || !state.written) continue;
    const heldBy = holders.get(state.idpUserId.toLowerCase());
    out.push({ person: { id: state.directoryUserId, userName: state.idpUserId, idpUserId: state.idpUserId, departed: true, ...(heldBy ? { heldBy } : {}) }, values: { status: 'removed', role: '', exemption: '', exemptUntil: '' } });
  }
  return out;
}

/** The items in a random order (Fisher–Yates). */
export function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
