import { logger, redactText, type Logger } from './logger.ts';

/**
 * The last word of a process that crashes: an uncaught exception or an unhandled rejection. Node's
 * own report prints the error with util.inspect, every property and its `cause` chain included,
 * straight to stderr past the redacting logger; an SDK or fetch error can carry the request it
 * failed on (a URL with `access_token`, an Authorization header, a form with `client_secret`). Here
 * the crash is one log line through the logger, its message and stack redacted and nothing else
 * of the error, and the process exits 1 as Node's default would
 * (https://nodejs.org/api/process.html#event-uncaughtexception).
 */
export function exitOnCrash(log: Pick<Logger, 'error'> = logger): void {
  const crash = (what: string) => (err: unknown) => {
    const text = err instanceof Error ? (err.stack || `${err.name}: ${err.message}`) : typeof err === 'string' ? err : `a ${err === null ? 'null' : typeof err} value`;
    log.error(`crash: ${what}; exiting`, { error: redactText(text) });
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled promise rejection'));
}
