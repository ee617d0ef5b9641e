import type { Page } from './hub-model.ts';

/**
 * Every page of a listing, for tests and tools (the agent pages itself, with loop detection and
 * checkpoints: agent/check-for-updates/read-app.ts). Throws after `maxPages`, so a connector whose
 * cursor never ends fails instead of hanging.
 */
export async function allPages<T>(list: (cursor?: string) => Promise<Page<T>>, maxPages = 10_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(cursor);
    out.push(...page.items);
    cursor = page.next;
    if (++pages >= maxPages) throw new Error(`pagination does not end after ${maxPages} pages`);
  } while (cursor);
  return out;
}
