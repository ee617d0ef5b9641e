import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Router } from 'express';
import type { AddressInfo } from 'node:net';
import { parseConfig, type LoadedConfig } from '../../config/load.ts';

/** The admin tokens and hook secrets the test config references (env: secrets). */
export const TEST_ENV = {
  ADMIN_TOKEN: 'admin-token-for-tests-0123456789',
  SECOND_ADMIN_TOKEN: 'second-admin-token-abcdef',
  OKTA_HOOK_SECRET: 'okta-hook-secret-main',
  OKTA_EU_HOOK_SECRET: 'okta-hook-secret-eu',
  ENTRA_CLIENT_SECRET: 'entra-client-secret',
  META_TOKEN: 'EAAB-meta-token-never-shown',
};

/**
 * Where the test config's secrets key goes unless `extra` sets `secrets`: a temp folder of this
 * process, not the default `data/hubwarden.key`, which is the checkout's own data/ when tests run
 * from it (a key `npm start` then took for its own).
 */
let keyDir: string | undefined;
function testSecrets(extra: string): string {
  if (/^secrets:/m.test(extra)) return '';
  if (!keyDir) {
    const dir = mkdtempSync(join(tmpdir(), 'hubwarden-admin-test-key-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    keyDir = dir;
  }
  return `secrets: { keyFile: ${JSON.stringify(join(keyDir, 'hubwarden.key'))} }`;
}

export function testConfig(extra = '', betaShopIdp?: string): LoadedConfig {
  const text = `
${testSecrets(extra)}
server:
  publicUrl: http://hubwarden.test
  adminTokens: [env:ADMIN_TOKEN, env:SECOND_ADMIN_TOKEN]
identityProviders:
  okta:
    kind: okta
    orgUrl: https://acme.okta.example
    eventHookSecret: env:OKTA_HOOK_SECRET
  okta-eu:
    kind: okta
    orgUrl: https://acme-eu.okta.example
    eventHookSecret: env:OKTA_EU_HOOK_SECRET
${extra}
hubs:
  - id: acme-ads
    connector: meta-business
    identityProvider: okta
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams: [{ group: Sales, appRole: EMPLOYEE }]
  - id: beta-shop
    connector: meta-business
${betaShopIdp ? `    identityProvider: ${betaShopIdp}\n` : ''}    meta: { businessId: "2222222222" }
`;
  return parseConfig(text, '/tmp/hubwarden-test/hubwarden.yaml', { ...TEST_ENV });
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** Mounts routers on a fresh express app listening on 127.0.0.1:0. */
export async function serveRouters(mounts: Array<[string, Router]>): Promise<TestServer> {
  const app = express();
  for (const [path, router] of mounts) app.use(path, router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * The test config with an Entra IdP (app hubwarden-app-id) whose authority and Graph are at
 * `graphUrl`, so the Entra hook tests share one config text; `lifecycleWorkflows` is that block.
 */
export function entraConfigFor(graphUrl: string, { tenantId = 'tenant-1111', lifecycleWorkflows = '{ allowedAppIds: [relay-app], audience: api://hubwarden }' } = {}): LoadedConfig {
  return testConfig(`  entra:
    kind: entra
    tenantId: ${tenantId}
    clientId: hubwarden-app-id
    clientSecret: env:ENTRA_CLIENT_SECRET
    extensionAppId: ext-app
    graphBaseUrl: ${graphUrl}
    authorityUrl: ${graphUrl}
    lifecycleWorkflows: ${lifecycleWorkflows}`);
}

/**
 * The test config with an Entra IdP whose Lifecycle Workflows callouts are accepted from app
 * `relay` (Graph itself unreachable: the hook tests give their own resume); `lifecycle` is the
 * inside of `lifecycleWorkflows: { … }` after `allowedAppIds`.
 */
export function entraHookConfig(lifecycle = ''): LoadedConfig {
  return entraConfigFor('http://127.0.0.1:9', { lifecycleWorkflows: `{ allowedAppIds: [relay]${lifecycle ? `, ${lifecycle}` : ''} }` });
}
