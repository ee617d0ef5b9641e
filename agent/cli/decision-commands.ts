import type { Command } from 'commander';
import type { Approval, AuditEntry, TaskView } from '../api.ts';
import { seg } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { connect, type GlobalOptions } from './connection.ts';
import { printer, table } from './output.ts';
import { followTask, pollInterval } from './task-progress.ts';
import { offboardOutcome } from './offboard-outcome.ts';
import { csvForOutput, fetchCsv, fetchPages, outputFormat, parseLimit } from './paging.ts';
import { alreadyDoneText, itemsOf, stringOf } from './answer.ts';
import { dateOption } from './dates.ts';
import { REASON_HELP, reasonBody } from './reason.ts';
import { visibleValue } from './path-arguments.ts';
import { AUDIT_OUTCOMES } from '../api.ts';
import { parseOutcomes } from '../audit/outcome-filter.ts';

/**
 * `audit --email`: the shape of an address, an "@" with text on each side and no space or
 * control character (leading and trailing spaces aside: the server trims and compares lower-cased,
 * agent/matching/email-key.ts). Anything else matches no entry's subject, and the empty list it
 * got read as "nothing happened to this person". Looser than the <email> arguments' rule
 * (agent/person-ids.ts): the log keeps the addresses the IdP sent, which that rule may not take.
 */
const EMAIL_SHAPE = /^[^\s\p{C}]+@[^\s\p{C}]+$/u;

function checkEmailFilter(raw: string): void {
  if (!EMAIL_SHAPE.test(raw.trim())) throw new CliError(`--email: expected an email address (jane@example.com), got ${visibleValue(raw)}`, 2);
}

/** `audit --outcome unknown,failed`: checked here as the server does, the outcomes sent as one comma-separated value. */
function outcomeFilter(raw: string): string {
  const parsed = parseOutcomes(raw);
  if ('problem' in parsed) throw new CliError(`--outcome: ${parsed.problem}`, 2);
  return parsed.outcomes.join(',');
}

