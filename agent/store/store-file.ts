import type { Change } from './store.ts';

/**
 * The lowdb store's file format and its serialization cache.
 *
 * The file is one JSON document (readable by lowdb's `JSONFile`, `jq`, or a person):
 *
 *   {"format":"hubwarden-store/1","collections":{
 *   "directoryUsers":{"acme":[
 *   ["id-1",{…}],
 *   ["id-2",{…}]]}}}
 *
 * Partitions are arrays of [id, record] pairs, not objects, because a JS object moves integer-like
 * keys (Meta ids are numeric) to the front, which would change the insertion order SCIM paging
 * relies on after a restart.
 *
 * WHY the cache: with 100k users the document is tens of MB; JSON.stringify of all of it on every
 * commit costs hundreds of ms of CPU and blocks the event loop. Instead every record keeps its
 * serialized line, and lines are grouped in chunks of CHUNK_SIZE records whose encoded bytes are
 * kept too. A commit re-stringifies only the records it changed and re-encodes only their chunks;
 * the file is then written from the cached buffers (writev), so building it is O(changes), and the
 * remaining cost is the disk write itself.
 */
export const STORE_FORMAT = 'hubwarden-store/1';
const CHUNK_SIZE = 128;

interface Chunk {
  /** id → serialized `["id",{record}]`, in insertion order. */
  lines: Map<string, string>;
  encoded: Buffer | null;
}

interface PartitionFile {
  chunks: Chunk[];
  chunkOf: Map<string, Chunk>;
}

const enc = (s: string) => Buffer.from(s, 'utf8');

export class SerializedStore {
  private collections = new Map<string, Map<string, PartitionFile>>();

  /** Records the new serialized form of each changed record (or its removal). */
  apply(changes: Iterable<Pick<Change, 'collection' | 'partition' | 'id' | 'record'>>): void {
    for (const { collection, partition, id, record } of changes) this.set(collection, partition, id, record);
  }

  set(collection: string, partition: string, id: string, record: unknown): void {
    let parts = this.collections.get(collection);
    if (!parts) this.collections.set(collection, (parts = new Map()));
    let file = parts.get(partition);
    if (!file) parts.set(partition, (file = { chunks: [], chunkOf: new Map() }));
    const existing = file.chunkOf.get(id);
    if (record === undefined) {
      if (!existing) return;
      existing.lines.delete(id);
      existing.encoded = null;
      file.chunkOf.delete(id);
      if (existing.lines.size === 0) file.chunks.splice(file.chunks.indexOf(existing), 1);
      return;
    }
    const line = JSON.stringify([id, record]);
    if (existing) {
      existing.lines.set(id, line); // an update keeps its place, as MemoryStore's Map does
      existing.encoded = null;
      return;
    }
    let tail = file.chunks[file.chunks.length - 1];
    if (!tail || tail.lines.size >= CHUNK_SIZE) file.chunks.push((tail = { lines: new Map(), encoded: null }));
    tail.lines.set(id, line);
    tail.encoded = null;
    file.chunkOf.set(id, tail);
  }

  /** The whole document as buffers, re-encoding only chunks changed since the last call. */
  encode(): Buffer[] {
    const out: Buffer[] = [enc(`{"format":${JSON.stringify(STORE_FORMAT)},"collections":{`)];
    let firstCollection = true;
    for (const [collection, parts] of this.collections) {
      let opened = false;
      for (const [partition, file] of parts) {
        if (file.chunks.length === 0) continue;
        out.push(enc(`${opened ? ',' : `${firstCollection ? '' : ','}\n${JSON.stringify(collection)}:{`}\n${JSON.stringify(partition)}:[\n`));
        opened = true;
        firstCollection = false;
        file.chunks.forEach((chunk, i) => {
          chunk.encoded ??= enc([...chunk.lines.values()].join(',\n'));
          if (i > 0) out.push(COMMA);
          out.push(chunk.encoded);
        });
        out.push(CLOSE_ARRAY);
      }
      if (opened) out.push(CLOSE_OBJECT);
    }
    out.push(enc('}}\n'));
    return out;
  }
}

const COMMA = enc(',\n');
const CLOSE_ARRAY = enc(']');
const CLOSE_OBJECT = enc('}');

export type StoreDocumentEntries = Array<readonly [string, string, Array<readonly [string, unknown]>]>;

/**
 * Checks a parsed file's shape; returns its partitions in file order, or the problem found.
 * Records themselves are opaque JSON values here.
 */
export function readStoreDocument(doc: unknown): StoreDocumentEntries | string {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'expected a JSON object';
  const { format, collections } = doc as { format?: unknown; collections?: unknown };
  if (format !== STORE_FORMAT) return `expected "format": "${STORE_FORMAT}", found ${JSON.stringify(format) ?? 'none'}`;
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
  return out;
}
