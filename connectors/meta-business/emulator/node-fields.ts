/**
 * Field selection on nodes (https://developers.facebook.com/docs/graph-api/results): which fields
 * a node type has, and which come when `fields` is absent, are those of graph-fields.json for the
 * node and the edge it is read on; any other is 100 "Tried accessing nonexisting field". Each
 * node type here has a getter per field it can render. Missing values are omitted and `id` always
 * comes, as Graph does.
 */
import { invalidParameter, nonexistingField } from './graph-error.ts';
import { allowedFields, defaultFields } from './graph-fields.ts';
import type { FieldRequest } from './field-selection.ts';
import type { MetaWorld } from './world.ts';

export interface RenderContext {
  world: MetaWorld;
  /** absolute URL of an edge, for `paging.next` of nested edge expansions */
  edgeUrl(id: string, edge: string): string;
  /** `access_token=…&` when the client sent its token in the query, else '' */
  linkQuery: string;
  now(): number;
}

export type FieldGetter<T> = (entity: T, sub: FieldRequest, ctx: RenderContext) => unknown;

export interface NodeType<T> {
  /** Graph's node type name, used in error messages (`BusinessUser`, `AdAccount`…). */
  name: string;
  /** Getters of the fields this emulator renders; each must be in graph-fields.json (a test checks). */
  fields: Record<string, FieldGetter<T>>;
}

/**
 * Renders `entity` with the `fields` asked for (else the defaults) as read on `edge`, a key of
 * graph-fields.json such as `Business/agencies` (undefined: the node itself, or a nested field).
 */
export function project<T>(
  type: NodeType<T>,
  entity: T,
  fields: FieldRequest[] | undefined,
  ctx: RenderContext,
  edge?: string,
): Record<string, unknown> {
  const allowed = allowedFields(type.name, edge);
  const wanted = fields ?? defaultFields(type.name, edge).map((name) => ({ name }));
  const out: Record<string, unknown> = {};
  if (type.fields.id && !wanted.some((r) => r.name === 'id')) out.id = type.fields.id(entity, { name: 'id' }, ctx);
  for (const req of wanted) {
    if (!allowed.has(req.name)) throw nonexistingField(req.name, type.name);
    const getter = type.fields[req.name];
    // A field Meta has that the emulator does not render: say so rather than pretend it is empty.
    if (!getter) throw invalidParameter(`meta emulator: field (${req.name}) of node type (${type.name}) is not emulated`);
    const value = getter(entity, req, ctx);
    if (value !== undefined) out[req.name] = value;
  }
  return out;
}

/** A field whose value is a nested node, e.g. `business{id,name}` (defaults id,name). */
export function nested<T, N>(type: NodeType<N>, pick: (entity: T) => N | undefined): FieldGetter<T> {
  return (entity, sub, ctx) => {
    const node = pick(entity);
    return node === undefined ? undefined : project(type, node, sub.children, ctx);
  };
}

/** A plain value field. */
export function value<T>(pick: (entity: T) => unknown): FieldGetter<T> {
  return (entity) => pick(entity);
}
