import { invalidFilter } from '../errors.ts';
import { parseAttrPath, type AttrPath } from './path.ts';

/**
 * A hand-written parser for RFC 7644 §3.4.2.2 filters, with the leniencies Entra and the MS suite
 * need: operators and attribute names in any case, unquoted values (`externalId eq jyoung`,
 * `meta.Created gt 2015-10-10T14:38:21.8617979-07:00`). Value paths are reduced to a filter over
 * the elements: `emails[type eq "work"].value eq "a"` = elements of emails where
 * `type eq "work" and value eq "a"`.
 */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | boolean | null;

export type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  /** `number`: an unquoted number's numeric value, for numeric attributes; `value` keeps its text. */
  | { op: CompareOp; path: AttrPath; value: FilterValue; number?: number }
  | { op: 'pr'; path: AttrPath }
  | { op: 'valuePath'; path: AttrPath; filter: Filter };

const COMPARE_OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
/**
 * Groupings (`(`, `not(`, `attr[`) one filter may nest. The parser recurses once per level: 4,096
 * `(` (within the length limit) overflowed the stack, and the RangeError was answered 500. No IdP
 * nests more than a few; past this the filter is a 400 invalidFilter (RFC 7644 §3.12).
 */
export const MAX_FILTER_DEPTH = 32;
/**
 * Attribute expressions (`userName eq "x"`, `title pr`) one filter may hold. A list filter that no
 * index answers is evaluated against every user of the hub, each expression per user: 450
 * `title pr` joined by `and` (within the length limit) cost 100,000 users 45 million evaluations,
 * seconds of one core per request. Okta and Entra send one to three; past this the filter is a
 * 400 invalidFilter (RFC 7644 §3.12: a filter the server will not process), in PATCH paths too.
 */
export const MAX_FILTER_TERMS = 16;
const NUMBER = /^-?\d+(\.\d+)?$/;

type Token = { kind: 'punct'; text: string } | { kind: 'string'; text: string } | { kind: 'word'; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) { i++; continue; }
    if ('()[]'.includes(c)) { tokens.push({ kind: 'punct', text: c }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) throw invalidFilter(`filter: unterminated string starting at position ${i + 1}`);
      try {
        tokens.push({ kind: 'string', text: JSON.parse(input.slice(i, j + 1)) as string });
      } catch {
        throw invalidFilter(`filter: bad escape in string starting at position ${i + 1}`);
      }
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < input.length && !/[\s()[\]]/.test(input[j])) j++;
    tokens.push({ kind: 'word', text: input.slice(i, j) });
    i = j;
  }
  return tokens;
}

class Parser {
  private at = 0;
  private depth = 0;
  private terms = 0;
  constructor(private readonly tokens: Token[], private readonly source: string) {}

  parse(): Filter {
    const f = this.or();
    if (this.at < this.tokens.length) this.fail(`unexpected "${this.tokens[this.at].text}"`);
    return f;
  }

  private fail(why: string): never {
    throw invalidFilter(`filter ${JSON.stringify(this.source)}: ${why}`);
  }
  private peekWord(): string | undefined {
    const t = this.tokens[this.at];
    return t?.kind === 'word' ? t.text.toLowerCase() : undefined;
  }
  private isPunct(text: string): boolean {
    const t = this.tokens[this.at];
    return t?.kind === 'punct' && t.text === text;
  }
  private expectPunct(text: string): void {
    if (!this.isPunct(text)) this.fail(`expected "${text}"`);
    this.at++;
  }
  /** The expression inside a grouping, `close` consumed after it; bounded by MAX_FILTER_DEPTH. */
  private nested(close: string): Filter {
    if (++this.depth > MAX_FILTER_DEPTH) throw invalidFilter(`filter: groupings nested deeper than ${MAX_FILTER_DEPTH} levels`);
    const f = this.or();
    this.expectPunct(close);
    this.depth--;
    return f;
  }

  private or(): Filter {
    let left = this.and();
    while (this.peekWord() === 'or') { this.at++; left = { op: 'or', left, right: this.and() }; }
    return left;
  }
  private and(): Filter {
    let left = this.unary();
    while (this.peekWord() === 'and') { this.at++; left = { op: 'and', left, right: this.unary() }; }
    return left;
  }
  private unary(): Filter {
    if (this.peekWord() === 'not' && this.tokens[this.at + 1]?.text === '(') {
      this.at++;
      this.expectPunct('(');
      return { op: 'not', filter: this.nested(')') };
    }
    if (this.isPunct('(')) {
      this.at++;
      return this.nested(')');
    }
    return this.attributeExpression();
  }

  private attributeExpression(): Filter {
    const t = this.tokens[this.at];
    if (!t || t.kind !== 'word') this.fail(t ? `expected an attribute name, got "${t.text}"` : 'expected an attribute name at the end');
    this.at++;
    if (this.isPunct('[')) {
      const path = parseAttrPath(t.text);
      if (!path || path.sub) this.fail(`"${t.text}" is not an attribute name`);
      this.at++;
      const inner = this.nested(']');
      const next = this.tokens[this.at];
      if (next?.kind === 'word' && next.text.startsWith('.')) {
        // `emails[type eq "work"].value eq "x"`: the sub-attribute's test joins the element filter.
        this.at++;
        const sub = parseAttrPath(next.text.slice(1));
        if (!sub || sub.sub || sub.schema) this.fail(`"${next.text}" is not a sub-attribute`);
        return { op: 'valuePath', path, filter: { op: 'and', left: inner, right: this.comparison(sub) } };
      }
      return { op: 'valuePath', path, filter: inner };
    }
    const path = parseAttrPath(t.text);
    if (!path) this.fail(`"${t.text}" is not an attribute path`);
    return this.comparison(path);
  }

  private comparison(path: AttrPath): Filter {
    if (++this.terms > MAX_FILTER_TERMS) throw invalidFilter(`filter: more than ${MAX_FILTER_TERMS} attribute expressions; send a narrower filter`);
    const opWord = this.peekWord();
    if (opWord === 'pr') { this.at++; return { op: 'pr', path }; }
    if (!opWord || !COMPARE_OPS.has(opWord)) this.fail(`expected an operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le) after ${path.attr}`);
    this.at++;
    const v = this.tokens[this.at];
    if (!v || v.kind === 'punct') this.fail(`expected a value after "${opWord}"`);
    this.at++;
    if (v.kind === 'string') return { op: opWord as CompareOp, path, value: v.text };
    // An unquoted number keeps its text: `externalId eq 00042` must find "00042", and a 20-digit
    // id must not lose digits to a double (string attributes compare the text, RFC 7643 §2.3.1).
    if (NUMBER.test(v.text)) return { op: opWord as CompareOp, path, value: v.text, number: Number(v.text) };
    // A single-quoted value would be taken as an unquoted one with its quotes, matching nothing:
    // a PATCH `members[value eq 'u1']` then answered 204 and removed nobody. RFC 7644 §3.4.2.2
    // values are JSON strings (double quotes); say so instead.
    if (v.text.startsWith("'")) this.fail(`values are double-quoted (RFC 7644 §3.4.2.2), got ${v.text.slice(0, 60)}`);
    return { op: opWord as CompareOp, path, value: literal(v.text) };
  }
}

function literal(word: string): FilterValue {
  const lower = word.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  return word; // unquoted string: Entra's docs and the MS suite send them
}

export function parseFilter(input: string): Filter {
  if (input.trim() === '') throw invalidFilter('filter: empty expression');
  if (input.length > 4096) throw invalidFilter('filter: longer than 4096 characters');
  return new Parser(tokenize(input), input).parse();
}
