import { encodeKey } from './sql.ts';

/** The print of an empty set (migrations/003-read-prints.sql): a read that found nothing. */
export const EMPTY_PRINT = '0/';

/** One thing a transaction read, as it was when read (migrations/003-read-prints.sql). */
export type ReadItem =
  | { kind: 'record'; collection: string; partition: string; id: string; print: string | null }
  | { kind: 'partition'; collection: string; partition: string; print: string }
  | { kind: 'collection'; collection: string; print: string }
  | { kind: 'lookup'; collection: string; index: string; value: string; print: string };

/**
 * What a transaction's function read, each thing once, with its print as first read (its
 * version: a record's xmin, or absent; a set's size and checksum). At COMMIT, under the locks of
 * key-locks.ts, every print is taken again before anything is written (`commit_writes`,
 * migrations/006-known-absent-inserts.sql): if any differs, the transaction decided on something
 * another one changed since, nothing is written, and it runs again. So a
 * transaction commits only if everything it read is, at its COMMIT, as it read it: as if it had
 * run alone at that moment.
 */
export class ReadSet {
  private readonly items = new Map<string, ReadItem>();
  /** Read statements sent (one statement reads a consistent snapshot; two may not). */
  statements = 0;
  /** Something read twice differed between the reads: the transaction must run again. */
  changed?: string;

  note(item: ReadItem): void {
    const k = keyOf(item);
    const prev = this.items.get(k);
    if (!prev) this.items.set(k, item);
    else if (prev.print !== item.print) this.changed ??= describe(item);
  }

  get size(): number {
    return this.items.size;
  }

  values(): IterableIterator<ReadItem> {
    return this.items.values();
  }

  /** The `ck_*` arguments of `commit_writes`, in its order. */
  checkValues(): [string[], string[], string[], string[], Array<string | null>] {
    const kind: string[] = [], a: string[] = [], b: string[] = [], c: string[] = [], print: Array<string | null> = [];
    for (const it of this.items.values()) {
      kind.push(it.kind);
      print.push(it.print);
      switch (it.kind) {
        case 'record':
          a.push(it.collection), b.push(encodeKey(it.partition)), c.push(encodeKey(it.id));
          break;
        case 'partition':
          a.push(it.collection), b.push(encodeKey(it.partition)), c.push('');
          break;
        case 'collection':
          a.push(it.collection), b.push(''), c.push('');
          break;
        case 'lookup':
          a.push(it.index), b.push(encodeKey(it.value)), c.push(it.collection);
          break;
      }
    }
    return [kind, a, b, c, print];
  }
}

const keyOf = (it: ReadItem): string => {
  switch (it.kind) {
    case 'record':
      return `r\u0000${it.collection}\u0000${it.partition}\u0000${it.id}`;
    case 'partition':
      return `p\u0000${it.collection}\u0000${it.partition}`;
    case 'collection':
      return `c\u0000${it.collection}`;
    case 'lookup':
      return `l\u0000${it.index}\u0000${it.value}\u0000${it.collection}`;
  }
};

const describe = (it: ReadItem): string => {
  switch (it.kind) {
    case 'record':
      return `${it.collection} record ${it.id}`;
    case 'partition':
      return `${it.collection} partition ${it.partition}`;
    case 'collection':
      return `the partitions of ${it.collection}`;
    case 'lookup':
      return `index ${it.index}`;
  }
};
