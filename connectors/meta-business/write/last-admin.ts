import { ConnectorError } from '../../sdk/connector-error.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';

/**
 * The portfolio must keep at least one ADMIN (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user, code 3914). Before demoting or
 * removing an admin the connector reads every business user and refuses locally; Meta's 3914 maps
 * to the same refusal (graph-errors.ts). Only business users count, not admin system users: a
 * person must remain who can run the portfolio.
 */
export async function admins(ctx: MetaContext, whatFor: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<{ id: string; role?: string }>(`${ctx.businessId}/business_users`, { fields: 'id,role', limit: PAGE_LIMIT.list }, cursor, {
      what: whatFor, businessId: ctx.businessId,
    });
    for (const u of page.data) if ((u.role ?? '').toUpperCase() === 'ADMIN') ids.push(String(u.id));
    cursor = page.next;
  } while (cursor);
  return ids;
}

export async function refuseIfLastAdmin(ctx: MetaContext, memberId: string, action: string): Promise<void> {
  const whatFor = what(`${action} member ${memberId} of business ${ctx.businessId}`);
  const list = await admins(ctx, `${whatFor}: check admins`);
  if (list.length <= 1 && list.includes(memberId)) {
    throw new ConnectorError('conflict', `${whatFor}: refused: member ${memberId} is the last admin of business ${ctx.businessId} (Meta requires at least one admin)`, {
      providerCode: '3914',
    });
  }
}
