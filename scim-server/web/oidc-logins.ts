import { createHash } from 'node:crypto';
import type { Store } from '../../agent/store/store.ts';
import type { PendingLogin } from './oidc-client.ts';

/**
 * OIDC sign-ins between the redirect to the IdP and its callback, kept in the store (collection
 * `oidcLogins`, partition ''): the callback may reach another replica than the one that sent the
 * browser away. Keyed by the SHA-256 of `state`, like sessions (session-store.ts), so the store
 * holds nothing a browser could present; the PKCE verifier and nonce stay server-side
 * (RFC 7636 §4.1, OIDC Core §3.1.2.1). A pending login is taken once: the callback reads and
 * deletes it in one transaction, so a replayed callback finds nothing.
 */
export interface PendingLoginRecord extends Omit<PendingLogin, 'state'> {
  /** Hex SHA-256 of `state` (the state itself is not kept: the callback brings it). */
  id: string;
  /** Epoch ms the sign-in started. */
  at: number;
}

declare module '../../agent/store/collections.ts' {
  interface Collections {
    oidcLogins: PendingLoginRecord;
  }
}

const keyOf = (state: string) => createHash('sha256').update(state, 'utf8').digest('hex');

export class PendingLogins {
  constructor(
    private readonly store: Store,
    /** How long a sign-in may take. */
    private readonly ttlMs: number,
    /** Pending sign-ins kept at most: someone opening sign-in in a loop pushes out the oldest. */
    private readonly max: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async add(login: PendingLogin): Promise<void> {
    const now = this.clock();
    const { state, ...rest } = login;
    const record: PendingLoginRecord = { ...rest, id: keyOf(state), at: now };
    await this.store.transact(async (tx) => {
      const n = await tx.count('oidcLogins', '');
      if (n >= this.max) {
        // Insertion order is oldest first: drop the oldest (and any expired among them).
        for await (const old of tx.list('oidcLogins', '', { limit: n - this.max + 1 })) tx.delete('oidcLogins', '', old.id);
      }
      tx.put('oidcLogins', '', record.id, record);
    });
    await this.dropExpired(now);
  }

  /** The pending login for `state`, removed so it is used once; undefined when unknown or expired. */
  async take(state: string): Promise<PendingLogin | undefined> {
    if (!state) return undefined;
    const key = keyOf(state);
    const record = await this.store.transact(async (tx) => {
      const r = await tx.get('oidcLogins', '', key);
      if (r) tx.delete('oidcLogins', '', key);
      return r;
    });
    if (!record || this.clock() - record.at > this.ttlMs) return undefined;
    return { state, nonce: record.nonce, verifier: record.verifier, next: record.next };
  }

  /** The oldest first, until a live one: a few records at most per sign-in. */
  private async dropExpired(now: number): Promise<void> {
    const expired: string[] = [];
    for await (const r of this.store.list('oidcLogins', '', { limit: 20 })) {
      if (now - r.at <= this.ttlMs) break;
      expired.push(r.id);
    }
    if (expired.length > 0) await this.store.transact((tx) => expired.forEach((id) => tx.delete('oidcLogins', '', id)));
  }
}
