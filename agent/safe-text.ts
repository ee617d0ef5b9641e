/**
 * Text that reaches a person's screen: a free-text field an admin submits (an exemption reason,
 * shown later in the dashboard, the CLI and an IdP attribute) and values the CLI prints (member
 * names, emails, reasons, error details from the server).
 *
 * Control characters (C0, DEL, C1) drive terminals: ESC starts a sequence that can move the
 * cursor, rewrite lines or set the window title (ECMA-48), and C1 0x9B is a one-byte CSI. The
 * bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069; Unicode UAX #9)
 * reorder what is shown so it reads differently from what is stored ("Trojan Source",
 * CVE-2021-42574, https://trojansource.codes/).
 */
/** The longest reason an admin may give (an exemption's, or why they ask for an access change). */
export const MAX_REASON = 500;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
/**
 * A UTF-16 half with no partner (JSON `"\ud800"` parses): no Unicode text (RFC 8259 §8.2), written
 * as U+FFFD once encoded as UTF-8, so two such ids stored as keys would become one.
 */
const LONE_SURROGATE = /\p{Cs}/u;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * What makes `text` unfit to store as free text, in words for an error message, or undefined.
 * A line break and a tab are control characters too: a reason is one line wherever it is shown.
 */
export function freeTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'holds a NUL character';
  const control = CONTROL.exec(text);
  if (control) return `holds a control character (${codePoint(control[0])}${control[0] === '\n' || control[0] === '\r' ? ', a line break' : ''}); use one line of plain text`;
  const bidi = BIDI.exec(text);
  if (bidi) return `holds a Unicode bidirectional control (${codePoint(bidi[0])}) that would show the text in another order than it is stored`;
  if (LONE_SURROGATE.test(text)) return 'holds a lone UTF-16 surrogate (not a Unicode character)';
  return undefined;
}

/**
 * `text` cut to at most `max` UTF-16 code units, ending with "…" when cut. Counted in code units,
 * which never undercounts characters, and never splitting a surrogate pair.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return `${text.slice(0, end)}…`;
}

/**
 * Text a sender chose (an event hook's actor or event type) as one line for a label in the audit
 * log, which people read and export as CSV: its control and bidi characters written out as escapes
 * (`escapeForTerminal`), a lone surrogate as U+FFFD, and at most `max` code units (`clipText`).
 * Text without any of those is kept as it is.
 */
export function labelText(text: string, max: number): string {
  return clipText(escapeForTerminal(text).replace(/\p{Cs}/gu, '\ufffd'), max);
}

const ESCAPE_ALL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const ESCAPE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escaped = (c: string) => {
  const n = c.codePointAt(0)!;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

/**
 * `text` with every control character and bidi control written out as an escape (`\x1b`,
 * `\u202e`), so printing it cannot drive the terminal. `keepNewlines` keeps `\n` (a multi-line
 * table the CLI built itself); a lone value should be one line.
 */
export function escapeForTerminal(text: string, keepNewlines = false): string {
  return text.replace(keepNewlines ? ESCAPE_BUT_NEWLINE : ESCAPE_ALL, escaped);
}

/**
 * JSON text for a terminal: JSON.stringify already escapes C0 (RFC 8259 §7), not DEL, C1 or the
 * bidi controls. Those can only occur inside strings, where `\uXXXX` means the same character,
 * so a script parsing the output gets the same values.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
