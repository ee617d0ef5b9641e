import type { Keyring } from '../../agent/secrets/keyring.ts';
import { credentialLabel } from '../credentials.ts';

/** HKDF `info` of the key that makes the event hook secrets' log labels (keyring.ts `derive`). */
export const HOOK_SECRET_LABEL_PURPOSE = 'hubwarden event-hook-secret label v1';

/**
 * The log label of an event hook secret (credentials.ts `credentialLabel`): it tells the old secret
 * from the new one in the log during a rotation, and without the key file it is no help in testing
 * guesses of the secret.
 */
export function hookSecretLabel(labelKey: Keyring, secret: string): string {
  return credentialLabel(labelKey, 'event-hook-secret', secret);
}
