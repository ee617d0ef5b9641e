import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Store } from '../../agent/store/store.ts';

/**
 * A memory store that refuses its next `refusals` transactions once `goDown()` is called, as a
 * database failover would ("connection terminated"), then works again: the hook tests' store fault.
 */
export function storeThatGoesDown(refusals: number): { store: MemoryStore; goDown(): void; refused(): number } {
  const store = new MemoryStore();
  let down = false;
  let refused = 0;
  const transact = store.transact.bind(store);
  store.transact = ((fn) => {
    if (down && refused < refusals) {
      refused++;
      return Promise.reject(new Error('connection terminated'));
    }
    return transact(fn);
  }) as Store['transact'];
  return { store, goDown: () => { down = true; }, refused: () => refused };
}
