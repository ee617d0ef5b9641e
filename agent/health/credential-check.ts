/**
 * The hub's app credential as last checked (`connector.checkCredential()`, Meta: `debug_token`,
 * https://developers.facebook.com/docs/business-management-apis/business-manager/get-started): validity, expiry and missing scopes are reported as hub health before they
 * make tasks fail. Collection
 * `credentialChecks`, partition '' , id = hub id.
 */
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { CredentialHealth } from '../../connectors/sdk/hub-model.ts';
import type { Store } from '../store/store.ts';
import { errorText } from '../log/logger.ts';

export interface CredentialCheckRecord extends CredentialHealth {
  id: string;
  hubId: string;
  at: string;
  /** The check itself could not run (network, …): the last known answer is kept beside it. */
  checkError?: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    credentialChecks: CredentialCheckRecord;
  }
}

export async function checkHubCredential(store: Store, hubId: string, connector: HubConnector, now: Date = new Date()): Promise<CredentialCheckRecord | undefined> {
  if (!connector.checkCredential) return undefined;
  let health: CredentialHealth | undefined;
  let checkError: string | undefined;
  try {
    health = await connector.checkCredential();
  } catch (err) {
    checkError = errorText(err);
  }
  // The last known answer a failed check keeps is read in the transaction that replaces it.
  return store.transact(async (tx) => {
    let record: CredentialCheckRecord;
    if (health) {
      record = { ...health, id: hubId, hubId, at: now.toISOString() };
    } else {
      const previous = await tx.get('credentialChecks', '', hubId);
      record = { valid: previous?.valid ?? false, scopes: previous?.scopes ?? [], missingScopes: previous?.missingScopes ?? [], ...(previous?.expiresAt ? { expiresAt: previous.expiresAt } : {}), ...(previous?.expiryUnknown ? { expiryUnknown: true as const } : {}), id: hubId, hubId, at: now.toISOString(), checkError };
    }
    for (const k of Object.keys(record) as Array<keyof CredentialCheckRecord>) if (record[k] === undefined) delete record[k];
    tx.put('credentialChecks', '', hubId, record);
    return record;
  });
}
