/**
 * TikTok lists who holds a TikTok account only member by member (`/bc/asset/member/get/` does
 * not accept `TT_ACCOUNT`; `/bc/asset/get/` with `filtering.user_id` does). That read costs one
 * call per member (minutes in a large Business Center at the client's pace), so one result serves
 * every chunk of a check for updates: a read in flight is shared however long it takes, and its
 * result is kept for a short while after it completes. Any write to asset access through this
 * connector drops it.
 */
export type Holdings = Map<string, Array<{ assetId: string; access: string[]; userName?: string }>>;

export class HoldingsCache {
  #value: { doneAt?: number; holdings: Promise<Holdings> } | undefined;

  constructor(private readonly ttlMs = 10_000, private readonly now: () => number = Date.now) {}

  get(read: () => Promise<Holdings>): Promise<Holdings> {
    const v = this.#value;
    // In flight (no doneAt yet): shared, or a chunk arriving after the TTL would start the whole
    // per-member read again beside it. Done: fresh for ttlMs from its completion.
    if (v && (v.doneAt === undefined || this.now() - v.doneAt < this.ttlMs)) return v.holdings;
    const holdings = read();
    const entry: { doneAt?: number; holdings: Promise<Holdings> } = { holdings };
    this.#value = entry;
    holdings.then(() => {
      entry.doneAt = this.now();
    }, () => {
      // A failed read is not kept: the next caller tries again.
      if (this.#value === entry) this.#value = undefined;
    });
    return holdings;
  }

  invalidate(): void {
    this.#value = undefined;
  }
}
