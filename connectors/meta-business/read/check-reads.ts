import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The Graph pages one check for updates reads for more than one listing, each asked once: the
 * business's `owned_pixels` serve the pixel asset listing (read/assets.ts) and the pixel partner
 * read (read/pixel-partners.ts), and every call counts against the business's rate limit
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). A page is asked by
 * whichever listing comes to it first; the other takes the same answer, a failure included, so
 * both see one reading of the list. Kept only while the check's read runs (HubConnector.withinCheck):
 * writes, re-reads and later checks ask Graph themselves.
 */
export class CheckReads {
  readonly #pages = new Map<string, Promise<unknown>>();

  /** `read()`'s answer for `key`, asked the first time only. */
  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let page = this.#pages.get(key) as Promise<T> | undefined;
    if (!page) this.#pages.set(key, (page = read()));
    return page;
  }
}

/** One connector instance's checks: `run` scopes a check's read, `current` is the check the caller runs in, if any. */
export function checkScope(): { run<T>(read: () => Promise<T>): Promise<T>; current(): CheckReads | undefined } {
  const checks = new AsyncLocalStorage<CheckReads>();
  return { run: (read) => checks.run(new CheckReads(), read), current: () => checks.getStore() };
}
