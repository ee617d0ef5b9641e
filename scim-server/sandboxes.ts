import type { IncomingMessage } from 'node:http';
import { connectorBlock, type HubConfigFile } from '../config/schema.ts';
import type { SandboxPersistence } from '../connectors/sdk/definition.ts';
import { usedSandboxes } from '../agent/sandbox-world.ts';
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
export async function createSandboxes(
  hubs: readonly HubConfigFile[],
  controlAuth: (req: IncomingMessage) => boolean,
  persistFor?: (connectorId: string) => SandboxPersistence,
): Promise<{ sandboxes: MountedSandbox[]; routers: MountedRouter[]; close(): Promise<void> }> {
  const sandboxes: MountedSandbox[] = [];
  const routers: MountedRouter[] = [];
  const closers: Array<() => Promise<void>> = [];
  for (const definition of usedSandboxes(hubs)) {
    const sandbox = definition.sandbox!;
    const created = await sandbox.create({ controlAuth, persist: persistFor?.(definition.id) });
    sandboxes.push({ connectorId: definition.id, path: sandbox.path, description: sandbox.description });
    routers.push({ path: sandbox.path, router: created.handler as MountedRouter['router'] });
    if (created.close) closers.push(created.close);
  }
  // each writes its world's last changes; all are tried, the first failure is reported
  const close = async () => {
    const results = await Promise.allSettled(closers.map((c) => c()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  return { sandboxes, routers, close };
}

/** Connector id → the sandbox's URL on this server, once it listens at `baseUrl`. */
export function sandboxUrls(sandboxes: readonly MountedSandbox[], baseUrl: string): Record<string, string> {
  return Object.fromEntries(sandboxes.map((s) => [s.connectorId, `${baseUrl}${s.path}`]));
}
