import type { IncomingMessage } from 'node:http';
import { connectorBlock, type HubConfigFile } from '../config/schema.ts';
import { connectors } from '../connectors/registry.ts';
import type { MountedRouter } from './app.ts';

/** A connector's built-in emulator mounted on hubwarden's own server. */
export interface MountedSandbox {
  connectorId: string;
  path: string;
  description: string;
}

/**
 * The sandboxes `npm start` serves: one per connector that has one and that some hub points at
 * (its definition's `sandbox.usedBy(block)`), mounted at the definition's path. Their control
 * endpoints answer only to requests `controlAuth` admits (an admin token).
 */
export async function createSandboxes(hubs: readonly HubConfigFile[], controlAuth: (req: IncomingMessage) => boolean): Promise<{ sandboxes: MountedSandbox[]; routers: MountedRouter[] }> {
  const sandboxes: MountedSandbox[] = [];
  const routers: MountedRouter[] = [];
  for (const definition of connectors) {
    const sandbox = definition.sandbox;
    if (!sandbox || !hubs.some((h) => h.connector === definition.id && sandbox.usedBy(connectorBlock(h)))) continue;
    const { handler } = await sandbox.create({ controlAuth });
    sandboxes.push({ connectorId: definition.id, path: sandbox.path, description: sandbox.description });
    routers.push({ path: sandbox.path, router: handler as MountedRouter['router'] });
  }
  return { sandboxes, routers };
}

/** Connector id → the sandbox's URL on this server, once it listens at `baseUrl`. */
export function sandboxUrls(sandboxes: readonly MountedSandbox[], baseUrl: string): Record<string, string> {
  return Object.fromEntries(sandboxes.map((s) => [s.connectorId, `${baseUrl}${s.path}`]));
}
