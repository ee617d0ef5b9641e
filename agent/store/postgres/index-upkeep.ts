import type pg from 'pg';
import { childLogger } from '../../log/logger.ts';
import type { CollectionName, RecordOf } from '../collections.ts';
import type { Connections } from './connections.ts';
import type { IndexOptions } from '../store.ts';
import { indexDef, rebuildIndexes, type IndexDef } from './indexes.ts';
import { isUnreachable } from './sql.ts';

const log = childLogger('store');

/**
 * The PostgreSQL store's index definitions, kept built: an index defined (or redefined) is
 * rebuilt once when its definition is new or changed (indexes.ts), at open for those defined
 * before it, else before the first read or transaction that needs it.
 */
export class IndexUpkeep {
  /** This process's definitions, by index name. */
  readonly defs = new Map<string, IndexDef>();
  /** Indexes defined (or redefined) since they were last checked against the database. */
  private unchecked = new Set<string>();
  private checking: Promise<void> | null = null;

  constructor(private readonly o: { schema: string; lockKey: string; db: Connections }) {}

  define<C extends CollectionName>(collection: C, index: string, keysOf: (record: RecordOf<C>, partition: string) => string[], options?: IndexOptions): void {
    this.defs.set(index, indexDef(index, collection, keysOf, options?.uses));
    this.unchecked.add(index);
  }

  /** Builds the indexes defined since the last check whose definition is new or changed. */
  async check(client: pg.ClientBase): Promise<void> {
    const names = [...this.unchecked];
    const defs = names.map((n) => this.defs.get(n)!);
    const built = await rebuildIndexes(client, this.o.schema, this.o.lockKey, defs);
    // One redefined meanwhile stays unchecked: the next check builds its new definition.
    names.forEach((n, k) => {
      if (this.defs.get(n)?.hash === defs[k]!.hash) this.unchecked.delete(n);
    });
    if (built.length > 0) log.debug('store: PostgreSQL indexes rebuilt', { schema: this.o.schema, indexes: built });
  }

  /** Waits until every index defined so far is built (an index defined after open is built on first use). */
  async ready(): Promise<void> {
    while (this.unchecked.size > 0) {
      if (!this.checking) {
        this.checking = this.o.db.withClient((client) => this.check(client))
          .catch((err: unknown) => {
            throw isUnreachable(err) ? this.o.db.unavailableError(err) : err;
          })
          .finally(() => (this.checking = null));
      }
      await this.checking;
    }
  }
}
