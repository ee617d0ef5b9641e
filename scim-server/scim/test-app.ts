import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Store } from '../../agent/store/store.ts';
import type { Logger } from '../../agent/log/logger.ts';
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import type { FailureLimiter } from '../auth-failures.ts';
import { createScimRouter } from './router.ts';

/**
 * A SCIM server for tests, benchmarks and conformance runs: the real router on 127.0.0.1, port 0.
 * Each hub gets the bearer token `token-<hubId>` through an `env:` secret reference.
 */
export interface ScimTestApp {
  url: string;
  store: Store;
  config: LoadedConfig;
  hubUrl(hubId: string): string;
  token(hubId: string): string;
  close(): Promise<void>;
}

export interface ScimTestAppOptions {
  hubs: Array<{ id: string; identityProvider?: 'okta' | 'entra'; jwt?: { issuer: string; audience: string; jwksUrl: string } }>;
  store?: Store;
  failures?: FailureLimiter;
  /** `server.trustProxy` (express 'trust proxy'); default false. */
  trustProxy?: boolean | number | string | string[];
  /** The router's logger (default: the service's). */
  log?: Logger;
}

/**
 * The secrets key of test configs, in a temp folder of this process: the default
 * (`data/hubwarden.key`, against the working directory) put a key made by tests into the
 * checkout's data/, where `npm start` then found it and took it for its own.
 */
let keyDir: string | undefined;
function testKeyFile(): string {
  if (!keyDir) {
    const dir = mkdtempSync(join(tmpdir(), 'hubwarden-scim-test-key-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    keyDir = dir;
  }
  return join(keyDir, 'hubwarden.key');
}

export function testConfig(options: ScimTestAppOptions): LoadedConfig {
  const env: NodeJS.ProcessEnv = {};
  // Each hub its own sandbox business: two hubs on one business are refused (config/schema.ts).
  const hubs = options.hubs.map((h, n) => {
    const name = `SCIM_TOKEN_${h.id.toUpperCase().replace(/-/g, '_')}`;
    env[name] = `token-${h.id}`;
    return {
      id: h.id,
      connector: 'meta-business',
      ...(h.identityProvider ? { identityProvider: h.identityProvider } : {}),
      meta: { businessId: String(1234567890 + n), graphBaseUrl: 'sandbox' },
      scim: { tokens: [`env:${name}`], ...(h.jwt ? { jwt: h.jwt } : {}) },
    };
  });
  const file = {
    secrets: { keyFile: testKeyFile() },
    identityProviders: {
      okta: { kind: 'okta', orgUrl: 'https://acme.okta.example' },
      entra: { kind: 'entra', tenantId: 't', clientId: 'c', clientSecret: 'env:ENTRA_SECRET', extensionAppId: 'x' },
    },
    hubs,
  };
  env.ENTRA_SECRET = 'entra-secret';
  return parseConfig(JSON.stringify(file), '/virtual/hubwarden.yaml', env);
}

export async function startScimApp(options: ScimTestAppOptions): Promise<ScimTestApp> {
  const config = testConfig(options);
  const store = options.store ?? new MemoryStore();
  const app = express();
  app.set('trust proxy', options.trustProxy ?? false);
  // As createApp (app.ts): no ETag computed from a body; a resource's ETag is its version.
  app.set('etag', false);
  app.use('/scim/v2', createScimRouter({ config, store, failures: options.failures, ...(options.log ? { log: options.log } : {}) }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    config,
    hubUrl: (hubId) => `${url}/scim/v2/hubs/${hubId}`,
    token: (hubId) => `token-${hubId}`,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}

export interface ScimReply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** One SCIM request with the hub's token (unless `authorization` is given in headers). */
export async function scimRequest(
  app: ScimTestApp,
  hubId: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ScimReply> {
  const res = await fetch(`${app.hubUrl(hubId)}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${app.token(hubId)}`,
      ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }).catch((err: Error & { cause?: { code?: string; message?: string } }) => {
    // undici's "fetch failed" hides why in `cause` (a reset, a timeout), which a test report drops.
    throw new Error(`${method} ${path}: ${err.message} (${err.cause?.code ?? ''} ${err.cause?.message ?? ''})`, { cause: err });
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
