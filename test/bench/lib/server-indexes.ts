/**
 * The secondary indexes a hubwarden server defines, with the very key functions it uses: recorded
 * by composing the server (scim-server/compose.ts, as main.ts does) over a store that only notes
 * `defineIndex` calls. A bulk load writes the index entries these produce and the definitions'
 * hashes, so the replica started on the loaded schema finds every index built and rebuilds none
 * (agent/store/postgres/indexes.ts).
 */
import { composeHubwarden } from '../../../scim-server/compose.ts';
import type { LoadedConfig } from '../../../config/load.ts';
import type { Store } from '../../../agent/store/store.ts';
import { indexDef, type IndexDef } from '../../../agent/store/postgres/indexes.ts';

export function serverIndexes(config: LoadedConfig): IndexDef[] {
  const defs = new Map<string, IndexDef>();
  const none = async function* () {};
  const recording: Store = {
    defineIndex: (collection, name, keysOf, options) => void defs.set(name, indexDef(name, collection, keysOf as IndexDef['keysOf'], options?.uses)),
    subscribe: () => () => {},
    subscribeDurable: () => () => {},
    get: async () => undefined,
    getMany: async (_c, _p, ids) => ids.map(() => undefined),
    hasMany: async (_c, _p, ids) => ids.map(() => false),
    list: none,
    newestFirst: none,
    partitions: async () => [],
    count: async () => 0,
    lookup: async () => [],
    lookupFields: async () => [],
    transact: async () => {
      throw new Error('the index recorder stores nothing');
    },
    open: async () => {},
    close: async () => {},
    healthy: () => true,
    stats: () => ({ committed: 0, reRuns: 0, contended: 0 }),
  };
  const hubwarden = composeHubwarden({ config, store: recording, auditFile: false });
  hubwarden.members.close();
  return [...defs.values()];
}
