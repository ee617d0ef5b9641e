/**
 * What the CLI prints: a readable table, or with `--json` the API's JSON as-is (for scripts).
 * Either way every value from the server is printed with its control characters escaped
 * (agent/safe-text.ts): a member name holding ESC sequences cannot rewrite the admin's terminal.
 */
import { escapeForTerminal, jsonForTerminal } from '../safe-text.ts';
import { CliError } from './cli-error.ts';

export interface Column<T> {
  header: string;
  value(row: T): unknown;
}

export function table<T>(rows: T[], columns: Array<Column<T>>): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r, i) => columns.map((c) => cell(valueOf(c, r), c.header, i)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n');
}

/** A row the server sent without a field a column reads (`h.health.status` of `{}`) shows `-`. */
function valueOf<T>(column: Column<T>, row: T): unknown {
  try {
    return column.value(row);
  } catch {
    return undefined;
  }
}

/**
 * A cell's text. A value the server sent as an object where a column shows text (an id, a status)
 * is an answer this command cannot read: printed, it was `[object Object]` in the table, exit 0.
 */
function cell(value: unknown, header: string, row: number): string {
  if (value === undefined || value === null || value === '') return '-';
  const parts = Array.isArray(value) ? value : [value];
  if (parts.some((part) => typeof part === 'object' && part !== null)) {
    throw unexpectedAnswer(`row ${row + 1} has ${Array.isArray(value) ? 'a list of objects' : 'an object'} under ${header.toUpperCase()}, where this command shows text`);
  }
  if (Array.isArray(value)) return value.length ? escapeForTerminal(value.join(',')) : '-';
  return escapeForTerminal(String(value).replace(/\s+/g, ' '));
}

/**
 * A server's value written into a line of the human text (a task's summary or error, a held
 * seat's why): escaped as one line. `print` keeps the line breaks of the text the CLI built, so a
 * value holding `\n` showed lines of its own under the real ones (a forged `completed remove …`).
 */
export const inLine = (value: unknown): string => escapeForTerminal(String(value));

export interface Printer {
  json: boolean;
  /** Prints `data` as JSON, or `human()` as text. */
  print(data: unknown, human: () => string): void;
}

export function printer(json: boolean | undefined, out: (text: string) => void = (t) => process.stdout.write(`${t}\n`)): Printer {
  return {
    json: Boolean(json),
    print(data, human) {
      out(json ? jsonForTerminal(JSON.stringify(data, null, 2) ?? 'null') : escapeForTerminal(humanText(human), true));
    },
  };
}

/**
 * The human text reads the server's answer; one that lacks what the text needs (a field missing,
 * a list that is not one) is a TypeError here, reported as one line about the answer.
 */
function humanText(human: () => string): string {
  try {
    return human();
  } catch (err) {
    if (err instanceof TypeError) throw unexpectedAnswer('the answer lacks fields this command prints');
    throw err;
  }
}

/** The server answered something a hubwarden server of this version would not. */
export function unexpectedAnswer(why: string): CliError {
  return new CliError(`unexpected answer from the server: ${why} (is the URL a hubwarden server of the same version?)`);
}
