import type { AgentApi, MemberPage, MemberQuery, MemberView } from '../../agent/api.ts';
import { emailKey } from '../../agent/matching/email-key.ts';
import { badRequest } from './problem.ts';

/** The member filters of the admin API: the agent's, and `email` (exact). */
export type MemberFilters = Omit<MemberQuery, 'offset' | 'limit' | 'after'> & { email?: string };

/** Read this many at a time while collecting the rows of one email (a person holds few). */
const READ_PAGE = 500;

/**
 * The members route's `email` filter: the rows whose own email is exactly this address
 * (case-insensitive). The agent's `search` matches any part of an id, email or name, so it finds
 * mary.jane@example.com for jane@example.com; its matches are narrowed here to the exact ones,
 * then paged (the exact rows are read once, by the agent's cursor, and kept for the request:
 * stable pages, no `next`). Without `email`, the agent's own paging: by offset, or after the
 * cursor `after` (its `next`).
 */
export function memberReader(agent: AgentApi, hubId: string, filters: MemberFilters): (offset: number, limit: number, after?: string) => Promise<MemberPage> {
  const { email, ...query } = filters;
  if (email === undefined) return (offset, limit, after) => agent.members(hubId, { ...query, offset, limit, ...(after !== undefined ? { after } : {}) });
  if (query.search !== undefined) throw badRequest('query.email: give email or search, not both', 'query.email');
  const wanted = emailKey(email);
  let exact: Promise<MemberView[]> | undefined;
  const all = async () => {
    const out: MemberView[] = [];
    for (let offset = 0, after: string | undefined; ;) {
      const page = await agent.members(hubId, { ...query, search: wanted, offset, limit: READ_PAGE, ...(after !== undefined ? { after } : {}) });
      out.push(...page.items.filter((m) => m.email !== undefined && emailKey(m.email) === wanted));
      if (page.items.length === 0) return out;
      if (page.next !== undefined) {
        [after, offset] = [page.next, 0];
        continue;
      }
      // No next: after a cursor, that was the last page; by offset, the total says.
      if (after !== undefined) return out;
      offset += page.items.length;
      if (offset >= page.total) return out;
    }
  };
  return async (offset, limit, after) => {
    if (after !== undefined) throw badRequest('query.after: give email or after, not both (the rows of one email are one page)', 'query.after');
    const rows = await (exact ??= all());
    return { total: rows.length, items: rows.slice(offset, offset + limit) };
  };
}
