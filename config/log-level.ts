/** The values HUBWARDEN_LOG_LEVEL takes (README, "What `npm start` does"); unset or empty is `info`. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level `value` names, or undefined when it names none (a typo such as `warning` or `DEBUG`). */
export function logLevelOf(value: string | undefined): LogLevel | undefined {
  if (value === undefined || value === '') return 'info';
  return (LOG_LEVELS as readonly string[]).includes(value) ? (value as LogLevel) : undefined;
}

/** The problem line for a HUBWARDEN_LOG_LEVEL that names no level, else undefined. */
export function logLevelProblem(value: string | undefined): string | undefined {
  return logLevelOf(value) ? undefined : `HUBWARDEN_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got "${value}"`;
}
