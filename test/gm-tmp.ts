import { PostgresStore } from '../agent/store/postgres/postgres-store.ts';
async function main() {
  const s = new PostgresStore({ url: 'postgres://postgres@127.0.0.1:5432/test', schema: 'hw_gm_test' });
  await s.open();
  const n = await s.count('directoryUsers' as any, 'bench');
  if (n === 0) for (let b = 0; b < 10; b++) await s.transact((tx) => { for (let i = 0; i < 1000; i++) tx.put('directoryUsers' as any, 'bench', `u${b * 1000 + i}-aaaaaaaa-bbbb-cccc-dddd`, { id: `u${b * 1000 + i}`, userName: `user${i}@x` } as any); });
  const ids = Array.from({ length: 100 }, (_, k) => `u${(k * 97) % 10000}-aaaaaaaa-bbbb-cccc-dddd`);
  for (let r = 0; r < 8; r++) {
    const t = performance.now();
    await s.transact(async (tx) => { await tx.getMany('directoryUsers' as any, 'bench', ids); });
    const t2 = performance.now();
    await s.getMany('directoryUsers' as any, 'bench', ids);
    console.log((t2 - t).toFixed(1), (performance.now() - t2).toFixed(1));
  }
  await s.close();
}
void main();
