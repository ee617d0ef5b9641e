let n = 0;
/** A counter whose state belongs to its module instance (loader.test.ts). */
export function next(): number {
  return ++n;
}
