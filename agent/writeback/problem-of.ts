import { isConnectorError } from '../../connectors/sdk/connector-error.ts';
import { OKTA_DEACTIVATED } from './okta-target.ts';
import type { WritebackProblem } from './writeback-state.ts';
import { LeaseLostError } from './lease-fence.ts';
import { TOKEN_ENDPOINT_UNAVAILABLE } from './target.ts';

/**
 * Which write-back failures are lasting problems about one person (recorded, reported, not
 * retried until the values change or a day passes) and which are passing (retried next run),
 * or stop the run altogether because no call can succeed (credentials refused, or no access token
 * to be had from the IdP's token endpoint).
 */
export type FailureClass = { problem: WritebackProblem['kind'] } | { stopRun: true } | { retryNextRun: true };

export function classifyFailure(err: unknown): FailureClass {
  // The run lost its lease on the hub before the request left (lease-fence.ts): nothing was sent.
  if (err instanceof LeaseLostError) return { stopRun: true };
  if (!isConnectorError(err)) return { retryNextRun: true };
  // The token endpoint is down (target.ts): every call needs a token, so the run stops, as for a
  // refused credential, but it is no refusal (kind `unavailable`, not `unauthenticated`).
  if (err.providerCode === TOKEN_ENDPOINT_UNAVAILABLE) return { stopRun: true };
  // Okta E0000023: "Operation failed because user profile is mastered under another system".
  if (err.providerCode === 'E0000023') return { problem: 'mastered-elsewhere' };
  // A deactivated Okta user, with the org setting that allows updating them off.
  if (err.providerCode === OKTA_DEACTIVATED) return { problem: 'deactivated' };
  switch (err.kind) {
    case 'not-found': return { problem: 'not-found' };
    case 'invalid-argument': return { problem: 'rejected' };
    // Per person: Entra refuses to let User.ReadWrite.All change privileged admins (403).
    case 'permission-denied': return { problem: 'permission-denied' };
    case 'unauthenticated': return { stopRun: true };
    default: return { retryNextRun: true };
  }
}
