/**
 * For tests of the surfaces that read a remote JWKS (jwks-reads.ts): a local JWKS endpoint on
 * 127.0.0.1 that counts its reads and can fail on purpose (503, or the connection cut before any
 * answer), an RS256 signing key with its public JWK, a clock for Date only (the cool-downs,
 * jose's and coolingDownReads', read Date.now(); real timers still run the reads' time limits), and
 * the outage scenarios every such surface must pass (keySetOutageTests).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
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


/** What became of one token: let in, refused as keys not available (not judged: "try again"), or refused as a bad token. */
export type TokenOutcome = 'accepted' | 'keys-unavailable' | 'refused';

/** A surface that checks signed tokens against a remote JWKS, as keySetOutageTests drives it. */
export interface KeySetSubject {
  /** Plural nouns for the test names: what carries a token to the surface ('callouts'), and the tokens ('JWTs'). */
  requests: string;
  tokens: string;
  /** The cool-down of the surface's key set (its KeySetTiming.cooldownMs). */
  cooldownMs: number;
  /**
   * What a token needing a read gets while the keys cannot be read: 'keys-unavailable' where the
   * surface tells that apart from a bad token, 'refused' where it answers both alike.
   */
  outage: Exclude<TokenOutcome, 'accepted'>;
  /** A token the surface would accept if `key` were in its key set, signed with `key` under `kid`. */
  token(kid: string, key: CryptoKey): Promise<string>;
  /**
   * A fresh surface whose key set, at `jwksUrl`, holds nothing yet; answers a function that presents
   * a token (the `i`th of a burst) and says what became of it, throwing on any other outcome.
   */
  fresh(jwksUrl: string): (token: string, i: number) => Promise<TokenOutcome>;
}

/**
 * Registers, in the current describe, the outage scenarios of a remote key set (docs/security.md
 * entry 190, jwks-reads.ts): with no copy held or a copy held, the JWKS endpoint answering 503 or
 * cutting the connection, bursts of 20 tokens (unknown kids, or a key not yet read) make one read
 * per cool-down however many there are; the endpoint recovered, the first token past the cool-down
 * reads it and is accepted, an unknown kid within jose's cool-down is a bad token (no read), and a
 * key published later is read past it; a key in the copy held is still accepted during the outage.
 */
export function keySetOutageTests(subject: KeySetSubject): void {
  const { cooldownMs, requests, tokens } = subject;
  let jwks: CountingJwks;
  let k1: SigningKey;

  before(async () => {
    jwks = await countingJwks();
    k1 = await signingKey('k1');
  });
  after(() => jwks.close());

  type Present = ReturnType<KeySetSubject['fresh']>;
  /** `n` tokens signed first, then presented at once, each its own; how many came to each outcome. */
  const burst = async (present: Present, kid: () => string, n = 20) => {
    const signed = await Promise.all(Array.from({ length: n }, () => subject.token(kid(), k1.privateKey)));
    const outcomes = await Promise.all(signed.map((token, i) => present(token, i)));
    const count = (o: TokenOutcome) => outcomes.filter((x) => x === o).length;
    return { accepted: count('accepted'), 'keys-unavailable': count('keys-unavailable'), refused: count('refused') };
  };
  const every = (o: TokenOutcome) => ({ accepted: 0, 'keys-unavailable': 0, refused: 0, [o]: 20 });
  const down = every(subject.outage);
  const up = every('accepted');

  for (const failing of ['error', 'cut'] as const satisfies JwksMode[]) {
    const how = failing === 'error' ? 'answering 503' : 'cutting the connection';

    test(`no copy held, the key endpoint ${how}: one read per cool-down however many ${requests}`, async (t) => {
      jwks.reset(failing, [k1.jwk]);
      const present = subject.fresh(jwks.url);
      const advance = frozenDate(t);
      assert.deepEqual(await burst(present, unknownKid), down);
      assert.equal(jwks.reads, 1, `one read shared by the ${requests} arriving together`);
      for (let i = 0; i < 3; i++) assert.deepEqual(await burst(present, () => 'k1'), down);
      advance(cooldownMs - 1);
      assert.deepEqual(await burst(present, unknownKid), down);
      assert.equal(jwks.reads, 1, 'within the cool-down of the failed read: not read again');
      advance(2);
      assert.deepEqual(await burst(present, unknownKid), down);
      assert.deepEqual(await burst(present, unknownKid), down);
      assert.equal(jwks.reads, 2, 'past it: one more read');
      // The endpoint recovers: the first token past the cool-down reads it and is accepted.
      jwks.mode = 'ok';
      advance(cooldownMs + 1);
      assert.deepEqual(await burst(present, () => 'k1'), up);
      assert.equal(jwks.reads, 3);
      // After a read that worked, jose's cool-down holds: an unknown kid within it is a bad token
      // (not keys unavailable), and a key published since is read at the first token past it.
      assert.equal(await present(await subject.token(unknownKid(), k1.privateKey), 0), 'refused', 'an unknown kid after a read that worked');
      const k2 = await signingKey('k2');
      jwks.published = [k1.jwk, k2.jwk];
      advance(cooldownMs + 1);
      assert.equal(await present(await subject.token('k2', k2.privateKey), 0), 'accepted', 'k2, published since the last read');
      assert.equal(jwks.reads, 4);
    });

    test(`a copy held, the key endpoint ${how}: ${tokens} naming unknown kids read it once per cool-down, a key held is still accepted`, async (t) => {
      jwks.reset('ok', [k1.jwk]);
      const present = subject.fresh(jwks.url);
      const advance = frozenDate(t);
      assert.equal(await present(await subject.token('k1', k1.privateKey), 0), 'accepted');
      assert.equal(jwks.reads, 1);
      jwks.mode = failing;
      advance(cooldownMs + 1);
      assert.deepEqual(await burst(present, unknownKid), down);
      assert.equal(jwks.reads, 2, 'one read for the first burst');
      for (let i = 0; i < 3; i++) assert.deepEqual(await burst(present, unknownKid), down);
      advance(cooldownMs - 1);
      assert.deepEqual(await burst(present, unknownKid), down);
      assert.equal(jwks.reads, 2, 'no read within the cool-down of the failed one');
      assert.deepEqual(await burst(present, () => 'k1'), up, 'k1, in the copy held, is still accepted');
      advance(2);
      assert.deepEqual(await burst(present, unknownKid), down);
      assert.deepEqual(await burst(present, unknownKid), down);
      assert.equal(jwks.reads, 3, 'one read per cool-down');
    });
  }
}
