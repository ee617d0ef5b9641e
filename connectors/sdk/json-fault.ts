/**
 * What JSON.parse found wrong, without the text around it. V8 quotes up to 10 characters either
 * side of an unexpected token (`Unexpected token 'S', ..."password":Sup3rSecre"... is not valid
 * JSON`), so a password or token the client wrote without quotes went into the answer and the
 * debug log line of the refusal, where no redaction pattern knows it; and a file that is not JSON
 * at all (a token or key file named by mistake as a store or an emulator fixture) had its first
 * characters printed. The token's one character and the position (when V8 gives it) stay.
 */
export function jsonFault(err: unknown): string {
  if (err instanceof RangeError) return 'nested too deeply';
  const message = (err instanceof Error ? err.message : String(err))
    .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
    .replace(/^".*" is not valid JSON$/s, 'not JSON');
  // Any other shape that quotes the text: said without it.
  return /["\n]/.test(message) || message.length > 120 ? 'not JSON' : message;
}
