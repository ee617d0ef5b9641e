import { Turns } from '../../connectors/sdk/turns.ts';

/**
 * Calls in flight per hub (concurrency per hub). Separate from the runner's
 * claim slots so that a task's lease can be made durable (one store commit, an fsync) while
 * other tasks of the hub are calling the app: the next call starts as soon as a permit frees,
 * instead of after a permit frees plus a commit. Permits pass to waiters in arrival order (FIFO).
 */
export class CallPermits {
  readonly #turns = new Map<string, Turns>();
  constructor(private readonly limit: number) {}

  #of(key: string): Turns {
    let turns = this.#turns.get(key);
    if (!turns) this.#turns.set(key, (turns = new Turns(this.limit)));
    return turns;
  }

  acquire(key: string): Promise<void> {
    return this.#of(key).take();
  }

  release(key: string): void {
    this.#of(key).give();
  }
}
