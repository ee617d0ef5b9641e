import { ConnectorError, isConnectorError } from '../../sdk/connector-error.ts';
import type { TikTokClient } from '../tiktok-client.ts';
import { inviteIdOf } from '../mappers/rows.ts';
import { isRefusal } from '../tiktok-errors.ts';

/**
 * `POST /bc/member/invite/` takes 1 to 50 addresses that share one `user_role` and one set of ad
 * accounts (TikTok API for Business v1.3 `bc_member_invite.yml`). Invites asked for in the same
 * turn of the event loop with the same role leave as one call of up to 50 addresses; a lone one
 * is a call of one. A call takes the addresses queued when the pacer lets it go, so invites that
 * arrive while calls wait their turn join them (group commit). The answer has no per-address result: code 0 means every address is now
 * invited or was already (TikTok ignores addresses invited before), so each caller gets success;
 * any failure is each caller's own error with their address named. A throttled call (40100) was
 * not applied, and is never re-sent here: each caller's retry sends its own invite again.
 *
 * A call of several addresses refused with 40002 (or 40000) was not applied, and TikTok does not say which
 * address was at fault: one it takes for no `format: email`, or the 4,000-member or 20-admin
 * limit that only some of them overflow. So each of its addresses is sent again once, on its own
 * (through the same pacer and pause), and only the addresses TikTok refuses alone fail. A call
 * answered 40011 (too many ids in one request) is split the same way (README [INF] #73).
 */
export const INVITE_BATCH_LIMIT = 50;
/** Invite calls in flight at once per Business Center; the rest queue and fill the next call. */
export const INVITE_CALLS_IN_FLIGHT = 8;

/** The ad accounts an invite gives, all with one `advertiser_role` (absent: none). */
export interface InviteAccess {
  assetIds: string[];
  advertiserRole: string;
}

/** Invites that may share a call: one role and the same ad accounts with the same role. */
interface Lane {
  role: string;
  access?: InviteAccess;
  queue: Waiting[];
}

