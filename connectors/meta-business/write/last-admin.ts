import { ConnectorError } from '../../sdk/connector-error.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import { markedForRemoval, roleOf } from '../mappers/member.ts';
import { idOf } from '../mappers/required.ts';
import { PageTrail } from '../graph-cursor.ts';

/**
 * The portfolio must keep at least one ADMIN (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user, code 3914). Before demoting or
 * removing an admin the connector reads every business user and refuses locally; Meta's 3914 maps
 * to the same refusal (graph-errors.ts). Only business users count, not admin system users: a
 * person must remain who can run the portfolio. Nor does an admin Meta has marked for removal
 * (`marked_for_removal`, mappers/member.ts): they are on their way out, and the demotion or
 * removal of the one admin who stays would leave the portfolio with none (README [INF]).
 */
export async function admins(ctx: MetaContext, whatFor: string): Promise<{ staying: string[]; leaving: string[] }> {
  const staying: string[] = [];
  const leaving: string[] = [];
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<{ id: string; role?: string; marked_for_removal?: boolean }>(`${ctx.businessId}/business_users`, { fields: 'id,role,marked_for_removal', limit: PAGE_LIMIT.list }, cursor, {
      what: whatFor, businessId: ctx.businessId,
    });
    // A row without its id or role could be an admin: the count fails rather than miss one.
    for (const u of page.data) if (roleOf(u, 'business user').toUpperCase() === 'ADMIN') (markedForRemoval(u) ? leaving : staying).push(idOf(u, 'business user'));
    cursor = page.next && trail.follow('business_users', page.next, whatFor);
  } while (cursor);
  return { staying, leaving };
}

export async function refuseIfLastAdmin(ctx: MetaContext, memberId: string, action: string): Promise<void> {
  const whatFor = what(`${action} member ${memberId} of business ${ctx.businessId}`);
  const { staying, leaving } = await admins(ctx, `${whatFor}: check admins`);
  if (!staying.some((id) => id !== memberId) && (staying.includes(memberId) || leaving.includes(memberId))) {
    throw new ConnectorError('conflict', `${whatFor}: refused: member ${memberId} is the last admin of business ${ctx.businessId} (Meta requires at least one admin${leaving.some((id) => id !== memberId) ? `; admin(s) ${leaving.filter((id) => id !== memberId).join(', ')} are marked for removal` : ''})`, {
      providerCode: '3914',
    });
  }
}
