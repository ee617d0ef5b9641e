import { createHash, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../../agent/secrets/keyring.ts';

/**
 * Constant-time check of a static shared secret (Okta sends no HMAC, only the configured
 * Authorization header: https://developer.okta.com/docs/concepts/event-hooks/ "Security"). Both sides are hashed first so the
 * comparison is over equal lengths and says nothing about the secret's length.
 */
export function secretMatcher<K extends string>(secrets: Array<[K, string]>): (presented: string | undefined) => K | undefined {
  const hashes = secrets.map(([key, value]) => [key, sha256(value)] as const);
  return (presented) => {
    const candidate = sha256(presented ?? '');
    let found: K | undefined;
    // No early exit: every configured secret is compared.
    for (const [key, hash] of hashes) if (timingSafeEqual(hash, candidate) && presented) found ??= key;
    return found;
  };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** HKDF `info` of the key that makes the event hook secrets' log labels (keyring.ts `derive`). */
export const HOOK_SECRET_LABEL_PURPOSE = 'hubwarden event-hook-secret label v1';

/**
 * The log label of an event hook secret: `event-hook-secret:` and the first 6 hex digits of its
 * HMAC-SHA-256 under a key derived from `secrets.keyFile`, as SCIM tokens are labelled
 * (scim-server/scim/auth.ts scimTokenLabel): it tells the old secret from the new one in the log,
 * and without the key file it is no help in testing guesses of the secret.
 */
export function hookSecretLabel(labelKey: Keyring, secret: string): string {
  return `event-hook-secret:${labelKey.mac(secret).toString('hex').slice(0, 6)}`;
}
