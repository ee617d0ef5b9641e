/** The Business node (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business, SPEC `Business.json`) and the nested `business{…}` field of other nodes. */
import { project, value, type FieldGetter, type NodeType } from './node-fields.ts';
import { graphTime, type Business } from './model.ts';

export const time = (ms: number | undefined) => (ms === undefined ? undefined : graphTime(ms));

export const businessNode: NodeType<Business> = {
  name: 'Business',
  fields: {
    id: value((b) => b.id),
    name: value((b) => b.name),
    two_factor_type: value((b) => b.two_factor_type),
    vertical: value((b) => b.vertical),
    created_time: value((b) => time(b.created_time)),
    verification_status: value(() => 'not_verified'),
  },
};

export function businessField<T>(pickId: (e: T) => string): FieldGetter<T> {
  return (entity, sub, ctx) => {
    const b = ctx.world.businesses.get(pickId(entity));
    return b ? project(businessNode, b, sub.children, ctx) : { id: pickId(entity) };
  };
}
