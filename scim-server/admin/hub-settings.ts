import type { LoadedConfig } from '../../config/load.ts';

/**
 * A hub's settings as an admin may read them: the config entry with every secret reference
 * replaced by a mask. The secret reference's name (`env:META_TOKEN`) is kept so an admin can tell which
 * secret a hub uses; the value never leaves the process.
 */
export function maskedHubSettings(config: LoadedConfig, hubId: string): Record<string, unknown> | undefined {
  const hub = config.file.hubs.find((h) => h.id === hubId);
  return hub ? (mask(hub) as Record<string, unknown>) : undefined;
}

const SECRET_REF = /^(env:|file:)/;

function mask(value: unknown): unknown {
  if (typeof value === 'string') return SECRET_REF.test(value) ? `[secret ${value}]` : value;
  if (Array.isArray(value)) return value.map(mask);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
  }
  return value;
}
