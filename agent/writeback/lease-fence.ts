import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The fence of a leased write-back run (leased-run.ts): confirms in a store transaction, with the
 * run's own token, that the run still holds the hub's lease, and extends it; throws
 * LeaseLostError when it does not. Targets call it (`confirmLease`) on every HTTP attempt that
 * writes, after its wait in the pacing bucket and just before the request leaves: a run stalled
 * past its lease (a GC pause, a starved process) while another replica took the hub over and wrote
 * newer values must not land the values it read before the stall. Checked only before a person
 * was taken, the person taken already went out stale.
 */
export type LeaseFence = () => Promise<void>;

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

const fences = new AsyncLocalStorage<LeaseFence>();

/** Runs `fn` with `fence` confirmed before each IdP request it makes (none: unfenced, a store no replica shares). */
export function withFence<T>(fence: LeaseFence | undefined, fn: () => Promise<T>): Promise<T> {
  return fence ? fences.run(fence, fn) : fn();
}

/** Called by targets right before an HTTP attempt to the IdP: throws LeaseLostError when the run lost its lease. */
export async function confirmLease(): Promise<void> {
  await fences.getStore()?.();
}
