import type { LoadedConfig } from '../config/load.ts';
import { connectorBlock, type HubConfigFile } from '../config/schema.ts';
import { ConnectorError } from '../connectors/sdk/connector-error.ts';
import type { CallPaceLimits, ConnectorContext, ConnectorDefinition, HubConnector } from '../connectors/sdk/connector.ts';
import { connectorById } from '../connectors/registry.ts';

export interface HubConnectorOptions {
  /** Where each connector's built-in sandbox answers (by connector id), for hubs whose block asks for it. */
  sandboxUrls?: Readonly<Record<string, string>>;
  log: ConnectorContext['log'];
  onCall?: ConnectorContext['onCall'];
  /** A block the connector found by itself (ConnectorContext.onBlock), with the hub's id: see scope-blocks.ts connectorBlocksToStore. */
  onBlock?: (hubId: string, scope: string, untilMs: number) => void;
  /** The hub's call window shared by the replicas (ConnectorContext.callPace, with the hub's id): call-pace.ts. */
  callPace?: (hubId: string, limits: CallPaceLimits) => Promise<number | 'day-spent'>;
  fetch?: typeof fetch;
}

/** The definition of the hub's connector (`connector:`); the config schema admits only registered ones. */
export function definitionOf(hub: Pick<HubConfigFile, 'id' | 'connector'>): ConnectorDefinition {
  const definition = connectorById(hub.connector);
  if (!definition) throw new ConnectorError('invalid-argument', `hub ${hub.id}: unknown connector "${hub.connector}"`, { field: 'connector' });
  return definition;
}

/**
 * Builds the HubConnector for one hub from its config: the definition's `settings` resolves the
 * hub's block (secret references through `config.secret(ref).reveal()`, never logged; the
 * sandbox URL), then its `config` schema checks the result and `create` builds the instance.
 */
export function createHubConnector(hub: HubConfigFile, config: LoadedConfig, options: HubConnectorOptions): HubConnector {
  const definition = definitionOf(hub);
  const sandboxUrl = options.sandboxUrls?.[definition.id];
  const input = definition.settings({
    hubId: hub.id,
    block: connectorBlock(hub),
    partners: hub.partners,
    managedAssetTypes: [...new Set(hub.teams.flatMap((t) => t.assets.map((a) => a.type)))],
    secret: (ref) => config.secret(ref).reveal(),
    ...(sandboxUrl ? { sandboxUrl } : {}),
  });
  const parsed = definition.config.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConnectorError('invalid-argument', `hub ${hub.id}: connector ${definition.id} config: ${problems}`);
  }
  const { onBlock, callPace } = options;
  return definition.create(parsed.data, {
    log: options.log, ...(options.onCall ? { onCall: options.onCall } : {}), ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(onBlock ? { onBlock: (scope: string, untilMs: number) => onBlock(hub.id, scope, untilMs) } : {}),
    ...(callPace ? { callPace: (limits: CallPaceLimits) => callPace(hub.id, limits) } : {}),
  });
}
