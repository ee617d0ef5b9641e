/**
 * The parameters each endpoint takes, as Meta's reference pages and API spec list them; any other
 * parameter is `(#100) Param NAME is not a valid parameter of this call` [INF]. Meta does not say what
 * Graph does with a parameter an endpoint does not take; refusing it is the strict reading, so a
 * client that starts sending one (a typo, a parameter of another edge) fails here and not against
 * a stricter Graph. Sources: the results guide (fields, limit, after, before, summary,
 * https://developers.facebook.com/docs/graph-api/results), the Python Business SDK (access_token,
 * appsecret_proof, https://github.com/facebook/facebook-python-business-sdk/blob/94914f9dabd06f0a5cbed72b5824ee45e407cbe7/facebook_business/session.py)
 * and each edge's reference page (business_users, pending_users, assigned_users, agencies…).
 */
import { invalidParameter } from './graph-error.ts';
import type { GraphCall, GraphMethod } from './graph-context.ts';
import type { GraphNode } from './world.ts';

/** Sent with every call by Meta's SDKs. */
const ALWAYS = ['access_token', 'appsecret_proof'];
/** A list edge (results guide). */
const LIST = ['fields', 'limit', 'after', 'before', 'summary'];
/** A read of one node. */
const NODE = ['fields'];
/** Legacy overrides on GET, only where the emulator honours them (MetaEmulatorOptions.legacyOverrides). */
const LEGACY = ['method', 'suppress_http_code'];

type Table = Partial<Record<GraphMethod, readonly string[]>>;

const PERSON_EDGES: Record<string, Table> = {
  assigned_ad_accounts: { GET: LIST },
  assigned_pages: { GET: [...LIST, 'pages'] },
  assigned_product_catalogs: { GET: LIST },
};

/** Read-after-write: a POST may carry `fields` (each reference page), served or not. */
const BUSINESS_USER_UPDATE = ['role', 'tasks', 'email', 'first_name', 'last_name', 'title', 'pending_email', 'clear_pending_email', 'skip_verification_email', 'fields'];
/** `POST /{business-role-request-id}`: a pending invite's role (and tasks, API spec). */
const INVITE_UPDATE = ['role', 'tasks', 'fields'];

const BUSINESS_EDGES: Record<string, Table> = {
  business_users: { GET: LIST, POST: ['email', 'role', 'tasks', 'invited_user_type', 'fields'] },
  pending_users: { GET: [...LIST, 'email'] },
  system_users: { GET: LIST },
  owned_ad_accounts: { GET: [...LIST, 'search_query', 'include_shared_ad_accounts'] },
  client_ad_accounts: { GET: [...LIST, 'search_query'] },
  owned_pages: { GET: LIST },
  client_pages: { GET: LIST },
  owned_product_catalogs: { GET: LIST },
  client_product_catalogs: { GET: LIST },
  adspixels: { GET: [...LIST, 'id_filter', 'name_filter', 'sort_by'] },
  owned_pixels: { GET: LIST },
  client_pixels: { GET: LIST },
  agencies: { GET: LIST, DELETE: ['business'] },
  clients: { GET: LIST, DELETE: ['business'] },
};

/**
 * `business` on POST assigned_users only for ad accounts: Meta's system-user guide sends it there
 * (accepted and ignored); pages, catalogs and pixels document `user` and `tasks` alone.
 */
function assetEdges(type: string): Record<string, Table> {
  const sharing = type === 'catalog'
    ? ['business', 'permitted_tasks', 'permitted_roles', 'enabled_collab_terms', 'skip_defaults', 'utm_settings', 'fields']
    : ['business', 'permitted_tasks', 'fields'];
  return {
    assigned_users: {
      GET: [...LIST, 'business'],
      POST: type === 'ad_account' ? ['user', 'tasks', 'business', 'fields'] : ['user', 'tasks', 'fields'],
      DELETE: ['user'],
    },
    agencies: { GET: LIST, POST: sharing, DELETE: ['business'] },
    shared_agencies: { GET: LIST },
  };
}

/**
 * Filters Meta lists whose matching it does not describe: `search_query` and
 * `include_shared_ad_accounts` on the ad account listings (business owned_ad_accounts and
 * client_ad_accounts reference pages; API spec `Business.json`), `id_filter`, `name_filter` and
 * `sort_by` on `adspixels` (API spec). The emulator does not model them; taken and ignored, a
 * client sending one got the whole listing here and a filtered or sorted one from Graph, so its
 * tests passed whatever it did with the answer. Refused as not emulated, as a field Meta has that
 * the emulator does not render is (node-fields.ts) [INF]. `pages` on `assigned_pages` is served
 * (person-assets.ts).
 */
const NOT_EMULATED: Record<string, readonly string[]> = {
  owned_ad_accounts: ['search_query', 'include_shared_ad_accounts'],
  client_ad_accounts: ['search_query'],
  adspixels: ['id_filter', 'name_filter', 'sort_by'],
};

/** The batch request itself (https://developers.facebook.com/docs/graph-api/batch-requests): `batch`, `include_headers` and the token. */
const BATCH = ['batch', 'include_headers'];

function tableFor(node: GraphNode, edge: string | undefined): Table | undefined {
  switch (node.kind) {
    case 'business': return edge ? BUSINESS_EDGES[edge] : { GET: NODE };
    case 'business_user': return edge ? PERSON_EDGES[edge] : { GET: NODE, POST: BUSINESS_USER_UPDATE, DELETE: [] };
    case 'system_user': return edge ? PERSON_EDGES[edge] : { GET: NODE };
    case 'invite': return edge ? undefined : { GET: NODE, POST: INVITE_UPDATE, DELETE: [] };
    case 'asset': return edge ? assetEdges(node.entity.type)[edge] : { GET: NODE };
  }
}

/** Refuses a parameter the endpoint does not take (the route itself is known by now). */
export function requireKnownParams(call: GraphCall, node: GraphNode, edge: string | undefined, legacyOverrides: boolean): void {
  const taken = tableFor(node, edge)?.[call.method];
  if (!taken) return; // no such route: the router answers it (2500 or 100/33)
  for (const name of Object.keys(call.params)) {
    if (ALWAYS.includes(name) || taken.includes(name)) continue;
    if (legacyOverrides && LEGACY.includes(name)) continue;
    throw invalidParameter(`Param ${name} is not a valid parameter of this call`);
  }
  const unmodelled = node.kind === 'business' && edge ? NOT_EMULATED[edge]?.find((name) => name in call.params) : undefined;
  if (unmodelled) throw invalidParameter(`meta emulator: parameter (${unmodelled}) of GET /{business}/${edge} is not emulated`);
}

/** Refuses a parameter the batch request itself does not take (each operation is checked as its own call). */
export function requireBatchParams(call: GraphCall): void {
  for (const name of Object.keys(call.params)) {
    if (!ALWAYS.includes(name) && !BATCH.includes(name)) throw invalidParameter(`Param ${name} is not a valid parameter of this call`);
  }
}
