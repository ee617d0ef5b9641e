/**
 * The TikTok connector of the end-to-end tests, built as agent/hub-connector.ts builds it (the
 * definition's `settings` on the hub's `tiktok:` block, its `config` schema, `create`), for a
 * developer app on TikTok's Ultimate tier (50 QPS, 3,000 QPM; "Rate limits",
 * https://business-api.tiktok.com/portal/docs/rate-limits/v1.3) instead of the Basic tier every
 * app starts on. The connector paces itself at half the tier, as it does by default for Basic
 * (connectors/tiktok-business/pacing.ts DEFAULT_PACE: 5 QPS against 10), and the emulator enforces
 * the tier, so a call past the pace is still throttled (40100) as before; only the waits are
 * shorter. At 5 QPS every check for updates (12 calls on the sandbox) waited 2 s for its turns and
 * a hub's start (18 calls) 3 s: most of these files' time. The pace is the connector config's
 * `pace` (tiktokBusinessConfig), which the YAML block has no key for (connector README #30), so it
 * is added here between `settings` and the schema, as the benchmarks pass it (test/bench).
 */
import type { LoadedConfig } from '../../config/load.ts';
import { connectorBlock, type HubConfigFile } from '../../config/schema.ts';
import type { CallPaceLimits, ConnectorContext, HubConnector } from '../../connectors/sdk/connector.ts';
import { tiktokBusiness } from '../../connectors/tiktok-business/definition.ts';
import { TIERS, type AppRateLimits } from '../../connectors/tiktok-business/emulator/index.ts';

/** The emulator's limits (its `rateLimits` option). */
export const E2E_TIER: AppRateLimits = TIERS.ultimate;
/** Half the tier, as DEFAULT_PACE is half of Basic. */
export const E2E_PACE = { qps: E2E_TIER.qps / 2, qpm: E2E_TIER.qpm / 2 };

export function pacedTikTokConnector(hub: HubConfigFile, config: LoadedConfig, options: {
  log: ConnectorContext['log'];
  callPace?: (hubId: string, limits: CallPaceLimits) => Promise<number | 'day-spent'>;
}): HubConnector {
  const input = tiktokBusiness.settings({
    hubId: hub.id,
    block: connectorBlock(hub) as Parameters<typeof tiktokBusiness.settings>[0]['block'],
    partners: hub.partners as Parameters<typeof tiktokBusiness.settings>[0]['partners'],
    managedAssetTypes: [...new Set(hub.teams.flatMap((t) => t.assets.map((a) => a.type)))],
    secret: (ref) => config.secret(ref).reveal(),
  });
  const { callPace } = options;
  return tiktokBusiness.create(tiktokBusiness.config.parse({ ...input, pace: E2E_PACE }), {
    log: options.log,
    ...(callPace ? { callPace: (limits: CallPaceLimits) => callPace(hub.id, limits) } : {}),
  });
}
