import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hashToken, Keyring, tokenMatches } from './keyring.ts';
import { TS_IMPORT } from '../../test/child-node.ts';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-keyring-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('Keyring', () => {
  test('creates the key file on first start (32 bytes, mode 0600) and reuses it afterwards', async (t) => {
    const path = join(await tempDir(t), 'nested', 'hubwarden.key');
    const first = await Keyring.load(path);
    const { mode } = await stat(path);
    assert.equal(mode & 0o777, 0o600);
    assert.equal(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64').length, 32);
    const sealed = first.seal('EAAB-meta-token', 'hub:sandbox:accessToken');
    const second = await Keyring.load(path);
    assert.equal(second.open(sealed, 'hub:sandbox:accessToken'), 'EAAB-meta-token');
  });

  test('loadSync creates the key file like load (mode 0600) and both read the same key', async (t) => {
    const path = join(await tempDir(t), 'nested', 'hubwarden.key');
    const first = Keyring.loadSync(path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const sealed = first.seal('EAAB-meta-token', 'ctx');
    assert.equal((await Keyring.load(path)).open(sealed, 'ctx'), 'EAAB-meta-token');
    assert.deepEqual(Keyring.loadSync(path).derive('p').mac('x'), first.derive('p').mac('x'));
    assert.notDeepEqual(first.derive('q').mac('x'), first.derive('p').mac('x'));
  });

  test('sealed values hide the plaintext, differ each time, and open only with the same key and context', () => {
    const ring = Keyring.fromKey(Buffer.alloc(32, 7));
    const a = ring.seal('s3cret-value', 'hub:a:token');
    const b = ring.seal('s3cret-value', 'hub:a:token');
    assert.notEqual(a, b);
    assert.ok(!a.includes('s3cret'));
    assert.match(a, /^hw1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(ring.open(a, 'hub:a:token'), 's3cret-value');
    assert.throws(() => ring.open(a, 'hub:b:token'), /cannot open hub:b:token/);
    assert.throws(() => Keyring.fromKey(Buffer.alloc(32, 8)).open(a, 'hub:a:token'), /wrong key file/);
    const tampered = a.slice(0, -2) + (a.endsWith('A') ? 'BB' : 'AA');
    assert.throws(() => ring.open(tampered, 'hub:a:token'), (err: Error) => !err.message.includes('s3cret'));
    assert.throws(() => ring.open('plain', 'x'), /not a sealed secret/);
  });

  test('a sealed value whose authentication tag was cut short does not open', () => {
    const ring = Keyring.fromKey(Buffer.alloc(32, 7));
    const [prefix, iv, tag, body] = ring.seal('meta-access-token', 'hub:acme').split('.');
    const cut = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
    assert.throws(() => ring.open([prefix, iv, cut, body].join('.'), 'hub:acme'), /cannot open hub:acme/);
    assert.equal(ring.open([prefix, iv, tag, body].join('.'), 'hub:acme'), 'meta-access-token');
  });

  test('a key file with the wrong content stops start-up with a clear message and is not replaced', async (t) => {
    const path = join(await tempDir(t), 'hubwarden.key');
    await writeFile(path, 'too-short\n', { mode: 0o600 });
    await assert.rejects(Keyring.load(path), (err: Error) => err.message.includes(path) && /32-byte key/.test(err.message));
    assert.equal(await readFile(path, 'utf8'), 'too-short\n');
  });

  test('a key file that cannot be read or created is named by its config key (secrets.keyFile) and path, and nothing is written', async (t) => {
    const dir = await tempDir(t);
    const notAFolder = join(dir, 'plain-file');
    await writeFile(notAFolder, 'x');
    const cases: Array<[string, RegExp]> = [
      [dir, /^secrets\.keyFile: cannot read the key file \S+: EISDIR$/],
      [join(notAFolder, 'hubwarden.key'), /^secrets\.keyFile: cannot read the key file \S+: ENOTDIR$/],
      [join(notAFolder, 'sub', 'hubwarden.key'), /^secrets\.keyFile: cannot read the key file \S+: ENOTDIR$/],
    ];
    for (const [path, pattern] of cases) {
      await assert.rejects(Keyring.load(path), (err: Error) => pattern.test(err.message) && err.message.includes(path), path);
    }
    assert.equal(await readFile(notAFolder, 'utf8'), 'x', 'untouched');
    const short = join(dir, 'short.key');
    await writeFile(short, 'too-short\n', { mode: 0o600 });
    await assert.rejects(Keyring.load(short), (err: Error) => /^secrets\.keyFile: the key file \S+ does not hold a base64 32-byte key/.test(err.message));
  });
});

describe('Keyring: a first start that cannot write the new key', () => {
  test('leaves no key file behind (disk full: no empty key the next start would ask to "restore from a backup")', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'hubwarden.key');
    const keyring = fileURLToPath(new URL('./keyring.ts', import.meta.url));
    // A process whose writes are refused past 0 bytes (RLIMIT_FSIZE, as on a full disk) creates the key.
    const script = `const { Keyring } = await import(${JSON.stringify(keyring)}); await Keyring.load(${JSON.stringify(path)}).catch(() => process.exit(3));`;
    const child = spawnSync('sh', ['-c', `ulimit -f 0; exec "${process.execPath}" --import "${TS_IMPORT}" --input-type=module -e '${script}'`], { encoding: 'utf8' });
    assert.equal(child.status, 3, `the key could not be written: ${child.stderr}`);
    await assert.rejects(stat(path), { code: 'ENOENT' }, 'no empty or partial key file');
    // The next start creates a key as on a first start.
    const ring = await Keyring.load(path);
    assert.equal(ring.open(ring.seal('x', 'c'), 'c'), 'x');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });
});

describe('token hashes', () => {
  test('hashToken is SHA-256 hex and tokenMatches accepts only the same token', () => {
    const hash = hashToken('scim-token-abc');
    // sha256sum of the same bytes, computed outside node
    assert.equal(hash, 'd28c3f4c145058ffe9119d6da67899fd6f2721e328ea3b12b299f1159e664d66');
    assert.equal(tokenMatches(hash, 'scim-token-abc'), true);
    assert.equal(tokenMatches(hash, 'scim-token-abd'), false);
    assert.equal(tokenMatches(hash, ''), false);
    assert.equal(tokenMatches('not-hex', 'scim-token-abc'), false);
  });
});