/** approvals, approve, reject, offboard, audit: an owner's decisions and the record of them. */
export function registerDecisionCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();

  program.command('approvals').description('plans halted for approval (removal threshold)').option('--hub <hub>', 'only this hub').action(async (opts: { hub?: string }) => {
    const api = await connect(global());
    const items = itemsOf<Approval>(await api.get(`/approvals${opts.hub ? `?hubId=${seg(opts.hub)}` : ''}`));
    printer(global().json).print(items, () => table(items, [
      { header: 'id', value: (a) => a.id },
      { header: 'hub', value: (a) => a.hubId },
      { header: 'status', value: (a) => a.status },
      { header: 'operations', value: (a) => a.operations.length },
      // A withdrawn approval says why nobody needs to decide it, before what it had asked.
      { header: 'explanation', value: (a) => (a.status === 'withdrawn' && a.withdrawnBecause ? `withdrawn: ${a.withdrawnBecause} (it asked: ${a.explanation})` : a.explanation) },
    ]));
  });

  for (const decision of ['approve', 'reject'] as const) {
    // Approving runs every removal the threshold held: the server requires a reason (request-schemas.ts approveBody).
    const command = program.command(decision).argument('<approvalId>', 'approval id').description(`${decision} a halted plan`);
    if (decision === 'approve') command.requiredOption('--reason <reason>', `${REASON_HELP} (required: approving runs every removal the threshold held)`);
    else command.option('--reason <reason>', REASON_HELP);
    command.action(async (id: string, opts: { reason?: string }) => {
      const reason = reasonBody(opts.reason);
      const api = await connect(global());
      const { body } = await api.post<Approval>(`/approvals/${seg(id)}/${decision}`, reason);
      // What the line reports: an id or hub of another kind printed `approval [object Object] on …`, exit 0.
      const [approval, hubId, status] = [stringOf(body, 'id'), stringOf(body, 'hubId'), stringOf(body, 'status')];
      printer(global().json).print(body, () => `approval ${approval} on ${hubId}: ${status}${alreadyDoneText(body)}`);
    });
  }

  program.command('offboard').argument('<email>', 'the person\'s email').description('remove a person from every hub and hold them (no invite until the IdP deactivates and reactivates them), wait, and print each removal (exit 1 if one failed)')
    .option('--no-wait', 'start offboarding and print its task id')
    .option('--reason <reason>', REASON_HELP)
    .option('--directory-user <id>', 'offboard this directory user only (needed when the email names several on a hub: a leaver and their rehire)')
    .action(async (email: string, opts: { wait: boolean; reason?: string; directoryUser?: string }) => {
      const pollMs = pollInterval(500); // a bad HUBWARDEN_POLL_MS is refused before the task is started
      const reason = reasonBody(opts.reason);
      const directoryUserId = opts.directoryUser?.trim();
      if (opts.directoryUser !== undefined && !directoryUserId) throw new CliError('--directory-user: expected a directory user id, or leave the option out', 2);
      const client = await connect(global());
      const { body } = await client.post<{ taskId: string }>(`/people/${seg(email)}/offboard`, directoryUserId ? { ...reason, directoryUserId } : reason);
      const taskId = stringOf(body, 'taskId');
      const out = printer(global().json);
      // A repeat after the offboarding completed (200 alreadyDone): that task, nothing queued again.
      const repeated = (body as { alreadyDone?: unknown }).alreadyDone === true;
      if (!opts.wait) return out.print(body, () => (repeated ? `offboarding of ${email} already done: task ${taskId} completed, nothing queued again` : `offboarding of ${email} started: task ${taskId}`));
      const task: TaskView = await followTask(client, taskId, pollMs);
      // What happened to each seat is in the offboarding's children (its removals).
      const outcome = await offboardOutcome(client, task, email);
      if (task.status !== 'completed') {
        out.print(task, () => `task ${task.id} offboard ${email}: ${task.status}${outcome.children.length > 0 ? `\n${outcome.text}` : ''}`);
        throw new CliError(`offboarding of ${email} ${task.status}: ${task.lastError?.message ?? 'see hubwarden tasks'}`);
      }
      out.print(task, () => `task ${task.id} offboard ${email}: ${task.status}\n${outcome.text}`);
      if (outcome.error) throw outcome.error;
    });

  program.command('audit').description('the audit log')
    .option('--hub <hub>', 'only this hub')
    .option('--email <email>', 'only this person')
    .option('--action <action>', 'only this action')
    .option('--outcome <outcomes>', `only entries of these outcomes, comma-separated: ${AUDIT_OUTCOMES.join(', ')} (e.g. unknown,failed; unknown: an app change whose answer was lost, to check in the app)`)
    .option('--since <date>', 'a date (from its start, UTC) or an ISO 8601 date-time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z')
    .option('--limit <n>', 'at most n entries, newest first (default 100; with --format csv every entry); pages are fetched as needed')
    .option('--format <format>', 'table, csv or json (RFC 4180 CSV, formula-like cells prefixed with \')')
    .action(async (opts: { hub?: string; email?: string; action?: string; outcome?: string; since?: string; limit?: string; format?: string }) => {
      if (opts.email !== undefined) checkEmailFilter(opts.email);
      const outcome = opts.outcome === undefined ? undefined : outcomeFilter(opts.outcome);
      const format = outputFormat(opts.format, global().json);
      const since = opts.since === undefined ? undefined : dateOption('--since', opts.since, 'start-of-day');
      const query = new URLSearchParams();
      for (const [key, value] of [['hubId', opts.hub], ['email', opts.email], ['action', opts.action], ['outcome', outcome], ['since', since]] as const) if (value) query.set(key, value);
      const client = await connect(global());
      if (format === 'csv') return void process.stdout.write(csvForOutput(await fetchCsv(client, '/audit', query, opts.limit === undefined ? undefined : parseLimit(opts.limit, 0))));
      const page = await fetchPages<AuditEntry>(client, '/audit', query, parseLimit(opts.limit, 100));
      printer(format === 'json').print(page, () => table(page.items, [
        { header: 'at', value: (e) => e.at },
        { header: 'hub', value: (e) => e.hubId },
        { header: 'action', value: (e) => e.action },
        { header: 'subject', value: (e) => e.subject?.email ?? e.subject?.memberId ?? e.subject?.label },
        { header: 'outcome', value: (e) => e.outcome },
        { header: 'by', value: (e) => [e.trigger.type, e.trigger.actor].filter(Boolean).join(':') },
        { header: 'why', value: (e) => e.why },
      ]));
    });
}
