/**
 * The fields of each Graph node type and edge (graph-fields.json, from Meta's reference pages and
 * generated API spec; each edge names its page). The emulator answers only these: any other field
 * is Meta's `(#100) Tried accessing nonexisting field (x) on node type (T)`
 * (https://developers.facebook.com/docs/graph-api/guides/error-handling), so neither the emulator
 * nor the connector can use a field Meta does not have without a test failing.
 */
import { readFileSync } from 'node:fs';

export interface GraphFieldsFile {
  about: string;
  apiVersion: string;
  nodes: Record<string, { fields: string[]; defaults: string[] }>;
  edges: Record<string, { node: string; edgeFields: string[]; doc: string }>;
}

export const GRAPH_FIELDS: GraphFieldsFile = JSON.parse(readFileSync(new URL('./graph-fields.json', import.meta.url), 'utf8'));

/**
 * Defaults an edge adds to its node's (`[default]` marks on Meta's reference pages): `role` on
 * business_users and system_users, `tasks` on assigned_users and the reverse `assigned_*` edges
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users,
 * .../business/system_users, .../ad-account/assigned_users), every permission list on agencies and
 * clients (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business).
 * [INF] `/{asset}/agencies` returns its four edge fields by default, as the B2B guide's examples show them.
 */
function edgeDefaults(edge: string): string[] {
  const [, name] = edge.split('/');
  if (name === 'business_users' || name === 'system_users') return ['role'];
  if (name === 'assigned_users' || name.startsWith('assigned_')) return ['tasks'];
  if (edge === 'Business/agencies' || edge === 'Business/clients') return GRAPH_FIELDS.edges[edge].edgeFields;
  if (name === 'agencies' || name === 'shared_agencies') return GRAPH_FIELDS.edges[edge].edgeFields;
  return [];
}

const allowedCache = new Map<string, Set<string>>();

/**
 * What may be asked of `nodeType` read on `edge` (a key such as `Business/agencies`, or undefined
 * for the node itself): its node fields, the edge's fields, and the edges of the node type, which
 * `fields` may expand (`assigned_pages{id,tasks}`, https://developers.facebook.com/docs/graph-api/results).
 */
export function allowedFields(nodeType: string, edge?: string): Set<string> {
  const key = `${nodeType}\u0000${edge ?? ''}`;
  let set = allowedCache.get(key);
  if (set) return set;
  const node = GRAPH_FIELDS.nodes[nodeType];
  if (!node) throw new Error(`meta emulator: node type ${nodeType} is not in graph-fields.json`);
  set = new Set(node.fields);
  if (edge !== undefined) {
    const e = GRAPH_FIELDS.edges[edge];
    if (!e) throw new Error(`meta emulator: edge ${edge} is not in graph-fields.json`);
    if (e.node !== nodeType) throw new Error(`meta emulator: edge ${edge} lists ${e.node}, not ${nodeType}`);
    for (const f of e.edgeFields) set.add(f);
  }
  for (const k of Object.keys(GRAPH_FIELDS.edges)) if (k.startsWith(`${nodeType}/`)) set.add(k.slice(nodeType.length + 1));
  allowedCache.set(key, set);
  return set;
}

/** The fields returned when `fields` is absent: the node's defaults plus what the edge adds. */
export function defaultFields(nodeType: string, edge?: string): string[] {
  const node = GRAPH_FIELDS.nodes[nodeType];
  if (!node) throw new Error(`meta emulator: node type ${nodeType} is not in graph-fields.json`);
  return [...new Set([...node.defaults, ...(edge ? edgeDefaults(edge) : [])])];
}
