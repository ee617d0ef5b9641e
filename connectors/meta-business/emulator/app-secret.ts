/**
 * "Require App Secret" (https://developers.facebook.com/docs/graph-api/securing-requests), on with
 * MetaEmulatorOptions.appSecret: every call's `appsecret_proof` must be the hex HMAC-SHA256 of the
 * access token it uses, keyed with the app secret, as Meta's Python Business SDK computes it
 * (https://github.com/facebook/facebook-python-business-sdk/blob/94914f9dabd06f0a5cbed72b5824ee45e407cbe7/facebook_business/session.py).
 * Meta's pages give no error for a missing or a wrong proof: both are refused as code 100
 * (OAuthException, like the other parameter errors), the strict reading (connector README [INF]).
 * Without the option a proof is taken and ignored, as before.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalidParameter, requiredParameter } from './graph-error.ts';

export function requireAppSecretProof(appSecret: string | undefined, token: string, proof: string | undefined): void {
  if (appSecret === undefined) return;
  if (proof === undefined || proof === '') throw requiredParameter('appsecret_proof');
  const expected = Buffer.from(createHmac('sha256', appSecret).update(token).digest('hex'));
  const given = Buffer.from(proof);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidParameter('Invalid appsecret_proof provided in the API argument');
}
