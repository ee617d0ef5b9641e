import { ConnectorError } from '../sdk/connector-error.ts';
import { BATCH_LIMIT, type GraphClient, type GraphParams } from './graph-client.ts';
import type { GraphErrorContext } from './graph-errors.ts';

interface Queued {
  path: string;
  params: GraphParams;
  ctx: GraphErrorContext;
  resolve: (body: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes asked for in the same turn of the event loop leave as one batch request (≤ 50
 * operations, https://developers.facebook.com/docs/graph-api/batch-requests) instead of one request each. Why: against Graph's 50–200 ms per
 * request, a burst of invites through a handful of concurrent calls drains at tens per second;
 * batched, each request carries many. Each operation still counts toward Meta's limits on its
 * own (https://developers.facebook.com/docs/graph-api/batch-requests), so this saves round trips, not quota.
 *
 * Each caller gets its own operation's outcome through the same error table as a single call
 * (a throttled one blocks its scope). A write is never re-sent here: an operation the batch did
 * not complete (`null`, https://developers.facebook.com/docs/graph-api/batch-requests) is `unavailable`, so the task retries and, not being a clean first
 * attempt, looks the invite up before sending it again. A lone write goes out as a plain call.
 */
export class WriteBatcher {
  #queue: Queued[] = [];
  #scheduled = false;

  constructor(private readonly graph: GraphClient) {}

  post(path: string, params: GraphParams, ctx: GraphErrorContext): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ path, params, ctx, resolve, reject });
      if (this.#queue.length >= BATCH_LIMIT) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      const chunk = this.#queue.splice(0, BATCH_LIMIT);
      void (chunk.length === 1 ? this.#single(chunk[0]!) : this.#batch(chunk));
    }
  }

  async #single(q: Queued): Promise<void> {
    try {
      q.resolve(await this.graph.call('POST', q.path, q.params, q.ctx));
    } catch (err) {
      q.reject(err);
    }
  }

  async #batch(queued: Queued[]): Promise<void> {
    // An invite checks the invite limit before its caller's look-up (write/invites.ts), but a
    // throttle answered meanwhile (an earlier batch refused with 17) blocks `invite:<business>`
    // before this request leaves: such an invite is refused here without calling, as a lone one
    // is (GraphClient.call), since "continued calls extend the block"
    // (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
    const chunk = queued.filter((q) => {
      if (!q.ctx.isInvite) return true;
      try {
        this.graph.assertNotBlocked(`invite:${q.ctx.businessId}`, q.ctx.what);
        return true;
      } catch (err) {
        q.reject(err);
        return false;
      }
    });
    if (chunk.length === 0) return;
    if (chunk.length === 1) return this.#single(chunk[0]!);
    // A request of nothing but invites refused as a whole answers for them all: a 17 is the invite
    // limit (24 h on `invite:<business>`), not the user-level limit on the app (graph-errors.ts).
    const invites = chunk.every((q) => q.ctx.isInvite === true);
    const ctx: GraphErrorContext = { what: `meta-business: batch of ${chunk.length} writes to business ${this.graph.businessId}`, businessId: this.graph.businessId, ...(invites ? { isInvite: true } : {}) };
    let results;
    try {
      results = await this.graph.sendBatch(chunk.map((q) => ({ method: 'POST', relativeUrl: q.path, body: q.params })), ctx);
    } catch (err) {
      // The request itself failed (network, 5xx, throttled app): each operation's outcome is
      // unknown, and each task's retry looks before it writes again.
      for (const q of chunk) q.reject(err instanceof ConnectorError ? err.with({ message: `${q.ctx.what}: ${err.message}` }) : err);
      return;
    }
    chunk.forEach((q, i) => {
      const result = results[i];
      if (!result) {
        q.reject(new ConnectorError('unavailable', `${q.ctx.what}: the batch request ended before this operation completed; outcome unknown`));
        return;
      }
      try {
        q.resolve(this.graph.settleOp(result, q.ctx));
      } catch (err) {
        q.reject(err);
      }
    });
  }
}
