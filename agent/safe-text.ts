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
  return undefined;
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
