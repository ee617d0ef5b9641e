/**
 * Checks on what the admin API answered, where the CLI uses it beyond printing: a JSON `null`,
 * a list where an object belongs, `{}` or a field of the wrong kind becomes one line naming it
 * (output.ts unexpectedAnswer), never a TypeError.
 */
import { unexpectedAnswer } from './output.ts';

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a JSON value is, in words: `null`, `a list`, `a string`… */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'an empty body';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * What a field holds, in words, for the line that refuses it: one the answer leaves out is
 * "missing" (kindOf's "an empty body" said of `{}`'s `status` read as if nothing came back).
 */
export function fieldIs(field: string, value: unknown, expected: string): string {
  return value === undefined ? `"${field}" is missing (${expected} expected)` : `"${field}" is ${value === '' ? 'empty' : kindOf(value)}, not ${expected}`;
}

/** `answer[field]` as a list of objects (`items` of a list route). */
export function itemsOf<T>(answer: unknown, field = 'items'): T[] {
  const list = isObject(answer) ? answer[field] : undefined;
  if (!Array.isArray(list)) throw unexpectedAnswer(fieldIs(field, list, 'a list'));
  const bad = list.findIndex((item) => !isObject(item));
  if (bad >= 0) throw unexpectedAnswer(`"${field}[${bad}]" is ${kindOf(list[bad])}, not an object`);
  return list as T[];
}

/** `answer[field]` as a non-empty string (an id the CLI goes on to use). */
export function stringOf(answer: unknown, field: string): string {
  const value = isObject(answer) ? answer[field] : undefined;
  if (typeof value !== 'string' || value === '') throw unexpectedAnswer(fieldIs(field, value, 'a string'));
  return value;
}

/** `answer[field]` as a whole number ≥ 0 (a page's `total`). */
export function countOf(answer: unknown, field: string): number {
  const value = isObject(answer) ? answer[field] : undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw unexpectedAnswer(fieldIs(field, value, 'a count'));
  return value;
}

/**
 * A repeat of a request already applied (the API's `alreadyDone`, a retry after a lost answer):
 * said in the line printed, so a second `hubwarden approve` does not read as a second approval.
 */
export const alreadyDoneText = (answer: unknown) => (isObject(answer) && answer.alreadyDone === true ? ' (already so: nothing was done again)' : '');
