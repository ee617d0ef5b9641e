/**
 * The store's collections and their record types. Each folder that owns a collection declares it
 * here by module augmentation, next to the code that owns it:
 *
 *   declare module '../agent/store/collections.ts' {
 *     interface Collections { tasks: TaskRecord }
 *   }
 *
 * Records are plain JSON values (no Dates, no class instances, no undefined-valued keys required);
 * they are replaced whole by `put`, never mutated in place.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Collections {}

export type CollectionName = keyof Collections & string;
export type RecordOf<C extends CollectionName> = Collections[C];
