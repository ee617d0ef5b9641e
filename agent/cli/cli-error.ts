/**
 * A failure the CLI reports as one readable line on stderr (`hubwarden: …`) with a non-zero exit:
 * 1 for a failed operation, 2 for a usage mistake.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** One line: a stack trace or a multi-line cause never reaches the terminal. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
}
