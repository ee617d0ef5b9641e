/**
 * `GET /bc/get/`: the BCs the token's user belongs to, with that user's role in each (TikTok API
 * for Business v1.3; TikTok's own prerequisite check for BC management calls it first).
 */
import type { CallContext } from '../context.ts';
import { paginate } from '../paging.ts';
import { pageParams } from '../params.ts';

export function getBusinessCenters(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'scene', 'filtering', 'page', 'page_size']);
  const bcId = f.id('bc_id');
  const scene = f.enumValue('scene', ['SINGLE_ACCOUNT', 'TIERED_ACCOUNT'] as const, { default: 'SINGLE_ACCOUNT' });
  const filter = f.object('filtering', ['keyword', 'keyword_type', 'relation_type']);
  const keyword = filter?.string('keyword')?.toLowerCase();
  filter?.enumValue('keyword_type', ['ASSET', 'MEMBER', 'PARTNER', 'TIER'] as const);
  const relationType = filter?.enumValue('relation_type', ['CHILD', 'PARENT'] as const);
  const { page, pageSize } = pageParams(f, 50);
  const userId = c.call.token.user_id;
  // No tiered BCs are emulated: a tiered scene or a parent/child filter finds none.
  const tiered = scene === 'TIERED_ACCOUNT' || relationType !== undefined;
  const rows = tiered ? [] : [...c.world.bcs.values()].flatMap((bc) => {
    if (bcId !== undefined && bc.bc_id !== bcId) return [];
    if (keyword && !bc.name.toLowerCase().includes(keyword)) return [];
    const me = c.world.boundMember(bc.bc_id, userId);
    if (!me) return [];
    const { bc_id, name, company, currency, registered_area, timezone, status, type, verification_status } = bc;
    return [{
      bc_info: { bc_id, name, company, currency, registered_area, timezone, status, type, verification_status },
      user_role: me.user_role,
      ...(me.finance_role ? { ext_user_role: { finance_role: me.finance_role } } : {}),
    }];
  });
  return paginate(rows, page, pageSize, undefined, c.rt.readings.pagePastEndCode);
}
