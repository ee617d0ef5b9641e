/**
 * Cron slots of a schedule that fires every `periodMs` (a divisor of a minute, e.g. node-cron's
 * `*\/4 * * * * *`: seconds 0, 4, … 56 of every minute, so every epoch second divisible by 4).
 * Something that happened because of a tick is put in the last slot that began before it: a tick's
 * work starts after its slot begins, late by however busy the fleet is (up to a period). A timer
 * may fire a little early (EARLY_MS), which still counts for the slot it was meant for.
 */
const EARLY_MS = 250;

export function slotOf(at: number, periodMs: number): number {
  return Math.floor((at + EARLY_MS) / periodMs) * periodMs;
}

/** How many of `times` fall in each slot. */
export function countPerSlot(times: readonly number[], periodMs: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of times) {
    const slot = slotOf(t, periodMs);
    counts.set(slot, (counts.get(slot) ?? 0) + 1);
  }
  return counts;
}

/** The slots that began and ended in [from, to]: the ones a window observed completely. */
export function slotsWithin(from: number, to: number, periodMs: number): number[] {
  const out: number[] = [];
  for (let s = Math.ceil(from / periodMs) * periodMs; s + periodMs <= to; s += periodMs) out.push(s);
  return out;
}

/** Whether a run was still going when the slot began (node-cron's noOverlap and the per-hub dedupe then skip that tick). */
export function busyAt(slot: number, runs: ReadonlyArray<{ startedAt: string; finishedAt: string }>): boolean {
  return runs.some((r) => Date.parse(r.startedAt) < slot && Date.parse(r.finishedAt) > slot);
}
