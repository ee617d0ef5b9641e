// No DOM here, so node tests import it (dashboard.js re-exports it for the pages).
/**
 * Text from outside (the app, the IdP) as it is shown: control characters and the bidi
 * embeddings, overrides and isolates (Unicode UAX #9, https://www.unicode.org/reports/tr9/) as
 * visible escapes (`\u202e`), as the CLI shows them. Left raw, a U+202E in an audit why showed
 * the rest of the cell reversed, so it read otherwise than it is stored (Trojan Source,
 * https://trojansource.codes/); in a member's display name it reversed the rest of the removal
 * dialog's sentence, so the confirmation read otherwise than what it removes.
 */
export const shownText = (text) => String(text ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
  (c) => { const n = c.codePointAt(0); return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`; });
