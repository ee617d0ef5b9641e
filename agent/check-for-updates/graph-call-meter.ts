/**
 * Counts each hub's calls to the provider, fed by the connector context's `onCall` (one per HTTP
 * request; a Graph batch of 50 operations is one call, https://developers.facebook.com/docs/graph-api/batch-requests), so a check for updates
 * can put "Graph calls" in its run summary. Wire it where connectors are created:
 *
 *   const meter = createGraphCallMeter();
 *   createHubConnector(hub, config, { log, onCall: meter.onCall(hub.id) });
 *   createMemberService({ …, graphCalls: meter.calls });
 */
export interface GraphCallMeter {
  onCall(hubId: string): (call: { method: string; path: string; status: number; ms: number; operations?: number }) => void;
  calls(hubId: string): number;
}

export function createGraphCallMeter(): GraphCallMeter {
  const counts = new Map<string, number>();
  return {
    onCall: (hubId) => () => void counts.set(hubId, (counts.get(hubId) ?? 0) + 1),
    calls: (hubId) => counts.get(hubId) ?? 0,
  };
}
