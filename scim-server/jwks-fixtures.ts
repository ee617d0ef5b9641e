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
import { jwksLog, type KeySetTiming } from './jwks-reads.ts';

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

/**
 * Presents a token (the `i`th of a burst) and says what became of it, throwing on any other
 * outcome. `counted`, where the surface has a failure limiter (scim-server/auth-failures.ts): how
 * many failed credentials it has counted since the surface was made.
 */
export type Present = ((token: string, i: number) => Promise<TokenOutcome>) & { counted?: () => number };

/** A surface that checks signed tokens against a remote JWKS, as keySetOutageTests drives it. */
export interface KeySetSubject {
  /** Plural nouns for the test names: what carries a token to the surface ('callouts'), and the tokens ('JWTs'). */
  requests: string;
  tokens: string;
  /** The timing of the surface's key set. */
  timing: KeySetTiming;
  /** A token the surface would accept if `key` were in its key set, signed with `key` under `kid`. */
  token(kid: string, key: CryptoKey): Promise<string>;
  /** A fresh surface whose key set, at `jwksUrl`, holds nothing yet. */
  fresh(jwksUrl: string): Present;
}

/**
 * Registers, in the current describe, the outage scenarios of a remote key set (jwks-reads.ts):
 * - the reads (docs/security.md entry 190): with no copy held or a copy held, the JWKS endpoint
 *   answering 503 or cutting the connection, bursts of 20 tokens (unknown kids, or a key not yet
 *   read) make one read per cool-down however many there are; the endpoint recovered, the first
 *   token past the cool-down reads it and is accepted, an unknown kid within jose's cool-down is a
 *   bad token (no read), and a key published later is read past it; a key in the copy held is
 *   still accepted during the outage;
 * - what a token gets (entry 192): keys not available ("try again"), counted by no failure
 *   limiter, while a token signed under a known kid with another key is a bad token, counted;
 * - stale-if-error (entry 193): past `maxAgeMs` with the endpoint failing, a key in the last good
 *   copy is accepted until `staleMs` after that copy was read (one warning, naming no token), then
 *   refused as keys not available until a read works; a key a read that worked no longer lists is
 *   refused, and stays so while later reads fail.
 */
