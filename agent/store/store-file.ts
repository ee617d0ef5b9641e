/**
 * The lowdb store's snapshot file and its serialization cache.
 *
 * The snapshot is one JSON document (readable by lowdb's `JSONFile`, `jq`, or a person):
 *
 *   {"format":"hubwarden-store/2","seq":42,"journal":true,"collections":{
 *   "directoryUsers":{"acme":[
 *   ["id-1",{…}],
 *   ["id-2",{…}]]}},"checksum":"9a3b04f1"}
 *
 * `seq` is the last journal commit it includes (journal.ts). `journal` says whether a journal must
 * exist beside it (true for every snapshot a running store writes; false only for the one a clean
 * `close` writes after folding the journal in), so a deleted or emptied journal is found instead
 * of silently dropping the commits after `seq`. `checksum` is the CRC-32 of every byte before
 * `,"checksum"`; a snapshot that fails it is refused (its records cannot be trusted). Partitions are arrays of [id, record]
 * pairs, not objects, because a JS object moves integer-like keys (Meta ids are numeric) to the
 * front, which would change the insertion order SCIM paging relies on after a restart.
 *
 * WHY the cache: with 100k users the document is ~85 MB; JSON.stringify of all of it costs
 * hundreds of ms of CPU with the event loop blocked. Every record keeps its serialized line
 * (reused for the journal entry), and lines are grouped in chunks of CHUNK_SIZE records whose
 * encoded bytes are kept too. A snapshot re-encodes only chunks changed since the last one, in
 * slices that yield to the event loop, and is written from the cached buffers (writev).
 */
import { crc32 } from 'node:zlib';
import { hex } from './journal.ts';
import { jsonFault } from '../../connectors/sdk/json-fault.ts';

export const STORE_FORMAT = 'hubwarden-store/2';
/** The first format (no checksum, no journal flag); still read, so an upgraded store opens. */
export const LEGACY_STORE_FORMAT = 'hubwarden-store/1';
const CHUNK_SIZE = 128;
/** Longest stretch of snapshot encoding between yields to the event loop. */
const SLICE_MS = 4;

interface Chunk {
  /** id → serialized `["id",{record}]`, in insertion order. */
  lines: Map<string, string>;
  encoded: Buffer | null;
  /** Bumped on every change, so an encoding started earlier is not cached over a newer state. */
  version: number;
}

interface PartitionFile {
  chunks: Chunk[];
  chunkOf: Map<string, Chunk>;
}

/** A consistent picture of the document taken at one instant: cached buffers, or lines to encode. */
export type CapturedDocument = Array<Buffer | { chunk: Chunk; version: number; lines: string[] }>;

const enc = (s: string) => Buffer.from(s, 'utf8');
const COMMA = enc(',\n');
const CLOSE_ARRAY = enc(']');
const CLOSE_OBJECT = enc('}');

export class SerializedStore {
  private collections = new Map<string, Map<string, PartitionFile>>();

  /** Records the new serialized form of a record (or its removal); returns the serialized pair. */
  set(collection: string, partition: string, id: string, record: unknown): string | undefined {
    return this.setLine(collection, partition, id, record === undefined ? undefined : JSON.stringify([id, record]));
  }

  /** As `set`, with the pair already serialized (`undefined` removes the record). */
  setLine(collection: string, partition: string, id: string, line: string | undefined): string | undefined {
    let parts = this.collections.get(collection);
    if (!parts) this.collections.set(collection, (parts = new Map()));
    let file = parts.get(partition);
    if (!file) parts.set(partition, (file = { chunks: [], chunkOf: new Map() }));
    const existing = file.chunkOf.get(id);
    if (line === undefined) {
      if (!existing) return undefined;
      existing.lines.delete(id);
      touch(existing);
      file.chunkOf.delete(id);
      if (existing.lines.size === 0) file.chunks.splice(file.chunks.indexOf(existing), 1);
      return undefined;
    }
    if (existing) {
      existing.lines.set(id, line); // an update keeps its place, as MemoryStore's Map does
      touch(existing);
      return line;
    }
    let tail = file.chunks[file.chunks.length - 1];
    if (!tail || tail.lines.size >= CHUNK_SIZE) file.chunks.push((tail = { lines: new Map(), encoded: null, version: 0 }));
    tail.lines.set(id, line);
    touch(tail);
    file.chunkOf.set(id, tail);
    return line;
  }

