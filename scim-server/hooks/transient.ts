/**
 * An error that says "not now" rather than "no": the store could not serve the agent
 * (agent/store/store-unavailable.ts: a database failover, a disk refusing a write) or the agent
 * answered `unavailable` (agent/agent-error.ts). Nothing was decided about the person, so the
 * hook event or callout must be acted on again, not recorded as refused: Okta does not deliver it
 * again once it heard 200 (https://developer.okta.com/docs/concepts/event-hooks/).
 */
export function isTransient(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { kind?: unknown }).kind === 'unavailable';
}
