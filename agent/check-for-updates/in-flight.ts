/**
 * Runs `jobs` with at most `limit` in flight; results in job order. The first failure starts no
 * further job and rejects once the jobs already running have settled: a read that failed (or was
 * stopped) leaves no call to the app running behind it, with nobody waiting for its answer.
 */
export async function inFlight<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const out = new Array<T>(jobs.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    while (next < jobs.length && !failure) {
      const i = next++;
      try {
        out[i] = await jobs[i]();
      } catch (err) {
        failure ??= { err };
      }
    }
  }));
  if (failure) throw failure.err;
  return out;
}
