/**
 * Shared setup for the write-back tests: a config that points one hub at Okta and one at Entra
 * (both emulators), a store seeded with directory users and app members, a clock that moves on
 * demand, and a logger that keeps what it was given (to check that no secret reaches a log).
 */
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import type { Logger } from '../log/logger.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import type { Store } from '../store/store.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { WritebackClock } from './pacing.ts';

export const OKTA_TOKEN = 'okta-ssws-token-do-not-log';
export const ENTRA = { tenantId: 'c0ffee00-1111-2222-3333-444455556666', clientId: 'a1b2c3d4-0000-1111-2222-333344445555', clientSecret: 'entra-secret-do-not-log', extensionAppId: 'e7e7e7e7-aaaa-bbbb-cccc-ddddeeeeffff' };
export const EXT_PREFIX = `extension_${ENTRA.extensionAppId.replace(/-/g, '')}_`;

export function writebackConfig(urls: { okta?: string; graph?: string }): LoadedConfig {
  const identityProviders: Record<string, unknown> = {};
  const hubs: unknown[] = [];
  if (urls.okta) {
    identityProviders.okta = { kind: 'okta', orgUrl: urls.okta, token: 'env:OKTA_TOKEN' };
    hubs.push({ id: 'meta-main', connector: 'meta-business', identityProvider: 'okta', meta: { businessId: '1001' } });
  }
  if (urls.graph) {
    identityProviders.entra = { kind: 'entra', ...ENTRA, clientSecret: 'env:ENTRA_SECRET', graphBaseUrl: urls.graph, authorityUrl: urls.graph };
    hubs.push({ id: 'ads-eu', connector: 'meta-business', identityProvider: 'entra', meta: { businessId: '1002' } });
  }
  hubs.push({ id: 'no-idp', connector: 'meta-business', meta: { businessId: '1003' } });
  return parseConfig(JSON.stringify({ identityProviders, hubs }), '/tmp/hubwarden-writeback-test.yaml', { OKTA_TOKEN, ENTRA_SECRET: ENTRA.clientSecret });
}

const T = '2026-11-20T10:00:00.000Z';

export function directoryUser(hubId: string, id: string, userName: string, extra: Partial<DirectoryUserRecord> = {}): DirectoryUserRecord {
  return { hubId, id, userName, active: true, email: userName, emails: [userName], scim: {}, created: T, lastModified: T, version: 1, ...extra };
}

export async function seededStore(hubId: string, users: DirectoryUserRecord[], members: Array<{ id: string; email: string; role: string }>): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.transact((tx) => {
    for (const u of users) tx.put('directoryUsers', hubId, u.id, u);
    for (const m of members) tx.put('appMembers', hubId, m.id, { hubId, ...m, firstSeenAt: T, lastSeenAt: T });
  });
  return store;
}

export function setMemberRole(store: MemoryStore, hubId: string, id: string, role: string): Promise<void> {
  return store.transact(async (tx) => {
    const m = (await tx.get('appMembers', hubId, id))!;
    tx.put('appMembers', hubId, id, { ...m, role });
  });
}

/** Real time plus an offset that `sleep` and `advance` move, so waits cost nothing. */
export function movableClock(): WritebackClock & { advance(ms: number): void; slept: number } {
  let offset = 0;
  const clock = {
    slept: 0,
    now: () => Date.now() + offset,
    sleep: async (ms: number) => { offset += ms; clock.slept += ms; },
    advance: (ms: number) => { offset += ms; },
  };
  return clock;
}

export function capturingLog(): Logger & { lines: unknown[] } {
  const lines: unknown[] = [];
  const at = (level: string) => (message: unknown, meta?: unknown) => { lines.push({ level, message, meta }); return log; };
  const log = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log } as unknown as Logger & { lines: unknown[] };
  return log;
}

/** Two PostgreSQL stores on one schema, as two replicas see it (the write-back replica tests). */
export async function twoReplicas(url: string, schema: string): Promise<{ a: Store; b: Store; close(): Promise<void> }> {
  const a = new PostgresStore({ url, schema, poolSize: 3 });
  await a.open();
  const b = new PostgresStore({ url, schema, poolSize: 3 });
  await b.open();
  return { a, b, close: async () => { await a.close(); await b.close(); } };
}