interface Waiting {
  email: string;
  what: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class InviteBatcher {
  readonly #lanes = new Map<string, Lane>();
  readonly #scheduled = new Set<string>();
  #inFlight = 0;
  /** Per lane: invite calls waiting for the pacer that have not taken their addresses yet. */
  readonly #waiting = new Map<string, number>();

  constructor(private readonly client: TikTokClient) {}

  /**
   * Invites `email` with `role` and, with `access`, ad accounts that share one `advertiser_role`
   * (the rest of the person's assets are assigned once they have joined). Invites share a call
   * only with invites of the same role and access.
   */
  send(email: string, role: string, what: string, access?: InviteAccess): Promise<void> {
    const key = [role, access?.advertiserRole ?? '', ...(access?.assetIds ?? [])].join('\u0000');
    return new Promise((resolve, reject) => {
      let lane = this.#lanes.get(key);
      if (!lane) {
        lane = { role, ...(access ? { access } : {}), queue: [] };
        this.#lanes.set(key, lane);
      }
      lane.queue.push({ email, what, resolve, reject });
      this.#schedule(key);
    });
  }

  /** Sends what is queued at the end of this turn of the event loop, so that one turn's invites share a call. */
  #schedule(key: string): void {
    if (this.#scheduled.has(key)) return;
    this.#scheduled.add(key);
    setImmediate(() => {
      this.#scheduled.delete(key);
      this.#pump(key);
    });
  }

  /**
   * Group commit: at most INVITE_CALLS_IN_FLIGHT invite calls at once, each taking the addresses
   * queued at the moment the pacer lets it go (up to 50), so invites that arrive while calls wait
   * for their turn leave together instead of each waiting behind the others.
   */
  #pump(key: string): void {
    const lane = this.#lanes.get(key);
    if (!lane) return;
    const { queue, role } = lane;
    const waiting = (delta: number) => this.#waiting.set(key, (this.#waiting.get(key) ?? 0) + delta);
    while (queue.length > (this.#waiting.get(key) ?? 0) * INVITE_BATCH_LIMIT && this.#inFlight < INVITE_CALLS_IN_FLIGHT) {
      this.#inFlight++;
      waiting(1);
      let batch: Waiting[] = [];
      let granted = false;
      const build = () => {
        granted = true;
        waiting(-1);
        batch = queue.splice(0, INVITE_BATCH_LIMIT);
        if (batch.length === 0) return undefined;
        const emails = [...byAddress(batch).values()].map((ws) => ws[0]!.email.trim());
        const what = batch.length === 1 ? batch[0]!.what : `tiktok-business: invite ${emails.length} people as ${role} to Business Center ${this.client.bcId}`;
        return { params: this.#params(emails, lane), what };
      };
      void this.client.callWhenDue('POST', 'bc/member/invite', build, `tiktok-business: invite people as ${role} to Business Center ${this.client.bcId}`)
        .then(() => { for (const w of batch) w.resolve(); }, async (err: unknown) => {
          if (!granted) {
            // Refused before its turn (the app is paused after a 40100): the queued invites share the refusal.
            waiting(-1);
            batch = queue.splice(0, INVITE_BATCH_LIMIT);
          } else if (refusedAsAWhole(err, batch)) {
            // In this call's slot, so the calls in flight stay within INVITE_CALLS_IN_FLIGHT.
            return this.#oneByOne(batch, lane);
          }
          for (const w of batch) w.reject(ownError(w, err, batch.length));
        })
        .finally(() => {
          this.#inFlight--;
          for (const [k, l] of this.#lanes) {
            if (l.queue.length > 0) this.#schedule(k);
            else if ((this.#waiting.get(k) ?? 0) === 0) this.#lanes.delete(k); // lanes come and go with their assets
          }
        });
    }
  }

  /**
   * Each address of a call refused with 40002, sent again alone, one after the other. The refused
   * call was not applied (any non-zero code but 20001), so each address is still sent only once;
   * callers that asked for the same address share its call. Errors here, a 40100 included, are
   * the callers' own and are not re-sent.
   */
  async #oneByOne(batch: Waiting[], lane: Lane): Promise<void> {
    for (const waiters of byAddress(batch).values()) {
      const first = waiters[0]!;
      try {
        await this.client.call('POST', 'bc/member/invite', this.#params([first.email.trim()], lane), first.what);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(w === first ? err : ownError(w, err, 2));
      }
    }
  }

  /** The invite's body (github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_member_invite.yml`): `asset_ids` the lane's ad accounts and `advertiser_role` their role; `[]` and no role (the default) when none. */
  #params(emails: string[], lane: Lane): Record<string, unknown> {
    return {
      bc_id: this.client.bcId, emails, user_role: lane.role, asset_type: 'ADVERTISER',
      asset_ids: lane.access?.assetIds ?? [], ...(lane.access ? { advertiser_role: lane.access.advertiserRole } : {}),
    };
  }
}

/** The invites of a batch by address (TikTok compares addresses case-insensitively), in order. */
function byAddress(batch: Waiting[]): Map<string, Waiting[]> {
  const out = new Map<string, Waiting[]>();
  for (const w of batch) {
    const key = inviteIdOf(w.email);
    out.set(key, [...(out.get(key) ?? []), w]);
  }
  return out;
}

/**
 * A refusal (40000, 40002; not applied) of a call of more than one address: which of them
 * TikTok refused is unknown (one already listed, where TikTok refuses rather than ignores it
 * [INF #12], or one past a limit). One naming `asset_ids` is the call's ad accounts, which every
 * address shares: sending them one by one would be refused the same way. Not 40050 (a duplicate
 * request, Return codes, https://business-api.tiktok.com/portal/docs?id=1737172488964097): an
 * identical earlier request may have applied (hubwarden's reading, README [INF] #73), so each
 * caller reads its address back (invites.ts sendInvite) instead of being sent again.
 */
function refusedAsAWhole(err: unknown, batch: Waiting[]): boolean {
  const split = isRefusal(err) && err.providerCode !== '40050' && err.field !== 'asset_ids';
  return (split || tooManyIds(err)) && byAddress(batch).size > 1;
}

/**
 * 40011, "too many ids in one request" (Return codes, https://business-api.tiktok.com/portal/docs?id=1737172488964097):
 * not applied. The page gives no action; hubwarden splits the request (README [INF] #73): a call
 * of several addresses is sent again one address per call, as a refused one is.
 */
function tooManyIds(err: unknown): boolean {
  return isConnectorError(err) && err.providerCode === '40011' && err.notApplied === true;
}

/** A shared call's error, told as the caller's own (their `what`, so their address, first). */
function ownError(w: Waiting, err: unknown, sharedBy: number): unknown {
  return isConnectorError(err) && sharedBy > 1 ? err.with({ message: `${w.what}: ${err.message.replace(/^[^:]*: [^:]*: /, '')}` }) : err;
}

/** Whether an address is one TikTok's `format: email` would take, checked before any call. */
export function assertEmail(email: string, what: string): void {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) {
    throw new ConnectorError('invalid-argument', `${what}: invalid-argument (email): not an email address`, { field: 'email', notApplied: true });
  }
}
