import type { CollectionName } from '../store/collections.ts';
import type { ReadView } from '../store/store.ts';
import type { Keyring } from './keyring.ts';

/** Collections only a store that has served holds records in (any one will do). */
const SERVED: CollectionName[] = ['directoryUsers', 'directoryGroups', 'appMembers', 'tasks'];

/**
 * A warning for a key file created at this start over a store that already holds records, or
 * undefined. The key file is created only at a first start: over a store in use it means
 * `secrets.keyFile` names the wrong file, or a replica was started without the shared key file
 * mounted. Its new key labels credentials in the audit log differently, and on a fleet a
 * dashboard sign-in that starts on one replica and returns to another fails (its pending cookie
 * is sealed with the key: web/oidc-pending.ts). A warning, not a refusal: a key file removed on
 * purpose (a key rotated) is replaced the same way.
 */
export async function newKeyOverRecords(keyring: Keyring, store: Pick<ReadView, 'partitions'>, path: string): Promise<string | undefined> {
  if (!keyring.created) return undefined;
  for (const c of SERVED) {
    if ((await store.partitions(c)).length > 0) {
      return `secrets: created a new key file at ${path}, but the store already holds records: if this is not the first start, secrets.keyFile names the wrong file or the shared key file is not mounted here (every replica must read the same key; docs/scaling.md)`;
    }
  }
  return undefined;
}
