import type { ConnectorDefinition } from './sdk/connector.ts';
import { metaBusiness } from './meta-business/definition.ts';

/**
 * Every connector hubwarden ships, listed explicitly (connectors are values: no discovery, no
 * globals). The only file outside `connectors/<app>/` that imports an app's folder; adding a
 * connector is its folder plus one line here (docs/adding-a-connector.md).
 */
export const connectors: readonly ConnectorDefinition[] = [metaBusiness];

export function connectorById(id: string): ConnectorDefinition | undefined {
  return connectors.find((c) => c.id === id);
}
