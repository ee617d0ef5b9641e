import { isStoreContention } from '../../agent/store/store-contention.ts';

/**
 * An error that says "not now" rather than "no": the store could not serve the agent
 * (agent/store/store-unavailable.ts: a database failover, a disk refusing a write), the agent
 * answered `unavailable` (agent/agent-error.ts), or a transaction gave up on contention
 * (agent/store/store-contention.ts: kind `conflict`, nothing written, the same request may go
 * again; PostgreSQL serialization failures, https://www.postgresql.org/docs/current/transaction-iso.html,
 * most likely when Okta pushes many users while a wave of deactivations arrives). Nothing was
 * decided about the person, so the hook event or callout must be acted on again, not recorded as
 * refused: Okta does not deliver it again once it heard 200 (https://developer.okta.com/docs/concepts/event-hooks/).
 */
export function isTransient(err: unknown): boolean {
  return isStoreContention(err) || (typeof err === 'object' && err !== null && (err as { kind?: unknown }).kind === 'unavailable');
}
