import type { ConnectorDefinition } from './sdk/connector.ts';
import { metaBusiness } from './meta-business/connector.ts';

/** Every connector hubwarden ships, listed explicitly (design brief, idea 5: connectors are values). */
export const connectors: readonly ConnectorDefinition[] = [metaBusiness];

export function connectorById(id: string): ConnectorDefinition | undefined {
  return connectors.find((c) => c.id === id);
}
