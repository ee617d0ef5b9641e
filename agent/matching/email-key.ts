/**
 * emailKey: the one form in which hubwarden compares and indexes email addresses (Unicode NFC,
 * trimmed, lower-cased). Defined in connectors/sdk/email-key.ts, so connectors compare as the
 * agent does; every email index declares it (`uses`) so a PostgreSQL store rebuilds them when it changes.
 */
export { emailKey } from '../../connectors/sdk/email-key.ts';
