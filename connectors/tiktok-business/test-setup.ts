/**
 * One emulator and connectors on it, for this connector's tests, the contract fixture and the
 * benchmarks: the same wiring `npm start` uses (the definition's config), pointed at 127.0.0.1:0.
 */
import type { ConnectorContext, HubConnector } from '../sdk/definition.ts';
import { createTikTokEmulator, TIKTOK_SANDBOX, type TikTokEmulator, type TikTokEmulatorOptions } from './emulator/index.ts';
import { createTikTokBusiness } from './connector.ts';
import { parseConfig, type LoadedConfig } from '../../config/load.ts';

export const silentLog: ConnectorContext['log'] = { debug() {}, info() {}, warn() {}, error() {} };

export interface TikTokTestBed {
  emulator: TikTokEmulator;
  url: string;
  connector(options?: { token?: string; timeoutMs?: number; pace?: { qps: number; qpm: number }; partners?: string[]; tokenUserId?: string; onCall?: ConnectorContext['onCall'] }): HubConnector;
  close(): Promise<void>;
}

export async function startTikTokTestBed(options: TikTokEmulatorOptions = {}): Promise<TikTokTestBed> {
  const emulator = createTikTokEmulator({ rateLimits: null, ...options });
  const { url, close } = await emulator.listen();
  return {
    emulator,
    url,
    connector: (o = {}) => createTikTokBusiness({
      businessCenterId: TIKTOK_SANDBOX.bcId,
      accessToken: o.token ?? TIKTOK_SANDBOX.token,
      apiBaseUrl: url,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      pace: o.pace ?? { qps: 1000, qpm: 60_000 },
      partners: (o.partners ?? []).map((businessCenterId) => ({ businessCenterId })),
      ...(o.tokenUserId ? { tokenUserId: o.tokenUserId } : {}),
    }, { log: silentLog, ...(o.onCall ? { onCall: o.onCall } : {}) }),
    close,
  };
}

/**
 * A loaded config of one TikTok hub `hub-t` (its owner team only) at `apiBaseUrl`, for the tests
 * outside this folder that build its connector the way `npm start` does (pacing, pauses, compose).
 * `https://sandbox-ads.tiktok.com` is the sandbox host, with its documented daily calls.
 */
export function tiktokHubConfig(apiBaseUrl: string, name: string): LoadedConfig {
  return parseConfig(`
hubs:
  - id: hub-t
    connector: tiktok-business
    tiktok: { businessCenterId: "7000000000000000001", accessToken: env:TOKEN, tokenUserId: "7100", apiBaseUrl: "${apiBaseUrl}" }
    teams:
      - { group: Admins, hubRole: owner, appRole: ADMIN }
`, `/tmp/hubwarden-${name}/hubwarden.yaml`, { TOKEN: `token-${name}-0123456789` });
}
