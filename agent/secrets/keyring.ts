import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { childLogger } from '../log/logger.ts';
import { makeDirs, makeDirsSync } from '../store/make-dirs.ts';
import { createSecretFile, createSecretFileSync } from './secret-file.ts';
import { secretFileExposure } from '../../config/secret-ref.ts';

const log = childLogger('secrets');

/** The key file's mode, said when others may read or change it (config/secret-ref.ts `secretFileExposure`). */
function warnIfExposed(path: string, st: { mode: number; uid: number }): void {
  const exposure = secretFileExposure(st);
  if (exposure !== undefined) log.warn(`secrets: the key file is ${exposure}; chmod 600 it`, { path, mode: (st.mode & 0o777).toString(8) });
}
const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM standard nonce size (NIST SP 800-38D §8.2)
const TAG_BYTES = 16; // the full GCM authentication tag
const PREFIX = 'hw1';

/** The key a key file holds: base64 of exactly KEY_BYTES bytes, else undefined. */
function keyOf(text: string): Buffer | undefined {
  const key = Buffer.from(text.trim(), 'base64');
  return key.length === KEY_BYTES && /^[A-Za-z0-9+/]+=*$/.test(text.trim()) ? key : undefined;
}

const notAKey = (path: string) => `secrets.keyFile: the key file ${path} does not hold a base64 ${KEY_BYTES}-byte key; restore it from a backup (values sealed with another key cannot be opened)`;

/**
 * The key in `secrets.keyFile`: it derives the admin tokens' audit labels and seals the OIDC
 * sign-in cookie (docs/operations.md says what it protects). The store holds no credentials
 * sealed with it today; `seal`/`open` are ready for any it comes to keep, so a copy of the store
 * file alone would reveal none of them.
 *
 * AES-256-GCM: authenticated, so a damaged or swapped value fails to open instead of decrypting to
 * garbage. A fresh random 96-bit nonce per seal. `context` (e.g. `hub:meta-main:accessToken`) is
 * bound as additional authenticated data, so a sealed value copied into another slot does not open.
 *
 * Sealed form: `hw1.<nonce>.<tag>.<ciphertext>`, base64url parts (plain JSON-safe text).
 */
export class Keyring {
  readonly #key: Buffer;
  /** The key file was created by this load (none was there): see `createdOverRecords`. */
  readonly created: boolean;

  private constructor(key: Buffer, created = false) {
    this.#key = key;
    this.created = created;
  }

  /** Reads the key file, or creates it (32 random bytes, mode 0600) on first start. */
  static async load(path: string): Promise<Keyring> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`secrets.keyFile: cannot read the key file ${path}: ${(err as NodeJS.ErrnoException).code}`);
      return Keyring.create(path);
    }
    const key = keyOf(text);
    if (!key) throw new Error(notAKey(path));
    warnIfExposed(path, await stat(path));
    return new Keyring(key);
  }

  private static async create(path: string): Promise<Keyring> {
    const key = randomBytes(KEY_BYTES);
    await makeDirs(dirname(path)).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`secrets.keyFile: cannot create the folder of the key file ${path}: ${err.code ?? err.message}`);
    });
    // Never over a key another process created meanwhile (its values would become unreadable),
    // and never left empty or partial by a write that failed (secret-file.ts).
    const created = await createSecretFile(path, `${key.toString('base64')}\n`).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`secrets.keyFile: cannot create the key file ${path}: ${err.code ?? 'error'}`);
    });
    if (!created) return Keyring.load(path);
    log.info('secrets: created a new key file', { path });
    return new Keyring(key, true);
  }

  /**
   * `load`, synchronously, for code that runs while routers are built (the admin tokens' audit
   * labels). A missing key file is created the same way, published with link(2) only once it holds
   * the key: a concurrent reader never sees it empty, and a key another process published first wins.
   */
  static loadSync(path: string): Keyring {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`secrets.keyFile: cannot read the key file ${path}: ${(err as NodeJS.ErrnoException).code}`);
      return Keyring.createSync(path);
    }
    const key = keyOf(text);
    if (!key) throw new Error(notAKey(path));
    warnIfExposed(path, statSync(path));
    return new Keyring(key);
  }

  private static createSync(path: string): Keyring {
    const key = randomBytes(KEY_BYTES);
    try {
      makeDirsSync(dirname(path));
    } catch (err) {
      throw new Error(`secrets.keyFile: cannot create the folder of the key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let created: boolean;
    try {
      created = createSecretFileSync(path, `${key.toString('base64')}\n`);
    } catch (err) {
      throw new Error(`secrets.keyFile: cannot create the key file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!created) return Keyring.loadSync(path);
    log.info('secrets: created a new key file', { path });
    return new Keyring(key, true);
  }

  /**
   * What is wrong with the key file, without creating it (`config validate`): unreadable, or not a
   * key. A missing file is fine: the first start creates it. The key itself is never in the message.
   */
  static problem(path: string): string | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? undefined : `secrets.keyFile: cannot read the key file ${path}: ${code}`;
    }
    return keyOf(text) ? undefined : notAKey(path);
  }

  /** A keyring from raw key bytes (tests). */
  static fromKey(key: Buffer): Keyring {
    if (key.length !== KEY_BYTES) throw new Error(`secrets: expected a ${KEY_BYTES}-byte key`);
    return new Keyring(Buffer.from(key));
  }

  /**
   * A keyring for one other purpose (e.g. `hubwarden oidc-pending-cookie v1`), its key derived from
   * the key file with HKDF-SHA256 (RFC 5869), the purpose as `info`: replicas sharing the key file
   * derive the same key, and the key file's own key is never used twice for unrelated data.
   */
  derive(purpose: string): Keyring {
    return new Keyring(Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), Buffer.from(purpose, 'utf8'), KEY_BYTES)));
  }

  /** HMAC-SHA-256 (RFC 2104) of `text` under this keyring's key: use a `derive`d keyring, never the key file's own key. */
  mac(text: string): Buffer {
    return createHmac('sha256', this.#key).update(text, 'utf8').digest();
  }

  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [PREFIX, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** The plaintext of a sealed value; throws (naming the context, never the value) if it does not open. */
  open(sealed: string, context = ''): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== PREFIX) throw new Error(`secrets: ${context || 'value'} is not a sealed secret`);
    try {
      // The full 16-byte tag only: GCM accepts shorter ones, and a 4-byte tag is a 32-bit
      // forgery check (NIST SP 800-38D §5.2.1.2, Appendix C).
      const tag = Buffer.from(parts[2]!, 'base64url');
      if (tag.length !== TAG_BYTES) throw new Error('short tag');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(parts[1]!, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`secrets: cannot open ${context || 'a sealed value'}: wrong key file, another slot's value, or damaged`);
    }
  }
}

/**
 * What the store keeps of a bearer token (SCIM, admin API): its SHA-256, hex. Tokens are long
 * random strings, so a fast unsalted hash is enough to make a leaked store file useless to
 * replay; a password hash (scrypt) would only slow every request.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares in constant time (crypto.timingSafeEqual over equal-length digests), so response time leaks nothing. */
export function tokenMatches(hash: string, candidate: string): boolean {
  const expected = Buffer.from(hash, 'hex');
  const actual = createHash('sha256').update(candidate, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
