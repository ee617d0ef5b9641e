import type { ReadSet } from './read-set.ts';

/**
 * The locks a transaction takes at COMMIT, all in one statement, in one global order (sorted
 * keys), before its check and its writes (`commit_writes`, migrations/006-known-absent-inserts.sql).
 * Transactions read
 * without locking anything; at COMMIT each locks what it read and what it writes, checks that
 * what it read is unchanged (read-set.ts), writes, and commits. Because every transaction asks
 * for all its locks at once and in the same order, two transactions never wait for each other in
 * a cycle: no deadlock, whatever the two decide on.
 *
 * Measured before this: SERIALIZABLE made nearly every concurrent SCIM write a serialization
 * failure (page-level predicate locks on shared B-trees), and locking reads as they were made
 * (row locks, partition locks taken mid-transaction) deadlocked under load: 1,256 deadlocks and
 * 1,114 lock timeouts in two runs of the multi-replica suite, each costing a second or five.
 *
 * Transaction-level advisory locks, released at COMMIT or ROLLBACK
 * (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS), in a hierarchy
 * (collection ⊃ partition ⊃ record, and index ⊃ value):
 *  - a record read: shared on it, and shared (intent) on its partition and collection;
 *  - a record written: exclusive on it, shared on its partition and collection;
 *  - a partition listed or counted: exclusive on it, shared on its collection;
 *  - `partitions(collection)`: exclusive on the collection;
 *  - a lookup: exclusive on the value, shared on the index; a value a written record is newly
 *    filed under: shared on it (a record leaving a value is a written record, whose readers
 *    hold it);
 *  - more than LOCKS_PER_PARENT records of one partition: exclusive on the partition instead;
 *    more than LOCKS_PER_PARENT partitions of one collection: exclusive on the collection; more
 *    than LOCKS_PER_PARENT values of one index: exclusive on the index. A transaction holds a
 *    bounded number of locks, as PostgreSQL's lock table is bounded (max_locks_per_transaction
 *    × max_connections, 6,400 by default, shared by all sessions; when it is full, the commit
 *    fails with 53200 and runs again). The bound is high enough that a group PATCH adding 100
 *    members locks the 100 users it checks, not every user of the hub: at 32, user creates
 *    queued behind each PATCH's commit (lock waits averaged 5.4 ms per commit, measured).
 * Keys are 64-bit hashes; two names sharing a key only wait for each other needlessly.
 */
export const LOCKS_PER_PARENT = 128;

export type LockMode = 'shared' | 'exclusive';

export class KeyLocks {
  constructor(private readonly schema: string) {}

  private key(...parts: string[]): string {
    return hash64(`hubwarden-lock\u0000${this.schema}\u0000${parts.join('\u0000')}`);
  }

  record(collection: string, partition: string, id: string): string {
    return this.key('r', collection, partition, id);
  }

  partition(collection: string, partition: string): string {
    return this.key('p', collection, partition);
  }

  collection(collection: string): string {
    return this.key('c', collection);
  }

  index(name: string): string {
    return this.key('i', name);
  }

  value(name: string, value: string): string {
    return this.key('v', name, value);
  }
}

/**
 * A signed 64-bit hash of `text` as a decimal string (pg_advisory_xact_lock takes a bigint): two
 * 32-bit FNV-1a hashes with different offsets, over the UTF-16 code units. Not cryptographic,
 * and need not be: a collision only makes two transactions wait for each other needlessly. It
 * replaced SHA-256, which cost 1.7 s of the server's 39 s of CPU in the SCIM import (a commit
 * takes about twenty keys). FNV: http://www.isthe.com/chongo/tech/comp/fnv/index.html
 */
export function hash64(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
  }
  return BigInt.asIntN(64, (BigInt(a >>> 0) << 32n) | BigInt(b >>> 0)).toString();
}

/** Advisory locks to take, in the order they are taken (sorted keys). */
export interface LockBatch {
  keys: string[];
  exclusive: boolean[];
}

