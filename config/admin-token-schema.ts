import { z } from 'zod';
import { secretRef } from './secret-ref.ts';

/**
 * One `server.adminTokens` entry: a secret reference (a token of every hub), or a token scoped to
 * some hubs, `{ token: env:PORTAL_TOKEN, hubs: [acme] }`. A scoped token sees and acts on its hubs
 * only (least privilege: a portal or an Okta Workflows connection of one hub is handed that hub,
 * not every hub); the admin API answers another hub as it answers one that does not exist.
 */
const scopedAdminToken = z.object({
  token: secretRef,
  hubs: z.array(z.string()).min(1, 'expected at least one hub id (a token of every hub is written as the secret reference alone)'),
}).strict();

export const adminTokenEntry = z.union([secretRef, scopedAdminToken], {
  error: 'expected a secret reference (env:NAME or file:PATH) or { token: <secret reference>, hubs: [<hub id>, …] }',
});

export type AdminTokenEntry = z.infer<typeof adminTokenEntry>;

/** The entry's secret reference. */
export const adminTokenRef = (entry: AdminTokenEntry): string => (typeof entry === 'string' ? entry : entry.token);

/** The hubs the entry's token is limited to; undefined: every hub. */
export const adminTokenHubs = (entry: AdminTokenEntry): readonly string[] | undefined => (typeof entry === 'string' ? undefined : entry.hubs);

/** Where the entry's secret reference sits in the file (`server.adminTokens[1]` or `server.adminTokens[1].token`). */
export const adminTokenPath = (entry: AdminTokenEntry, i: number): string => `server.adminTokens[${i}]${typeof entry === 'string' ? '' : '.token'}`;

/**
 * The scope's problems, each with its path: a hub id no hub has (a typo would leave the token
 * with fewer hubs than meant, or, once a hub of that id is added, hand it one nobody chose) and
 * a hub named twice.
 */
export function adminTokenScopeIssues(entries: readonly AdminTokenEntry[], hubIds: ReadonlySet<string>): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  entries.forEach((entry, i) => {
    const seen = new Set<string>();
    adminTokenHubs(entry)?.forEach((id, j) => {
      const path = ['server', 'adminTokens', i, 'hubs', j];
      if (seen.has(id)) out.push({ path, message: `hub "${id}" is named twice` });
      else if (!hubIds.has(id)) out.push({ path, message: `no hub with id "${id}" under hubs` });
      seen.add(id);
    });
  });
  return out;
}
