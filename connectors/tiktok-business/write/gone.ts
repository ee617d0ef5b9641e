import { ConnectorError } from '../../sdk/connector-error.ts';

/**
 * TikTok's 40007, "the object does not exist": on a delete or an unassign, the member, invitation
 * or access is already gone (Return codes, https://business-api.tiktok.com/portal/docs?id=1737172488964097,
 * gives the meaning; that a repeated delete or unassign answers 40007 or code 0 is hubwarden's
 * reading, README [INF] #18, #20, #73). Only that code: the
 * other not-found codes, 40300 and 40301 (the advertiser does not exist or cannot be matched), say
 * the request named a wrong ad account id, a config error, not that the access was taken away.
 * Read as already-done, an unassign answered 40300 was audited as done while the member still
 * held the asset.
 */
export function isAlreadyGone(err: unknown): boolean {
  return err instanceof ConnectorError && err.providerCode === '40007';
}
