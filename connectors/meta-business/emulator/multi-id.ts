/**
 * Multiple-ID reads: `GET /?ids=a,b,c` and `GET /{edge}?ids=a,b,c` return an object keyed by id
 * (https://developers.facebook.com/docs/graph-api/guides/multiple-ids). Every id counts as one
 * call for rate limits (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). One unknown id fails the whole request, as in Graph.
 */
import { invalidParameter } from './graph-error.ts';
import type { GraphCall } from './graph-context.ts';
import type { GraphNode } from './world.ts';

/** Graph's limit on ids per request. */
export const MAX_IDS = 50;

export interface IdsRequest {
  ids: string[];
  edge?: string;
}

/** Recognises a multi-id read: GET with `ids` on `/` or on `/{edge}` (no node id in the path). */
export function idsRequest(call: GraphCall, segments: string[], node: GraphNode | undefined): IdsRequest | undefined {
  const raw = call.params.ids;
  if (call.method !== 'GET' || typeof raw !== 'string' || node) return undefined;
  if (segments.length > 1) return undefined;
  const ids = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw invalidParameter('The parameter ids is required');
  if (ids.length > MAX_IDS) throw invalidParameter(`Too many IDs. Maximum: ${MAX_IDS}. Actual: ${ids.length}`);
  return { ids, edge: segments[0] };
}

/** The call for one id, without `ids` so paging links inside it point at `/{id}/{edge}`. */
export function callForId(call: GraphCall, id: string, edge: string | undefined): GraphCall {
  const { ids: _q, ...query } = call.query;
  const { ids: _p, ...params } = call.params;
  void _q;
  void _p;
  return { ...call, path: edge ? `/${id}/${edge}` : `/${id}`, query, params };
}
