import { adminTokenRef } from '../config/admin-token-schema.ts';
import { relative, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.ts';

/**
 * What `npm start` prints once listening: where it listens, each hub's SCIM base URL and where its
 * token comes from (a file path or variable name, never the token itself).
 */
export function banner(config: LoadedConfig, listeningUrl: string, sandboxes: ReadonlyArray<{ description: string; url: string }> = []): string {
  const publicUrl = config.file.server.publicUrl.replace(/\/+$/, '');
  const lines = [`hubwarden listening on ${listeningUrl} (public URL ${publicUrl}, config ${config.path})`];
  const publicPort = new URL(publicUrl).port || (publicUrl.startsWith('https:') ? '443' : '80');
  const boundPort = new URL(listeningUrl).port;
  if (/^(localhost|127\.0\.0\.1|\[::1\])$/.test(new URL(publicUrl).hostname) && publicPort !== boundPort) {
    // e.g. PORT=9000 with the shipped config: the URLs below (and SCIM meta.location) still say
    // 8080, and so does the CLI, which reads server.publicUrl: say what to set, and where.
    const fixed = new URL(publicUrl);
    fixed.port = boundPort;
    const suggested = fixed.href.replace(/\/+$/, '');
    lines.push(`  note: server.publicUrl points at port ${publicPort} on this machine but hubwarden listens on ${boundPort}: the SCIM, admin API and dashboard URLs below (and the CLI) use server.publicUrl`);
    lines.push(`    set server.publicUrl: ${suggested} in ${config.path}; until then run the CLI with --url ${listeningUrl} (or HUBWARDEN_URL=${listeningUrl})`);
  }
  for (const hub of config.file.hubs) {
    lines.push(`  hub ${hub.id}: SCIM base URL ${publicUrl}/scim/v2/hubs/${hub.id}`);
    for (const ref of hub.scim.tokens) lines.push(`    SCIM token: ${whereFrom(config, ref)}`);
    if (hub.scim.jwt) lines.push(`    OAuth JWT bearer: issuer ${hub.scim.jwt.issuer}, audience ${hub.scim.jwt.audience}`);
    if (hub.scim.tokens.length === 0 && !hub.scim.jwt) lines.push('    no SCIM credential configured: every SCIM request is refused (set hubs[].scim.tokens)');
  }
  for (const e of config.file.server.adminTokens) lines.push(`  admin API ${publicUrl}/api/v1 token: ${whereFrom(config, adminTokenRef(e))}${typeof e === 'string' ? '' : ` (hubs ${e.hubs.join(', ')} only)`}`);
  lines.push(`  dashboard: ${publicUrl}/ui/ (sign in with the admin token${config.file.server.oidc ? ' or your identity provider' : ''})`);
  for (const s of sandboxes) lines.push(`  ${s.description}: ${s.url}`);
  lines.push(`  health: ${listeningUrl}/healthz`);
  return lines.join('\n');
}

function whereFrom(config: LoadedConfig, ref: string): string {
  if (ref.startsWith('env:')) return `environment variable ${ref.slice(4)}`;
  const path = resolve(config.baseDir, ref.slice(5));
  const shown = relative(process.cwd(), path);
  const display = shown.startsWith('..') ? path : shown;
  return `file ${display} (see it with: cat ${display})`;
}
