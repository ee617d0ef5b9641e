import type { Store } from './store.ts';

const READS = new Set(['get', 'getMany', 'hasMany', 'lookup', 'lookupFields', 'partitions', 'count']);

/**
 * A store that answers as the PostgreSQL store does, for tests of how many round trips a path
 * makes: reads asked for in one loop iteration go out together as one round trip (postgres/
 * read-batch.ts) and are answered in a later iteration; an empty getMany sends nothing, and each
 * list is a round trip (one page). In a transaction, a record it read or staged before is
 * answered without one (postgres/overlay.ts); its commit is not counted. `count()`: the round
 * trips so far.
 */
export function roundTrips(store: Store): { store: Store; count: () => number } {
  let count = 0;
  let waiting: Array<() => void> = [];
  const inRound = <T>(read: () => Promise<T>): Promise<T> => new Promise((resolve, reject) => {
    if (waiting.length === 0) setImmediate(() => {
      count++;
      const now = waiting;
      waiting = [];
      for (const send of now) send();
    });
    waiting.push(() => void read().then(resolve, reject));
  });
  const counted = <T extends object>(target: T, known?: Set<string>): T => new Proxy(target, {
    get(t, name) {
      const value = Reflect.get(t, name) as unknown;
      if (typeof value !== 'function') return value;
      const method = String(name);
      const call = (args: unknown[]) => value.apply(t, args) as Promise<unknown>;
      if (method === 'get' || method === 'getMany') return (...args: unknown[]) => {
        const [collection, partition, ids] = [args[0], args[1], method === 'get' ? [args[2]] : (args[2] as unknown[])];
        const keys = ids.map((id) => `${collection}\u0000${partition}\u0000${id}`);
        if (keys.every((k) => known?.has(k))) return call(args); // none to send (an empty getMany too)
        for (const k of keys) known?.add(k);
        return inRound(() => call(args));
      };
      if (known && (method === 'put' || method === 'delete')) return (...args: unknown[]) => {
        known.add(`${args[0]}\u0000${args[1]}\u0000${args[2]}`);
        return call(args);
      };
      if (READS.has(method)) return (...args: unknown[]) => inRound(() => call(args));
      if (method === 'list') return (...args: unknown[]) => (async function* () {
        yield* await inRound(async () => { const out: unknown[] = []; for await (const r of value.apply(t, args) as AsyncIterable<unknown>) out.push(r); return out; });
      })();
      if (method === 'transact') return (fn: (tx: object) => unknown, ...rest: unknown[]) => value.call(t, (tx: object) => fn(counted(tx, new Set())), ...rest);
      return value.bind(t);
    },
  });
  return { store: counted(store), count: () => count };
}