interface Node {
  mode?: LockMode;
  children: Map<string, Node>;
  /** An index more than LOCKS_PER_PARENT values of which are filed anew: locked whole, its values not listed. */
  wide?: boolean;
}

const stronger = (a: LockMode | undefined, b: LockMode): LockMode => (a === 'exclusive' || b === 'exclusive' ? 'exclusive' : 'shared');

/**
 * The locks of a commit: for what `reads` holds and for the records `writes` (see above).
 * `filed`: per index, the values the written records are newly filed under (writes.ts).
 */
export function commitLocks(keys: KeyLocks, reads: ReadSet, writes: Iterable<{ collection: string; partition: string; id: string }>, filed: ReadonlyMap<string, ReadonlySet<string>>): LockBatch {
  // collection → partition → record, each with the mode asked for it (undefined: intent only).
  const tree = new Map<string, Node>();
  const nodeOf = (map: Map<string, Node>, k: string): Node => {
    let n = map.get(k);
    if (!n) map.set(k, (n = { children: new Map() }));
    return n;
  };
  const ask = (mode: LockMode, c: string, p?: string, id?: string) => {
    let n = nodeOf(tree, c);
    // Below a node asked for exclusively nothing is locked (`escalated`), so no node is made there:
    // a first check for updates writes 35,000 records into partitions it listed.
    if (p !== undefined) {
      if (n.mode === 'exclusive') return;
      n = nodeOf(n.children, p);
    }
    if (id !== undefined) {
      if (n.mode === 'exclusive') return;
      n = nodeOf(n.children, id);
    }
    n.mode = n.mode === undefined ? mode : stronger(n.mode, mode);
  };
  const indexes = new Map<string, Node>();
  for (const it of reads.values()) {
    if (it.kind === 'record') ask('shared', it.collection, it.partition, it.id);
    else if (it.kind === 'partition') ask('exclusive', it.collection, it.partition);
    else if (it.kind === 'collection') ask('exclusive', it.collection);
    else {
      nodeOf(nodeOf(indexes, it.index).children, it.value).mode = 'exclusive';
    }
  }
  for (const w of writes) ask('exclusive', w.collection, w.partition, w.id);
  for (const [index, values] of filed) {
    const ix = nodeOf(indexes, index);
    // As many values would be escalated below: no node for each (a first check files 31,000).
    if (values.size > LOCKS_PER_PARENT) {
      ix.wide = true;
      continue;
    }
    for (const v of values) {
      const n = nodeOf(ix.children, v);
      n.mode ??= 'shared';
    }
  }

  const wanted = new Map<string, LockMode>();
  const want = (key: string, mode: LockMode) => wanted.set(key, stronger(wanted.get(key), mode));
  /** A node with too many children, or asked for exclusively, covers them: exclusive on it, none below. */
  const escalated = (n: Node) => n.mode === 'exclusive' || n.children.size > LOCKS_PER_PARENT;
  for (const [c, cn] of tree) {
    if (escalated(cn)) {
      want(keys.collection(c), 'exclusive');
      continue;
    }
    want(keys.collection(c), 'shared');
    for (const [p, pn] of cn.children) {
      if (escalated(pn)) {
        want(keys.partition(c, p), 'exclusive');
        continue;
      }
      want(keys.partition(c, p), 'shared');
      for (const [id, rn] of pn.children) want(keys.record(c, p, id), rn.mode ?? 'shared');
    }
  }
  for (const [index, ixn] of indexes) {
    if (ixn.wide || ixn.children.size > LOCKS_PER_PARENT) {
      want(keys.index(index), 'exclusive');
      continue;
    }
    want(keys.index(index), 'shared');
    for (const [v, vn] of ixn.children) want(keys.value(index, v), vn.mode ?? 'shared');
  }
  const sorted = [...wanted.keys()].sort();
  return { keys: sorted, exclusive: sorted.map((k) => wanted.get(k) === 'exclusive') };
}
