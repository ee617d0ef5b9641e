/**
 * Field selection on nodes (reference §1.4): each node type lists the fields it has and the ones
 * returned when `fields` is absent. An unknown field is 100 "Tried accessing nonexisting field".
 * Missing values are omitted, as Graph does.
 */
import { nonexistingField } from './graph-error.ts';
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
  fields: Record<string, FieldGetter<T>>;
  defaults: string[];
}

export function project<T>(
  type: NodeType<T>,
  entity: T,
  fields: FieldRequest[] | undefined,
  ctx: RenderContext,
  defaults: string[] = type.defaults,
): Record<string, unknown> {
  const wanted = fields ?? defaults.map((name) => ({ name }));
  const out: Record<string, unknown> = {};
  for (const req of wanted) {
    const getter = type.fields[req.name];
    if (!getter) throw nonexistingField(req.name, type.name);
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
