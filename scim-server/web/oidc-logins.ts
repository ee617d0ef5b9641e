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
  /** The client address that started it (auth-failures.ts `clientAddress`): who is pushed out first when full. */
  from?: string;
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

  async add(login: PendingLogin, from = ''): Promise<void> {
    const now = this.clock();
    const { state, ...rest } = login;
    const record: PendingLoginRecord = { ...rest, id: keyOf(state), at: now, from };
    await this.store.transact(async (tx) => {
      const n = await tx.count('oidcLogins', '');
      if (n >= this.max) {
        for await (const id of this.evictable(tx.list('oidcLogins', ''), n - this.max + 1, now)) tx.delete('oidcLogins', '', id);
      }
      tx.put('oidcLogins', '', record.id, record);
    });
    await this.dropExpired(now);
  }

  /**
   * Which pending sign-ins make room, `count` of them: expired ones, then the oldest of the
   * address that started the most. Starting a sign-in needs no credential, so dropping the
   * oldest of everyone's let one client opening `/auth/oidc` in a loop push out every real
   * sign-in in progress (their callbacks then failed as expired): a denial of service of the
   * OIDC sign-in (OWASP Denial of Service Cheat Sheet: https://cheatsheetseries.owasp.org/cheatsheets/Denial_of_Service_Cheat_Sheet.html).
   * Now such a client pushes out its own; a person with one sign-in in progress keeps it.
   */
  private async *evictable(records: AsyncIterable<Readonly<PendingLoginRecord>>, count: number, now: number): AsyncGenerator<string> {
    const byFrom = new Map<string, string[]>(); // insertion order is oldest first, in each list too
    let left = count;
    for await (const r of records) {
      if (now - r.at > this.ttlMs && left > 0) {
        left--;
        yield r.id;
        continue;
      }
      const from = r.from ?? '';
      const ids = byFrom.get(from);
      if (ids) ids.push(r.id);
      else byFrom.set(from, [r.id]);
    }
    for (; left > 0; left--) {
      let most: string[] | undefined;
      for (const ids of byFrom.values()) if (ids.length > 0 && (most === undefined || ids.length > most.length)) most = ids;
      if (!most) return;
      yield most.shift()!;
    }
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
