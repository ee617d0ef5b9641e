import { runSlot, slotOf } from '../agent/schedules/run-once.ts';
import { MemoryStore } from '../agent/store/memory-store.ts';
import type { Store } from '../agent/store/store.ts';

/**
 * The one limiter of events counted across replicas, in the store (so N replicas behind a load
 * balancer together stay within one budget: spreading requests over them buys nothing).
 *
 * Mostly wrong credentials, on every surface that takes one: SCIM (budget per hub AND client
 * address), the admin API and the dashboard's token sign-in (one budget per client address,
 * shared by both: they take the same admin tokens), and the Okta event hook's static secret (its
 * own budget per client address, scope `hook`; the hook router counts in the same store). The
 * composition root builds one and hands it to the SCIM, admin and dashboard surfaces, so a guesser
 * cannot spend one budget on the API and a fresh one on the sign-in form. The dashboard counts two
 * more kinds of event in it the same way: My access's claims per signed-in person (`claim`) and
 * the audited sign-in refusals that name nobody (`refusal`, one budget for the fleet).
 *
 * Callers check the credential FIRST and call `fail` only for a wrong one: a valid credential is
 * never refused because of anyone's failures, and a request that succeeds costs nothing here (no
 * store read or write). Failures are counted in the store, shared by replicas (`fail`). So
 * five wrong tokens sent through a shared reverse proxy cannot lock the identity provider out. The
 * limit answers a guesser 429 (RFC 6585 §4) with Retry-After; what keeps a token from being guessed
 * is its length (generated tokens are 32 random bytes), not this counter.
 *
 * The client address is `req.ip`, which follows `server.trustProxy` (express's 'trust proxy'):
 * X-Forwarded-For counts only when the peer is a trusted proxy.
 */
export interface FailureBudget {
  /** Events (wrong credentials, claims, audited refusals) allowed per key within `windowMs`; the next one is refused. */
  maxFailures: number;
  windowMs: number;
}

export type FailureScope = 'scim' | 'admin' | 'hook' | 'claim' | 'refusal' | 'oidc';

/** SCIM clients are machines with a configured token: five misses a minute is already a misconfiguration. */
export const SCIM_FAILURES: FailureBudget = { maxFailures: 5, windowMs: 60_000 };
/** Admin tokens are typed by people too (the sign-in form): ten per ten minutes. */
export const ADMIN_FAILURES: FailureBudget = { maxFailures: 10, windowMs: 10 * 60_000 };
/**
 * The Okta event hook's secret is configured in Okta once and sent by a machine; Okta never retries
 * a 4xx (https://developer.okta.com/docs/concepts/event-hooks/), so a wrong one is not repeated by
 * Okta itself: five misses a minute from one address is someone guessing.
 */
export const HOOK_FAILURES: FailureBudget = { maxFailures: 5, windowMs: 60_000 };
/**
 * Claims one signed-in person (their email) sends from My access: 10 a minute. A claim is the one
 * change anyone signed in may ask for (collaborators, people with no hub role), and each is a store
 * transaction: a refused one (an expired or withdrawn offer) commits an audit entry, a repeated one
 * queues the person's re-evaluation again. A person claims a handful of offers by hand; a loop past
 * that only writes (OWASP API4:2023, unrestricted resource consumption:
 * https://owasp.org/API-Security/editions/2023/en/0xa4-unrestricted-resource-consumption/).
 */
export const CLAIMS: FailureBudget = { maxFailures: 10, windowMs: 60_000 };
/**
 * Dashboard sign-in refusals that name nobody (a callback without its cookie, a forged form, a
 * wrong token) need no credential, so anyone may cause them in a loop: the fleet audits at most 60
 * a minute (web/sign-in-audit.ts), one key for all of them.
 */
export const REFUSAL_AUDITS: FailureBudget = { maxFailures: 60, windowMs: 60_000 };

/**
 * OIDC callbacks whose code exchange the IdP refused (or whose ID token hubwarden refused), per
 * client address: ten per ten minutes, as wrong admin tokens. The callback needs no credential
 * but a pending-sign-in cookie anyone gets from `/ui/auth/oidc`, and each callback with a code
 * is a request to the IdP's token endpoint authenticated as hubwarden's client: replayed in a
 * loop, it spends the IdP's rate limit on that endpoint (Okta counts it per org, and by default
 * lets one OAuth 2.0 app use up to half of it: https://developer.okta.com/docs/reference/rl2-token-oauth/),
 * so nobody could sign in, to hubwarden or, past that, to the org's other apps. A real sign-in's
 * code is accepted, so people signing in count nothing here; an IdP that cannot be reached counts
 * nothing either (its outage would otherwise outlast itself by ten minutes).
 */
export const OIDC_EXCHANGES: FailureBudget = { maxFailures: 10, windowMs: 10 * 60_000 };

const DEFAULT_BUDGETS: Record<FailureScope, FailureBudget> = { scim: SCIM_FAILURES, admin: ADMIN_FAILURES, hook: HOOK_FAILURES, claim: CLAIMS, refusal: REFUSAL_AUDITS, oidc: OIDC_EXCHANGES };

/** Keys whose spent budget this process remembers at most (bounded memory under a flood). */
const MAX_BLOCKED_KEYS = 10_000;
/** Records of keys whose failures have all aged out are deleted this often (one replica per slot). */
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Counted events (wrong credentials, claims…) of one key within its window (collection
 * `authFailures`, partition = scope, id = key): at most `maxFailures` times, oldest first.
 * Counted in the store so that every replica spends the same budget (a guesser or a loop spreading
 * tries over replicas behind a load balancer gets no more of them).
 */
export interface AuthFailureRecord {
  id: string;
  /** Epoch ms of the events still inside the window. */
  at: number[];
}