  /**
   * Takes the document as it is now, cheaply (string references, no joining), so that later
   * transactions cannot leak into a snapshot being written. `seq` is the last journaled commit.
   */
  capture(seq: number, journal = true): CapturedDocument {
    const out: CapturedDocument = [enc(`{"format":${JSON.stringify(STORE_FORMAT)},"seq":${seq},"journal":${journal},"collections":{`)];
    let firstCollection = true;
    for (const [collection, parts] of this.collections) {
      let opened = false;
      for (const [partition, file] of parts) {
        if (file.chunks.length === 0) continue;
        out.push(enc(`${opened ? ',' : `${firstCollection ? '' : ','}\n${JSON.stringify(collection)}:{`}\n${JSON.stringify(partition)}:[\n`));
        opened = true;
        firstCollection = false;
        file.chunks.forEach((chunk, i) => {
          if (i > 0) out.push(COMMA);
          out.push(chunk.encoded ?? { chunk, version: chunk.version, lines: [...chunk.lines.values()] });
        });
        out.push(CLOSE_ARRAY);
      }
      if (opened) out.push(CLOSE_OBJECT);
    }
    out.push(CLOSE_OBJECT);
    return out;
  }

  /**
   * Encodes a captured document, yielding to the event loop between slices so that SCIM requests
   * keep being served while a large snapshot is prepared. Encoded chunks are cached for the next
   * snapshot unless they changed meanwhile.
   */
  async encode(captured: CapturedDocument): Promise<Buffer[]> {
    const out: Buffer[] = [];
    let sum = 0;
    let sliceStart = performance.now();
    for (const part of captured) {
      let bytes: Buffer;
      if (Buffer.isBuffer(part)) bytes = part;
      else {
        bytes = enc(part.lines.join(',\n'));
        if (part.chunk.version === part.version) part.chunk.encoded = bytes;
      }
      out.push(bytes);
      // The checksum runs over cached chunks too, so they count towards the slice as well.
      sum = crc32(bytes, sum);
      // Slices are bounded by time, not chunk count: 64 chunks of large records (1,000-member
      // groups, users with many attributes) took tens of ms with SCIM requests waiting behind them.
      if (performance.now() - sliceStart >= SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
    out.push(enc(`,"checksum":"${hex(sum)}"}\n`));
    return out;
  }
}

function touch(chunk: Chunk): void {
  chunk.encoded = null;
  chunk.version++;
}

export type StoreDocumentEntries = Array<readonly [string, string, Array<readonly [string, unknown]>]>;
export interface StoreDocument {
  /** The last journaled commit the snapshot includes (journal entries after it are replayed). */
  seq: number;
  /** A journal must exist beside the snapshot (false: written by a clean close, or legacy). */
  journal: boolean;
  /** Written in the first format (no checksum); its journal lines carry no checksum either. */
  legacy: boolean;
  entries: StoreDocumentEntries;
}

/**
 * Checks a snapshot file's checksum, parses it and checks its shape; returns the document or the
 * problem found (never throws).
 */
export function readSnapshot(bytes: Buffer): StoreDocument | string {
  const doc = readSnapshotLeniently(bytes);
  return typeof doc === 'string' ? doc : doc.checksumFailed ? CHECKSUM_FAILED : doc;
}

export const CHECKSUM_FAILED = 'fails its checksum (the file changed on disk after it was written)';

/** As readSnapshot, but a document that parses is returned even if its checksum fails (for repair). */
export function readSnapshotLeniently(bytes: Buffer): (StoreDocument & { checksumFailed: boolean }) | string {
  let checksumFailed = false;
  // The checksum is the document's last member; only its last bytes are searched (a record may
  // hold the same characters).
  const at = bytes.lastIndexOf(CHECKSUM_KEY);
  const legacy = at === -1 || at < bytes.byteLength - CHECKSUM_KEY.byteLength - 16;
  if (!legacy) {
    const found = bytes.toString('utf8', at + CHECKSUM_KEY.byteLength, at + CHECKSUM_KEY.byteLength + 8);
    const rest = bytes.toString('utf8', at + CHECKSUM_KEY.byteLength + 8).trimEnd();
    checksumFailed = rest !== '"}' || hex(crc32(bytes.subarray(0, at))) !== found;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return checksumFailed ? CHECKSUM_FAILED : `not valid JSON (${jsonFault(err)})`;
  }
  const read = readStoreDocument(doc);
  if (typeof read === 'string') return checksumFailed ? CHECKSUM_FAILED : read;
  if (legacy !== read.legacy) return legacy ? 'has no checksum (a damaged file)' : `a ${LEGACY_STORE_FORMAT} file with a checksum (a damaged file)`;
  return { ...read, checksumFailed };
}

const CHECKSUM_KEY = Buffer.from(',"checksum":"', 'utf8');

/**
 * Checks a parsed file's shape; returns its partitions in file order, or the problem found.
 * Records themselves are opaque JSON values here.
 */
export function readStoreDocument(doc: unknown): StoreDocument | string {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'expected a JSON object';
  const { format, seq, collections, journal } = doc as { format?: unknown; seq?: unknown; collections?: unknown; journal?: unknown };
  if (format !== STORE_FORMAT && format !== LEGACY_STORE_FORMAT) return `expected "format": "${STORE_FORMAT}", found ${JSON.stringify(format) ?? 'none'}`;
  const legacy = format === LEGACY_STORE_FORMAT;
  if (!legacy && typeof journal !== 'boolean') return 'expected "journal" to be true or false';
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return 'expected "seq" to be a whole number';
  if (!collections || typeof collections !== 'object' || Array.isArray(collections)) return 'expected "collections" to be an object';
  const out: StoreDocumentEntries = [];
  for (const [collection, parts] of Object.entries(collections)) {
    if (!parts || typeof parts !== 'object' || Array.isArray(parts)) return `collections.${collection}: expected an object of partitions`;
    for (const [partition, records] of Object.entries(parts as Record<string, unknown>)) {
      if (!Array.isArray(records)) return `collections.${collection}.${partition}: expected an array of [id, record] pairs`;
      for (const [i, pair] of records.entries()) {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
          return `collections.${collection}.${partition}[${i}]: expected an [id, record] pair`;
        }
      }
      out.push([collection, partition, records as Array<[string, unknown]>]);
    }
  }
  return { seq: seq as number, journal: journal === true, legacy, entries: out };
}
