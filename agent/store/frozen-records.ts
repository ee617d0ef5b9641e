/**
 * A test-only guard: with HUBWARDEN_FREEZE_RECORDS=1 the memory store (and so lowdb) deep-freezes
 * each record it applies or loads. The stores hand out the objects they hold (records are
 * `Readonly` by type only), so code that changes a record it read, outside a transaction's `put`,
 * changes what the store holds without a commit: nothing journals it, no replica sees it, a
 * restart loses it. Frozen, such a write throws a TypeError in strict-mode code (ECMAScript
 * [[Set]] on a non-writable property, https://tc39.es/ecma262/#sec-ordinaryset), naming the site.
 */
export const freezeRecords = process.env.HUBWARDEN_FREEZE_RECORDS === '1';

/** Freezes `value` and every object and array under it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
