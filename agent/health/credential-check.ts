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
  let record: CredentialCheckRecord;
  try {
    const health = await connector.checkCredential();
    record = { ...health, id: hubId, hubId, at: now.toISOString() };
  } catch (err) {
    const previous = store.get('credentialChecks', '', hubId);
    const message = errorText(err);
    record = { valid: previous?.valid ?? false, scopes: previous?.scopes ?? [], missingScopes: previous?.missingScopes ?? [], ...(previous?.expiresAt ? { expiresAt: previous.expiresAt } : {}), id: hubId, hubId, at: now.toISOString(), checkError: message };
  }
  for (const k of Object.keys(record) as Array<keyof CredentialCheckRecord>) if (record[k] === undefined) delete record[k];
  await store.transact((tx) => tx.put('credentialChecks', '', hubId, record));
  return record;
}
