import { createHmac } from 'node:crypto';

/**
 * `appsecret_proof` (https://developers.facebook.com/docs/graph-api/securing-requests): the hex
 * HMAC-SHA256 (RFC 2104) of the access token, keyed with the app secret. A Meta app with "Require
 * App Secret" on refuses every call without it; Meta's Python Business SDK sends it beside
 * `access_token` on every request when an app secret is configured
 * (https://github.com/facebook/facebook-python-business-sdk/blob/94914f9dabd06f0a5cbed72b5824ee45e407cbe7/facebook_business/session.py).
 * connector.ts computes it once per token. It is as good as the token for the app that checks it:
 * it is redacted wherever the token is (the HTTP client's secrets, graph-cursor.ts).
 */
export function appSecretProof(appSecret: string, token: string): string {
  return createHmac('sha256', appSecret).update(token).digest('hex');
}

/**
 * Graph's refusal of a call for its `appsecret_proof`: a code-100 error naming the parameter (a
 * wrong proof, or none where the app requires one). Meta's error table has no code of its own for
 * it, so the parameter's name in the message is what tells it from a bad argument (README [INF]).
 */
export const PROOF_REFUSED = /\bappsecret_proof\b/i;

/** What the hub's owner must fix, naming the hub and the key, never the secret or the proof. */
export function proofRefusedText(hubId: string | undefined, proofSent: boolean): string {
  const hub = hubId === undefined ? 'the hub' : `hub ${hubId}`;
  return proofSent
    ? `Graph refused the appsecret_proof sent with the access token: ${hub}'s meta.appSecret is not the app secret of the Meta app the token belongs to`
    : `the Meta app requires an appsecret_proof with every call ("Require App Secret"): set ${hub}'s meta.appSecret (a secret reference such as env:META_APP_SECRET)`;
}
