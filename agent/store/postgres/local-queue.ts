/**
 * Record keys this process's transactions queue on after a conflict. Transactions check their
 * reads at COMMIT (read-set.ts), so N concurrent read-modify-writes of one record (Okta sending a
 * group's PATCH chunks at once) all read the same version and all but one run again, and again:
 * measured, 2,486 re-runs for 1,094 group PATCHes. A transaction that met a conflict runs again
 * holding the keys of the records its last run wrote, here, in this process: the re-runs of one
 * record go one after the other, and each commits on its first try unless another replica (or a
 * first try here) wrote the record in between. It takes all its keys at once, in sorted order,
 * before it starts, and no more while it runs: two re-runs never wait for each other in a cycle.
 * A first try takes only the keys its caller named (TransactOptions.writes: a group PATCH names
 * its group), else none.
 */
export class LocalQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Waits for each key in turn (sorted); returns the release of all of them. */
  async take(keys: Iterable<string>): Promise<() => void> {
    const releases: Array<() => void> = [];
    for (const key of [...new Set(keys)].sort()) {
      const before = this.tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = before.then(() => mine);
      this.tails.set(key, tail);
      await before;
      releases.push(() => {
        release();
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
    return () => {
      for (const r of releases) r();
    };
  }

  /** Keys waited on or held (tests). */
  get size(): number {
    return this.tails.size;
  }
}
