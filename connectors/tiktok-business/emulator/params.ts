/**
 * Strict reading of a call's parameters. GET parameters arrive as query strings, `filtering` as
 * one JSON-encoded object; POST parameters as a JSON body. Ids are digit strings (a JSON integer
 * only when it is a safe integer: larger ones have already lost digits). Every violation is code
 * 40002 with a message naming the field; unknown fields are refused so that typos fail loudly.
 */
import { paramError } from './envelope.ts';

const DIGITS = /^\d{1,19}$/;
/** The gateway converts every id to int64 (`x-open-convert: int64(%s)` in TikTok's bc_*.yml specs). */
const INT64_MAX = 9_223_372_036_854_775_807n;
/** The `format: email` the gateway checks, as strictly as a plain regex can (the emulator's reading: README [INF] #74). */
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export class Fields {
  readonly #src: Record<string, unknown>;
  readonly #fromQuery: boolean;
  readonly #prefix: string;

  /** Refuses any field outside `allowed` at once. */
  constructor(src: Record<string, unknown>, allowed: readonly string[], options: { fromQuery: boolean; prefix?: string }) {
    this.#src = src;
    this.#fromQuery = options.fromQuery;
    this.#prefix = options.prefix ?? '';
    for (const key of Object.keys(src)) {
      if (!allowed.includes(key)) throw paramError(`${this.#name(key)}: unknown parameter`);
      // A JSON null is no value of any parameter TikTok lists (ids, enums, strings, lists,
      // objects): refused naming it, never taken for the field left out. Taken so, a
      // `member/delete` with `user_id: null` beside `user_email` passed as "exactly one of them"
      // [INF #69].
      if (src[key] === null) throw paramError(`${this.#name(key)}: null is not a value (leave the field out)`);
    }
  }

  #name(key: string): string {
    return `${this.#prefix}${key}`;
  }

  has(key: string): boolean {
    return this.#src[key] !== undefined;
  }

  #present(key: string, required: boolean): unknown {
    const v = this.#src[key];
    if (v === undefined) {
      if (required) throw paramError(`${this.#name(key)}: required parameter is missing`);
      return undefined;
    }
    return v;
  }

  id(key: string, required: true): string;
  id(key: string, required?: boolean): string | undefined;
  id(key: string, required = false): string | undefined {
    const v = this.#present(key, required);
    if (v === undefined) return undefined;
    return idValue(v, this.#name(key));
  }

  idList(key: string, options: { required: boolean; max: number }): string[] | undefined {
    const list = this.#list(key, options.required);
    if (list === undefined) return undefined;
    if (list.length > options.max) throw paramError(`${this.#name(key)}: at most ${options.max} ids`);
    return list.map((v, i) => idValue(v, `${this.#name(key)}[${i}]`));
  }

  emailList(key: string, options: { min: number; max: number }): string[] {
    const list = this.#list(key, true)!;
    if (list.length < options.min || list.length > options.max) throw paramError(`${this.#name(key)}: ${options.min} to ${options.max} addresses`);
    return list.map((v, i) => emailValue(v, `${this.#name(key)}[${i}]`));
  }

  email(key: string): string | undefined {
    const v = this.#present(key, false);
    return v === undefined ? undefined : emailValue(v, this.#name(key));
  }

  string(key: string, options: { max?: number } = {}): string | undefined {
    const v = this.#present(key, false);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw paramError(`${this.#name(key)}: expected a string`);
    if (options.max !== undefined && v.length > options.max) throw paramError(`${this.#name(key)}: at most ${options.max} characters`);
    return v;
  }

  /** A value of the gateway enum `known`; values the endpoint flags invalid (`valid`) are refused too. */
  enumValue<T extends string>(key: string, known: readonly T[], options: { required?: boolean; default?: T; valid?: readonly T[] } = {}): T | undefined {
    const v = this.#present(key, options.required ?? false);
    if (v === undefined) return options.default;
    if (typeof v !== 'string' || !(known as readonly string[]).includes(v)) throw paramError(`${this.#name(key)}: "${String(v)}" is not one of ${known.join(', ')}`);
    if (options.valid && !(options.valid as readonly string[]).includes(v)) throw paramError(`${this.#name(key)}: ${v} is not supported by this endpoint (valid: ${options.valid.join(', ')})`);
    return v as T;
  }

  enumList<T extends string>(key: string, known: readonly T[]): T[] | undefined {
    const list = this.#list(key, false);
    if (list === undefined) return undefined;
    if (list.length === 0) throw paramError(`${this.#name(key)}: expected at least one value`);
    const out = list.map((v, i) => {
      if (typeof v !== 'string' || !(known as readonly string[]).includes(v)) throw paramError(`${this.#name(key)}[${i}]: "${String(v)}" is not one of ${known.join(', ')}`);
      return v as T;
    });
    if (new Set(out).size !== out.length) throw paramError(`${this.#name(key)}: a value is repeated`);
    return out;
  }

  int(key: string, options: { min: number; max: number; default: number }): number {
    const v = this.#present(key, false);
    if (v === undefined) return options.default;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < options.min || n > options.max) {
      throw paramError(`${this.#name(key)}: expected an integer from ${options.min} to ${options.max}`);
    }
    return n;
  }

  /** A nested object (`filtering`, `ext_user_role`); on GET its value is one JSON-encoded parameter. */
  object(key: string, allowed: readonly string[]): Fields | undefined {
    let v = this.#present(key, false);
    if (v === undefined) return undefined;
    if (this.#fromQuery) {
      if (typeof v !== 'string') throw paramError(`${this.#name(key)}: expected a JSON object`);
      try {
        v = JSON.parse(v);
      } catch {
        throw paramError(`${this.#name(key)}: expected a JSON object`);
      }
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw paramError(`${this.#name(key)}: expected a JSON object`);
    // Inside a JSON object the values are typed, whichever way the object travelled.
    return new Fields(v as Record<string, unknown>, allowed, { fromQuery: false, prefix: `${this.#name(key)}.` });
  }

  #list(key: string, required: boolean): unknown[] | undefined {
    let v = this.#present(key, required);
    if (v === undefined) return undefined;
    if (this.#fromQuery && typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        throw paramError(`${this.#name(key)}: expected a JSON list`);
      }
    }
    if (!Array.isArray(v)) throw paramError(`${this.#name(key)}: expected a list`);
    return v;
  }
}

function idValue(v: unknown, name: string): string {
  if (typeof v === 'string' && DIGITS.test(v) && BigInt(v) <= INT64_MAX) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  throw paramError(`${name}: expected an id (a digit string of an int64)`);
}

function emailValue(v: unknown, name: string): string {
  if (typeof v === 'string' && v.length <= 254 && EMAIL.test(v)) return v;
  throw paramError(`${name}: "${String(v)}" is not a valid email address`);
}

/** page (≥ 1, default 1) and page_size (1..max, default 10). */
export function pageParams(fields: Fields, maxPageSize: number): { page: number; pageSize: number } {
  return {
    page: fields.int('page', { min: 1, max: Number.MAX_SAFE_INTEGER, default: 1 }),
    pageSize: fields.int('page_size', { min: 1, max: maxPageSize, default: 10 }),
  };
}
