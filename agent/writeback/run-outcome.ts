import { isConnectorError } from '../../connectors/sdk/connector-error.ts';
import type { Store } from '../store/store.ts';
import { TOKEN_ENDPOINT_UNAVAILABLE } from './target.ts';

/**
 * Whether a hub's last write-back run failed or stopped, for hub health (agent/health/hub-health.ts):
 * collection `writebackOutcomes`, partition '', id = hub id. The record exists only while runs fail:
 * a run that goes through everyone deletes it, so health reads one record, and a run that changes
 * nothing writes nothing. Refusals about one person (a privileged admin the app may not change, a
 * profile mastered elsewhere) are no failure of the run: they stay in `writebackState` and the report.
 *
 * `problem` is one of the fixed sentences below, never the IdP's words: an error body may quote a
 * request, its credential included (echoed-credentials.test.ts), and is kept to the log and audit.
 */
export interface WritebackOutcomeRecord {
  hubId: string;
  /** Config key of the identity provider the run wrote to. */
  idp: string;
  /** Why the last run failed or stopped, in fixed words (the permission the IdP needs, or unreachable). */
  problem: string;
  /** When the last failed run ended. */
  at: string;
  /** When the first of the failed runs in a row ended (kept while the runs after it fail too). */
  since: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    writebackOutcomes: WritebackOutcomeRecord;
  }
}

/** Where the run was when it failed: making sure of the hub's attributes, or writing people. */
export type RunPhase = 'attributes' | 'updates';

export const RUN_PROBLEMS = {
  unreachable: 'identity provider unreachable (network failures, timeouts, 5xx or throttled answers, or its token endpoint down); tried again at the next run',
  credentialRefused: 'the identity provider refused the app\'s credentials (client secret, private key or API token): fix identityProviders in the config',
  entraAttributesDenied: 'Microsoft Graph refused the hub\'s directory extensions as not permitted: the app needs the Application.ReadWrite.OwnedBy application permission (admin-consented) and to own the extensionAppId app registration, or Application.ReadWrite.All',
  entraUpdatesDenied: 'Microsoft Graph refused user updates as not permitted: the app needs the User.ReadWrite.All application permission (admin-consented)',
  oktaScopes: 'Okta refused the access token request: the service app needs the okta.users.manage and okta.schemas.manage scopes granted',
  oktaAttributesDenied: 'Okta refused the user schema as not permitted: the service app needs the okta.schemas.manage scope, or the API token an admin role that may edit the user schema',
  oktaUpdatesDenied: 'Okta refused user updates as not permitted: the service app needs the okta.users.manage scope, or the API token an admin role that may edit these users',
  attributesRefused: 'the identity provider refused the hub\'s attributes (an attribute of the same name but another type, or a name it does not take): the log says which',
  other: 'write-back stopped: see the writeback.run entries of the audit log and the log',
} as const;

/** The fixed words for what stopped a run (`err`: what it threw), by IdP kind and phase. */
export function runProblemOf(kind: 'okta' | 'entra', phase: RunPhase, err: unknown): string {
  if (!isConnectorError(err)) return RUN_PROBLEMS.other;
  if (err.providerCode === TOKEN_ENDPOINT_UNAVAILABLE) return RUN_PROBLEMS.unreachable;
  switch (err.kind) {
    case 'unavailable':
    case 'rate-limited':
      return RUN_PROBLEMS.unreachable;
    case 'unauthenticated':
      // The Okta SDK asks for both scopes at once; a service app missing one is refused the token (RFC 6749 §5.2 `invalid_scope`).
      return kind === 'okta' && err.providerCode === 'invalid_scope' ? RUN_PROBLEMS.oktaScopes : RUN_PROBLEMS.credentialRefused;
    case 'permission-denied':
      if (phase === 'attributes') return kind === 'entra' ? RUN_PROBLEMS.entraAttributesDenied : RUN_PROBLEMS.oktaAttributesDenied;
      return deniedProblem(kind);
    case 'invalid-argument':
    case 'conflict':
    case 'not-found':
      return phase === 'attributes' ? RUN_PROBLEMS.attributesRefused : RUN_PROBLEMS.other;
    default:
      return RUN_PROBLEMS.other;
  }
}

/** A run stopped after PERMISSION_DENIALS_TO_STOP updates in a row refused as not permitted (writeback.ts). */
export const deniedProblem = (kind: 'okta' | 'entra'): string => (kind === 'entra' ? RUN_PROBLEMS.entraUpdatesDenied : RUN_PROBLEMS.oktaUpdatesDenied);

/** Records a failed or stopped run (`problem`), or, with none, that the run went through everyone. */
export async function recordRunOutcome(store: Store, hubId: string, idp: string | undefined, at: string, problem: string | undefined): Promise<void> {
  const current = await store.get('writebackOutcomes', '', hubId);
  if (!problem && !current) return;
  await store.transact(async (tx) => {
    const before = await tx.get('writebackOutcomes', '', hubId);
    if (!problem || !idp) {
      if (before) tx.delete('writebackOutcomes', '', hubId);
      return;
    }
    const since = before && before.idp === idp ? before.since : at;
    tx.put('writebackOutcomes', '', hubId, { hubId, idp, problem, at, since });
  });
}
