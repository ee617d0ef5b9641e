import { createHash, timingSafeEqual } from 'node:crypto';

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
