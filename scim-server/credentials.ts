import { createHash, timingSafeEqual } from 'node:crypto';
import { Keyring } from '../agent/secrets/keyring.ts';

/**
 * The static credentials the server takes (admin tokens, SCIM tokens, Okta event hook secrets):
 * how a presented one is matched, and how the one matched is named in the audit log and the logs.
 */

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Constant-time match of a presented credential against the configured ones: both sides are
 * hashed first, so the comparison is over equal lengths and says nothing about a secret's length,
 * and every configured one is compared (no early exit), so the time does not tell which matched.
 * Only the hashes are kept. Returns the key of the first configured credential it equals.
 */
export function secretMatcher<K extends string>(secrets: Array<[K, string]>): (presented: string | undefined) => K | undefined {
  const hashes = secrets.map(([key, value]) => [key, sha256(value)] as const);
  return (presented) => {
    const candidate = sha256(presented ?? '');
    let found: K | undefined;
    for (const [key, hash] of hashes) if (timingSafeEqual(hash, candidate) && presented) found ??= key;
    return found;
  };
}

/**
 * The key that labels one kind of credential (`purpose`: the HKDF `info`, keyring.ts `derive`):
 * derived from the loaded `secrets.keyFile` keyring, else from the key file read (or created) at
 * `keyFile`. Replicas sharing the key file, and restarts, derive the same key.
 */
export function labelKeyFor(purpose: string, keyFile: string, keyring?: Keyring): Keyring {
  return (keyring ?? Keyring.loadSync(keyFile)).derive(purpose);
}

/**
 * A credential's label: `kind:` and the first 6 hex digits of its HMAC-SHA-256 under `labelKey`.
 * It tells credentials apart to whoever reads the audit log (hub owners, managers, exports);
 * a plain hash prefix would let them test guesses of a weak credential offline, a keyed one does
 * not without the key file.
 */
export function credentialLabel(labelKey: Keyring, kind: string, secret: string): string {
  return `${kind}:${labelKey.mac(secret).toString('hex').slice(0, 6)}`;
}