export function keySetOutageTests(subject: KeySetSubject): void {
  const { timing, requests, tokens } = subject;
  const { cooldownMs, maxAgeMs, staleMs } = timing;
  let jwks: CountingJwks;
  let k1: SigningKey;

  before(async () => {
    jwks = await countingJwks();
    k1 = await signingKey('k1');
  });
  after(() => jwks.close());

  /** `n` tokens signed first, then presented at once, each its own; how many came to each outcome. */
  const burst = async (present: Present, kid: () => string, n = 20) => {
    const signed = await Promise.all(Array.from({ length: n }, () => subject.token(kid(), k1.privateKey)));
    const outcomes = await Promise.all(signed.map((token, i) => present(token, i)));
    const count = (o: TokenOutcome) => outcomes.filter((x) => x === o).length;
    return { accepted: count('accepted'), 'keys-unavailable': count('keys-unavailable'), refused: count('refused') };
  };
  const every = (o: TokenOutcome) => ({ accepted: 0, 'keys-unavailable': 0, refused: 0, [o]: 20 });
  const down = every('keys-unavailable');
  const up = every('accepted');
  const one = async (present: Present, kid: string, key = k1.privateKey) => present(await subject.token(kid, key), 0);

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
      assert.equal(await one(present, unknownKid()), 'refused', 'an unknown kid after a read that worked');
      const k2 = await signingKey('k2');
      jwks.published = [k1.jwk, k2.jwk];
      advance(cooldownMs + 1);
      assert.equal(await one(present, 'k2', k2.privateKey), 'accepted', 'k2, published since the last read');
      assert.equal(jwks.reads, 4);
    });

    test(`a copy held, the key endpoint ${how}: ${tokens} naming unknown kids read it once per cool-down, a key held is still accepted`, async (t) => {
      jwks.reset('ok', [k1.jwk]);
      const present = subject.fresh(jwks.url);
      const advance = frozenDate(t);
      assert.equal(await one(present, 'k1'), 'accepted');
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

    test(`the copy held past its max age, the key endpoint ${how}: a key in the last good copy is accepted for staleMs after it was read, with one warning, then refused`, async (t) => {
      const warn = t.mock.method(jwksLog, 'warn', () => jwksLog);
      const error = t.mock.method(jwksLog, 'error', () => jwksLog);
      jwks.reset('ok', [k1.jwk]);
      const present = subject.fresh(jwks.url);
      const advance = frozenDate(t);
      assert.equal(await one(present, 'k1'), 'accepted');
      jwks.mode = failing;
      advance(maxAgeMs + 1);
      const k1Token = await subject.token('k1', k1.privateKey);
      assert.deepEqual(await burst(present, () => 'k1'), up, 'k1 still accepted once the copy is older than maxAgeMs');
      assert.equal(await present(k1Token, 0), 'accepted');
      assert.equal(jwks.reads, 2, 'one read, which failed');
      assert.deepEqual(await burst(present, unknownKid), down, 'an unknown kid while the reads fail: keys not available');
      assert.equal(warn.mock.callCount(), 1, 'one warning');
      const logged = JSON.stringify(warn.mock.calls[0]!.arguments);
      assert.match(logged, /cannot be read/);
      assert.ok(!logged.includes(k1Token.split('.')[2]!) && !logged.includes(k1Token.split('.')[1]!), 'no token in the warning');
      advance(staleMs - maxAgeMs - 2); // the last good read was staleMs - 1 ago
      assert.deepEqual(await burst(present, () => 'k1'), up, 'within the bound');
      assert.equal(jwks.reads, 3, 'read again once the answered copy is maxAgeMs old, and failed');
      assert.equal(warn.mock.callCount(), 1, 'still one warning');
      advance(2); // past the bound
      assert.deepEqual(await burst(present, () => 'k1'), down, 'past the bound: keys not available');
      assert.equal(error.mock.callCount(), 1, 'one error once the bound passed');
      advance(cooldownMs + 1);
      assert.deepEqual(await burst(present, () => 'k1'), down);
      assert.equal(jwks.reads, 4, 'one read per cool-down past the bound');
      jwks.mode = 'ok';
      advance(cooldownMs + 1);
      assert.deepEqual(await burst(present, () => 'k1'), up, 'the endpoint back: accepted again');
      assert.equal(jwks.reads, 5);
    });

    test(`a key a successful read no longer lists is refused, and stays refused while later reads ${how === 'answering 503' ? 'answer 503' : 'are cut'}`, async (t) => {
      jwks.reset('ok', [k1.jwk]);
      const present = subject.fresh(jwks.url);
      const advance = frozenDate(t);
      assert.equal(await one(present, 'k1'), 'accepted');
      const k2 = await signingKey('k2');
      jwks.published = [k2.jwk]; // k1 rotated out (or revoked)
      advance(maxAgeMs + 1);
      assert.equal(await one(present, 'k1'), 'refused', 'k1, no longer listed by a read that worked: a bad token');
      assert.equal(await one(present, 'k2', k2.privateKey), 'accepted');
      assert.equal(jwks.reads, 2);
      jwks.mode = failing;
      advance(maxAgeMs + 1);
      assert.equal(await one(present, 'k2', k2.privateKey), 'accepted', 'k2, in the last good copy');
      assert.notEqual(await one(present, 'k1'), 'accepted', 'k1 is not taken back from an older copy');
      assert.equal(jwks.reads, 3);
    });
  }

  test(`the keys not available is not the caller's fault; a bad signature under a known kid is`, async (t) => {
    jwks.reset('error', [k1.jwk]);
    const present = subject.fresh(jwks.url);
    const advance = frozenDate(t);
    assert.deepEqual(await burst(present, () => 'k1'), down);
    advance(cooldownMs + 1);
    assert.deepEqual(await burst(present, unknownKid), down);
    if (present.counted) assert.equal(present.counted(), 0, 'no failed credential counted for tokens not judged');
    jwks.mode = 'ok';
    advance(cooldownMs + 1);
    const forged = await signingKey('k1');
    assert.equal(await one(present, 'k1', forged.privateKey), 'refused', 'signed with another key under the kid k1');
    if (present.counted) assert.equal(present.counted(), 1, 'the bad token is counted');
    assert.equal(await one(present, 'k1'), 'accepted');
  });
}
