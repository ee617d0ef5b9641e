import type { AgentApi, MemberQuery, MemberView, Paged } from '../../agent/api.ts';
import { badRequest } from './problem.ts';

/** The member filters of the admin API: the agent's, and `email` (exact). */
export type MemberFilters = Omit<MemberQuery, 'offset' | 'limit'> & { email?: string };

/** Read this many at a time while collecting the rows of one email (a person holds few). */
const READ_PAGE = 500;

/**
 * The members route's `email` filter: the rows whose own email is exactly this address
 * (case-insensitive). The agent's `search` matches any part of an id, email or name, so it finds
 * mary.jane@example.com for jane@example.com; its matches are narrowed here to the exact ones,
 * then paged. Without `email`, the agent's own paging.
 */
export function memberReader(agent: AgentApi, hubId: string, filters: MemberFilters): (offset: number, limit: number) => Promise<Paged<MemberView>> {
  const { email, ...query } = filters;
  if (email === undefined) return (offset, limit) => agent.members(hubId, { ...query, offset, limit });
  if (query.search !== undefined) throw badRequest('query.email: give email or search, not both', 'query.email');
  const wanted = email.trim().toLowerCase();
  let exact: Promise<MemberView[]> | undefined;
  const all = async () => {
    const out: MemberView[] = [];
    for (let offset = 0; ;) {
      const page = await agent.members(hubId, { ...query, search: wanted, offset, limit: READ_PAGE });
      out.push(...page.items.filter((m) => m.email?.trim().toLowerCase() === wanted));
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) return out;
    }
  };
  return async (offset, limit) => {
    const rows = await (exact ??= all());
    return { total: rows.length, items: rows.slice(offset, offset + limit) };
  };
}
