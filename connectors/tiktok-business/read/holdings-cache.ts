/**
 * TikTok lists who holds a TikTok account only member by member (`/bc/asset/member/get/` does
 * not accept `TT_ACCOUNT`; `/bc/asset/get/` with `filtering.user_id` does). That read costs one
 * call per member, so one result serves every chunk of a check for updates for a short while, and
 * any write to asset access through this connector drops it.
 */
export type Holdings = Map<string, Array<{ assetId: string; access: string[]; userName?: string }>>;

export class HoldingsCache {
  #value: { at: number; holdings: Promise<Holdings> } | undefined;

  constructor(private readonly ttlMs = 10_000, private readonly now: () => number = Date.now) {}

  get(read: () => Promise<Holdings>): Promise<Holdings> {
    const v = this.#value;
    if (v && this.now() - v.at < this.ttlMs) return v.holdings;
    const holdings = read();
    const entry = { at: this.now(), holdings };
    this.#value = entry;
    // A failed read is not kept: the next caller tries again.
    holdings.catch(() => {
      if (this.#value === entry) this.#value = undefined;
    });
    return holdings;
  }

  invalidate(): void {
    this.#value = undefined;
  }
}