declare module '../agent/store/collections.ts' {
  interface Collections {
    authFailures: AuthFailureRecord;
  }
}

export class FailureLimiter {
  private readonly budgets: Record<FailureScope, FailureBudget>;
  private readonly store: Store;
  /** Keys known to be past their budget, until when (epoch ms): answered without a store write. */
  private readonly spent = new Map<string, number>();
  private lastSweep = 0;

  /**
   * `store`: where failures are counted (compose.ts passes the store, shared by replicas on
   * PostgreSQL); without one, in this process's memory (tests).
   */
  constructor(budgets: Partial<Record<FailureScope, FailureBudget>> = {}, readonly now: () => number = Date.now, store?: Store) {
    this.budgets = { ...DEFAULT_BUDGETS, ...budgets };
    this.store = store ?? new MemoryStore();
  }

  budget(scope: FailureScope): FailureBudget {
    return this.budgets[scope];
  }

  /**
   * Counts one wrong credential for `key` and resolves to the seconds the caller must wait
   * (answer 429 with Retry-After), or 0 while it is still within its budget (answer 401).
   */
  async fail(scope: FailureScope, key: string): Promise<number> {
    return (await this.spend(scope, key)).wait;
  }

  /**
   * Counts one event for `key`: `wait` 0 while within the budget (counted), else the seconds until
   * the next one is allowed (not counted). `first`: the first refusal this process makes since the
   * key's budget was last spent again, so a caller logs a burst once (once per replica refusing it).
   *
   * One store transaction per event within the budget; past it, none: the count is not
   * extended (the window ends when it ends), and this process remembers when it ends, so a flood
   * from one key costs the store at most `maxFailures` writes per window, and one read per replica.
   */
  async spend(scope: FailureScope, key: string): Promise<{ wait: number; first: boolean }> {
    const { maxFailures, windowMs } = this.budgets[scope];
    const now = this.now();
    const id = `${scope}\u0000${key}`;
    const until = this.spent.get(id);
    if (until !== undefined && until > now) return { wait: Math.max(1, Math.ceil((until - now) / 1000)), first: false };
    this.spent.delete(id);
    const recent = await this.store.transact(async (tx) => {
      const kept = ((await tx.get('authFailures', scope, key))?.at ?? []).filter((t) => t > now - windowMs);
      // Past the budget the oldest event is kept, not extended: nothing to write.
      if (kept.length >= maxFailures) return kept;
      tx.put('authFailures', scope, key, { id: key, at: [...kept, now] });
      return null;
    });
    await this.sweepNow(now).catch(() => {}); // retention only; the answer does not depend on it
    if (recent === null) return { wait: 0, first: false };
    const ends = recent[recent.length - maxFailures]! + windowMs;
    // Records hold allowed events only, so a spent budget read from the store (not remembered) is
    // a new burst; unless a request of this process raced this one to the same answer.
    const first = !((this.spent.get(id) ?? 0) > now);
    this.spent.set(id, ends);
    if (this.spent.size > MAX_BLOCKED_KEYS) this.spent.delete(this.spent.keys().next().value!);
    return { wait: Math.max(1, Math.ceil((ends - now) / 1000)), first };
  }

  /**
   * Seconds until `key` may have another event in `scope`, or 0 while it is within its budget:
   * read only, nothing counted (one store read; none while this process remembers the key spent).
   * For a check that must come before the step it guards, when only a failure of that step counts
   * (the OIDC callback's code exchange: the IdP is asked before anyone knows whether the code is good).
   */
  async waitFor(scope: FailureScope, key: string): Promise<number> {
    const { maxFailures, windowMs } = this.budgets[scope];
    const now = this.now();
    const id = `${scope}\u0000${key}`;
    const until = this.spent.get(id);
    if (until !== undefined && until > now) return Math.max(1, Math.ceil((until - now) / 1000));
    const kept = ((await this.store.get('authFailures', scope, key))?.at ?? []).filter((t) => t > now - windowMs);
    if (kept.length < maxFailures) return 0;
    const ends = kept[kept.length - maxFailures]! + windowMs;
    this.spent.set(id, ends);
    if (this.spent.size > MAX_BLOCKED_KEYS) this.spent.delete(this.spent.keys().next().value!);
    return Math.max(1, Math.ceil((ends - now) / 1000));
  }

  /** Deletes the records of keys with no event left in their window; returns how many. */
  async sweep(): Promise<number> {
    const now = this.now();
    const old: Array<[FailureScope, string]> = [];
    for (const scope of Object.keys(this.budgets) as FailureScope[]) {
      const { windowMs } = this.budgets[scope];
      for await (const r of this.store.list('authFailures', scope)) if (r.at.every((t) => t <= now - windowMs)) old.push([scope, r.id]);
    }
    if (old.length === 0) return 0;
    return this.store.transact(async (tx) => {
      let n = 0;
      for (const [scope, key] of old) {
        const r = await tx.get('authFailures', scope, key);
        if (r && r.at.every((t) => t <= now - this.budgets[scope].windowMs)) {
          tx.delete('authFailures', scope, key);
          n++;
        }
      }
      return n;
    });
  }

  private async sweepNow(now: number): Promise<void> {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    await runSlot(this.store, 'auth-failures-sweep', slotOf(now, SWEEP_EVERY_MS), () => this.sweep(), { clock: () => this.now() });
  }
}

/** SCIM failures are counted per hub and client address: one hub's bad client never touches another hub. */
export const scimFailureKey = (hubId: string, address: string) => `${hubId}\u0000${address}`;

/** The client address of a request as express resolves it under `trust proxy` (`req.ip`). */
export function clientAddress(req: { ip?: string; socket?: { remoteAddress?: string } }): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}
