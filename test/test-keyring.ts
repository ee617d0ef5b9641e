import { randomBytes } from 'node:crypto';
import { Keyring } from '../agent/secrets/keyring.ts';

/**
 * A key for a server a test composes (composeHubwarden, createWebRouter): without one they read
 * the config's `secrets.keyFile`, by default ./data/hubwarden.key, the checkout's own when tests
 * run there (test/run.mjs fails a run that adds files to it).
 */
export const testKeyring = (): Keyring => Keyring.fromKey(randomBytes(32));
