import { freeTextProblem, MAX_REASON } from '../safe-text.ts';
import { CliError } from './cli-error.ts';

/** The --help text of every `--reason` but exempt's (whose reason is the exemption's own). */
export const REASON_HELP = `why (who asked and why): one line, at most ${MAX_REASON} characters; recorded in the audit log`;

/** exempt's --reason: the exemption's own reason, required, and checked as every --reason is (reasonBody). */
export const EXEMPT_REASON_HELP = `who asked and why (required): one line, at most ${MAX_REASON} characters; kept with the exemption and recorded in the audit log`;

/**
 * The request body carrying `--reason`, or undefined without one. Checked here as the server
 * checks it (scim-server/admin/request-schemas.ts `reasonField`), so a mistake is a usage error
 * naming the option, not the server's `body.reason`.
 */
export function reasonBody(raw: string | undefined): { reason: string } | undefined {
  if (raw === undefined) return undefined;
  const reason = raw.trim();
  // An empty one (an unset shell variable) is refused, never sent as "no reason".
  if (!reason) throw new CliError('--reason: expected a reason (who asked and why), or leave the option out', 2);
  if (reason.length > MAX_REASON) throw new CliError(`--reason: ${reason.length} characters; at most ${MAX_REASON}`, 2);
  const problem = freeTextProblem(reason);
  if (problem) throw new CliError(`--reason: the text ${problem}`, 2);
  return { reason };
}
