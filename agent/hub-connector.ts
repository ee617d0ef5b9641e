import type { LoadedConfig } from '../config/load.ts';
import type { HubConfigFile } from '../config/schema.ts';
import { ConnectorError } from '../connectors/sdk/connector-error.ts';
import type { ConnectorContext, HubConnector } from '../connectors/sdk/connector.ts';
import { connectorById } from '../connectors/registry.ts';

/** The sandbox fixture's system-user token (connectors/meta-business/emulator fixture). */
export const SANDBOX_TOKEN = 'sandbox-system-user-token';
/** The sandbox fixture's partner business and its token (native partner demo). */
export const SANDBOX_PARTNER = { businessId: '2000000000000002', token: 'sandbox-partner-token' } as const;

export interface HubConnectorOptions {
  /** Where the built-in Meta emulator listens, for hubs with `graphBaseUrl: sandbox`. */
  sandboxGraphBaseUrl?: string;
  log: ConnectorContext['log'];
  onCall?: ConnectorContext['onCall'];
  fetch?: typeof fetch;
}

/**
 * Builds the HubConnector for one hub from its config: resolves secret references
 * (`config.secret(ref).reveal()`, never logged), points `sandbox` hubs at the emulator (with the
 * sandbox fixture token when none is configured), and passes partner tokens for native partners.
 */
export function createHubConnector(hub: HubConfigFile, config: LoadedConfig, options: HubConnectorOptions): HubConnector {
  const definition = connectorById(hub.connector);
  if (!definition) throw new ConnectorError('invalid-argument', `hub ${hub.id}: unknown connector "${hub.connector}"`, { field: 'connector' });
  const sandbox = hub.meta.graphBaseUrl === 'sandbox';
  let graphBaseUrl = hub.meta.graphBaseUrl;
  if (sandbox) {
    if (!options.sandboxGraphBaseUrl) {
      throw new ConnectorError('unavailable', `hub ${hub.id}: meta.graphBaseUrl is "sandbox" but the sandbox emulator is not running`);
    }
    graphBaseUrl = options.sandboxGraphBaseUrl;
  }
  const accessToken = hub.meta.accessToken ? config.secret(hub.meta.accessToken).reveal() : sandbox ? SANDBOX_TOKEN : undefined;
  if (!accessToken) {
    throw new ConnectorError('unauthenticated', `hub ${hub.id}: meta.accessToken is not set (a secret reference such as env:META_TOKEN)`, { field: 'meta.accessToken' });
  }
  const managedAssetTypes = [...new Set([
    ...hub.teams.flatMap((t) => t.assets.map((a) => a.type)),
  ])];
  const input = {
    businessId: hub.meta.businessId,
    accessToken,
    graphBaseUrl,
    apiVersion: hub.meta.apiVersion,
    managedAssetTypes,
    partners: hub.partners.map((p) => {
      const token = p.token ? config.secret(p.token).reveal() : sandbox && p.businessId === SANDBOX_PARTNER.businessId ? SANDBOX_PARTNER.token : undefined;
      return { businessId: p.businessId, ...(token ? { token } : {}) };
    }),
  };
  const parsed = definition.config.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConnectorError('invalid-argument', `hub ${hub.id}: connector ${definition.id} config: ${problems}`);
  }
  return definition.create(parsed.data, { log: options.log, ...(options.onCall ? { onCall: options.onCall } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
}
