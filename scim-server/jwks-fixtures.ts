/**
 * For tests of the surfaces that read a remote JWKS (jwks-reads.ts): a local JWKS endpoint on
 * 127.0.0.1 that counts its reads and can fail on purpose (503, or the connection cut before any
 * answer), an RS256 signing key with its public JWK, and a clock for Date only (the cool-downs,
 * jose's and coolingDownReads', read Date.now(); real timers still run the reads' time limits).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export type JwksMode = 'ok' | 'error' | 'cut';

export interface CountingJwks {
  url: string;
  /** Requests received since the last reset. */
  reads: number;
  mode: JwksMode;
  /** The keys answered in mode `ok`. */
  published: JWK[];
  reset(mode: JwksMode, published: JWK[]): void;
  close(): Promise<void>;
}

export async function countingJwks(): Promise<CountingJwks> {
  let server: Server;
  const state: CountingJwks = {
    url: '',
    reads: 0,
    mode: 'ok',
    published: [],
    reset(mode, published) { state.mode = mode; state.published = published; state.reads = 0; },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  server = createServer((req, res) => {
    state.reads += 1;
    if (state.mode === 'error') return res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
    if (state.mode === 'cut') return req.socket.destroy();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.published }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
  return state;
}

export interface SigningKey { privateKey: CryptoKey; jwk: JWK }

export async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** Date frozen at the present moment; the function returned moves it on by `ms`. */
export function frozenDate(t: TestContext): (ms: number) => void {
  let now = Date.now();
  t.mock.timers.enable({ apis: ['Date'], now });
  return (ms: number) => { now += ms; t.mock.timers.setTime(now); };
}

/** A kid no key set holds. */
export const unknownKid = () => `kid-${Math.random().toString(36).slice(2)}`;
