/**
 * Calls in flight per hub (issue 4, item 3: concurrency per hub). Separate from the runner's
 * claim slots so that a task's lease can be made durable (one store commit, an fsync) while
 * other tasks of the hub are calling the app: the next call starts as soon as a permit frees,
 * instead of after a permit frees plus a commit. Permits pass to waiters in arrival order (FIFO).
 */
export class CallPermits {
  readonly #free = new Map<string, number>();
  readonly #waiters = new Map<string, Array<() => void>>();
  constructor(private readonly limit: number) {}

  async acquire(key: string): Promise<void> {
    const free = this.#free.get(key) ?? this.limit;
    if (free > 0) {
      this.#free.set(key, free - 1);
      return;
    }
    await new Promise<void>((resolve) => {
      const queue = this.#waiters.get(key) ?? [];
      queue.push(resolve);
      this.#waiters.set(key, queue);
    });
  }

  release(key: string): void {
    const next = this.#waiters.get(key)?.shift();
    if (next) next(); // the permit passes straight to the next waiter
    else this.#free.set(key, (this.#free.get(key) ?? this.limit) + 1);
  }
}
