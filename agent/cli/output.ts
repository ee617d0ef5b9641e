/**
 * What the CLI prints: a readable table, or with `--json` the API's JSON as-is (for scripts).
 */
export interface Column<T> {
  header: string;
  value(row: T): unknown;
}

export function table<T>(rows: T[], columns: Array<Column<T>>): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n');
}

function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.join(',') : '-';
  return String(value).replace(/\s+/g, ' ');
}

export interface Printer {
  json: boolean;
  /** Prints `data` as JSON, or `human()` as text. */
  print(data: unknown, human: () => string): void;
}

export function printer(json: boolean | undefined, out: (text: string) => void = (t) => process.stdout.write(`${t}\n`)): Printer {
  return {
    json: Boolean(json),
    print(data, human) {
      out(json ? JSON.stringify(data, null, 2) : human());
    },
  };
}
