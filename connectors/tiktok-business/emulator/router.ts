/**
 * From an HTTP request to an envelope, in the order TikTok's gateway decides: the path must end
 * in `/` (HTTP 404 otherwise), the version must be `v1.3` (40051), the endpoint must exist
 * (40008), the method must match (HTTP 405, [INF]), the `Access-Token` header must be present
 * (40104) and valid (40105), the scope granted (40130), then the app's rate limit (40100),
 * injected faults, and the endpoint itself.
 */
import { CallContext, SCOPES, type EmulatorRuntime, type ScopeKey } from './context.ts';
import { TikTokApiError, failure, newRequestId, ok, type Envelope } from './envelope.ts';
import { getBusinessCenters } from './routes/business-centers.ts';
import { deleteMember, inviteMembers, listMembers, updateMember } from './routes/members.ts';
import { assetMembers, assetPartners, assignAsset, getAdminAssets, getAssets, unassignAsset } from './routes/assets.ts';
import { addPartner, deletePartner, deletePartnerAssets, listPartners, partnerAssets } from './routes/partners.ts';

interface Route {
  method: 'GET' | 'POST';
  scope: ScopeKey;
  run(c: CallContext): unknown;
}

export const ROUTES: Record<string, Route> = {
  'bc/get': { method: 'GET', scope: 'read', run: getBusinessCenters },
  'bc/member/get': { method: 'GET', scope: 'member', run: listMembers },
  'bc/member/invite': { method: 'POST', scope: 'member', run: inviteMembers },
  'bc/member/update': { method: 'POST', scope: 'member', run: updateMember },
  'bc/member/delete': { method: 'POST', scope: 'member', run: deleteMember },
  'bc/asset/get': { method: 'GET', scope: 'asset', run: getAssets },
  'bc/asset/admin/get': { method: 'GET', scope: 'asset', run: getAdminAssets },
  'bc/asset/assign': { method: 'POST', scope: 'asset', run: assignAsset },
  'bc/asset/unassign': { method: 'POST', scope: 'asset', run: unassignAsset },
  'bc/asset/member/get': { method: 'GET', scope: 'asset', run: assetMembers },
  'bc/asset/partner/get': { method: 'GET', scope: 'asset', run: assetPartners },
  'bc/partner/get': { method: 'GET', scope: 'partner', run: listPartners },
  'bc/partner/add': { method: 'POST', scope: 'partner', run: addPartner },
  'bc/partner/delete': { method: 'POST', scope: 'partner', run: deletePartner },
  'bc/partner/asset/get': { method: 'GET', scope: 'partner', run: partnerAssets },
  'bc/partner/asset/delete': { method: 'POST', scope: 'partner', run: deletePartnerAssets },
};

export const API_VERSION = 'v1.3';

export interface ApiRequest {
  method: string;
  /** the path below the mount point, e.g. `/open_api/v1.3/bc/member/get/` */
  path: string;
  token?: string;
  /** The parameters, or why the body could not be read (answered 40002 once the call is authorised). */
  params: Record<string, unknown> | string;
}

export type ApiAnswer =
  | { kind: 'http'; status: number; text: string }
  | { kind: 'envelope'; envelope: Envelope; endpoint: string };

const PATH = /^\/open_api\/([^/]+)\/(.+)$/;

export function route(rt: EmulatorRuntime, req: ApiRequest): ApiAnswer {
  const m = PATH.exec(req.path);
  if (!m || !req.path.endsWith('/')) return { kind: 'http', status: 404, text: '404 page not found' };
  const [, version, rest] = m;
  const endpoint = rest.replace(/\/$/, '');
  const requestId = newRequestId(rt.now());
  const answer = (err: TikTokApiError): ApiAnswer => ({ kind: 'envelope', envelope: failure(err, requestId), endpoint });
  if (version !== API_VERSION) return answer(new TikTokApiError(40051, `Invalid API version: ${version}`));
  // Own keys only: `constructor` or `toString` would find Object.prototype's and answer 405.
  const r = Object.hasOwn(ROUTES, endpoint) ? ROUTES[endpoint] : undefined;
  if (!r) return answer(new TikTokApiError(40008, `The interface has not been implemented: /${endpoint}/`));
  if (req.method !== r.method) return { kind: 'http', status: 405, text: '405 method not allowed' };
  if (!req.token) return answer(new TikTokApiError(40104, 'Access token is null, you should set it in http header with key Access-Token.'));
  const token = rt.world.tokens.get(req.token);
  if (!token || token.revoked) return answer(new TikTokApiError(40105, 'The access token is invalid or has been revoked.'));
  if (token.scopes && !token.scopes.includes(SCOPES[r.scope])) return answer(new TikTokApiError(40130, `Scope not authorized: ${SCOPES[r.scope]}`));
  const limited = rt.limits.take(token.app_id) ?? rt.faults.operation(endpoint);
  if (limited) return answer(limited);
  if (typeof req.params === 'string') return answer(new TikTokApiError(40002, req.params));
  try {
    const data = r.run(new CallContext(rt, { method: r.method, endpoint, params: req.params, token }));
    return { kind: 'envelope', envelope: ok(data, requestId), endpoint };
  } catch (err) {
    if (err instanceof TikTokApiError) return answer(err);
    rt.log?.error('tiktok emulator: endpoint failed', { endpoint, error: (err as Error).message });
    return answer(new TikTokApiError(50000, 'System error.'));
  }
}
