/**
 * How many claims one person may send from My access: 10 a minute. A claim is the one change
 * anyone signed in may ask for (collaborators, people with no hub role), and each is a store
 * transaction: a refused one (an expired or withdrawn offer) commits an audit entry, a repeated
 * one queues the person's re-evaluation again. A person claims a handful of offers by hand; a
 * loop past that only writes (OWASP API4:2023, unrestricted resource consumption:
 * https://owasp.org/API-Security/editions/2023/en/0xa4-unrestricted-resource-consumption/).
 *
 * Counted in this process's memory, per signed-in person (their email): across replicas the
 * budget is per replica, as the sign-in refusals' is (sign-in-audit.ts), which still bounds it.
 */
export const CLAIMS_PER_WINDOW = 10;
export const CLAIM_WINDOW_MS = 60_000;
/** People remembered at most (bounded memory); the oldest is forgotten first. */
const MAX_PEOPLE = 10_000;

export class ClaimBudget {
  private readonly recent = new Map<string, number[]>();
  /** People refused since their last claim within the budget (their refusals are logged once). */
  private readonly refused = new Set<string>();

  constructor(private readonly max = CLAIMS_PER_WINDOW, private readonly windowMs = CLAIM_WINDOW_MS, private readonly now: () => number = Date.now) {}

  /**
   * Spends one claim of `person`: `wait` 0 when within the budget, else the seconds until the next
   * is allowed; `first`: the first refusal since their last allowed claim (log that one only).
   */
  spend(person: string): { wait: number; first: boolean } {
    const now = this.now();
    const times = (this.recent.get(person) ?? []).filter((t) => now - t < this.windowMs);
    if (times.length >= this.max) {
      this.recent.set(person, times);
      const first = !this.refused.has(person);
      if (first && this.refused.size < MAX_PEOPLE) this.refused.add(person);
      return { wait: Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000)), first };
    }
    this.refused.delete(person);
    times.push(now);
    // Re-inserted last: the map's order is the order people last claimed in.
    this.recent.delete(person);
    this.recent.set(person, times);
    if (this.recent.size > MAX_PEOPLE) this.recent.delete(this.recent.keys().next().value!);
    return { wait: 0, first: false };
  }
}
