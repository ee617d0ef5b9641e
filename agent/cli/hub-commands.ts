import type { Command } from 'commander';
import { DIRECTORY_STATUSES, MEMBER_STATUSES as MEMBER_STATUS_LIST, type HubSummary, type MemberView, type PlannedOperation, type TaskView } from '../api.ts';
import { seg } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { connect, type GlobalOptions } from './connection.ts';
import { printer, table } from './output.ts';
import { followTask, pollInterval, taskLine } from './task-progress.ts';
import { csvForOutput, fetchCsv, fetchPages, outputFormat, parseLimit } from './paging.ts';
import { checkOutcome } from './check-outcome.ts';
import { itemsOf, stringOf } from './answer.ts';
import { dateOption } from './dates.ts';
import { visibleValue } from './path-arguments.ts';
import { untilInstant } from '../members/exemption-until.ts';
import { EXEMPT_REASON_HELP, REASON_HELP, reasonBody } from './reason.ts';
import type { HubRole } from '../../config/schema.ts';

const MEMBER_STATUSES: readonly string[] = MEMBER_STATUS_LIST;

/**
 * `match --hub-role`, checked here as `--status` is: the server's 400 named its body field
 * (body.hubRole) and exited 1, not a usage mistake naming the option. Every role of the config's
 * HUB_ROLES, tsc-checked (a Record over the type), without loading the config schema.
 */
const HUB_ROLES = Object.keys({ owner: true, manager: true, collaborator: true } satisfies Record<HubRole, true>);

function memberTable(members: MemberView[]): string {
  const partners = members.some((m) => m.kind === 'partner-user');
  return table(members, [
    { header: 'id', value: (m) => m.id },
    { header: 'status', value: (m) => m.status },
    // A partner's person often has no email Meta shows us: their name, and their business below.
    { header: 'email', value: (m) => m.email ?? m.name },
    ...(partners ? [{ header: 'partner business', value: (m: MemberView) => (m.kind === 'partner-user' ? m.partnerBusinessName ?? m.partnerBusinessId : undefined) }] : []),
    { header: 'app role', value: (m) => m.appRole },
    { header: 'hub role', value: (m) => m.hubRole },
    { header: 'directory user', value: (m) => m.directoryUserId },
    // Anything but active holds no seat: the row's removal is pending (agent/api.ts DirectoryStatus).
    { header: 'in idp', value: (m) => m.directoryStatus },
    { header: 'granted by', value: (m) => m.grantedBy },
    // One person holding two seats (agent/members/other-seats.ts): for an owner to look at.
    ...(members.some((m) => m.otherSeats) ? [{ header: 'other seats', value: (m: MemberView) => m.otherSeats }] : []),
  ]);
}

/**
 * `exempt --until`: a date or date-time (dates.ts), and one still ahead, by the server's own rule
 * (agent/members/exemption-until.ts: a date lasts through the end of that day in UTC). A past one
 * was sent and refused by the server (exit 1, "is not in the future"); now it is a usage mistake.
 */
function futureUntil(raw: string): string {
  const until = dateOption('--until', raw, 'as-is');
  const ends = untilInstant(until);
  if (ends <= Date.now()) {
    const when = /T/.test(until) ? '' : ' (a date lasts through its end in UTC)';
    throw new CliError(`--until: ${visibleValue(raw)} is in the past${when}, now is ${new Date().toISOString()}: give a later date or date-time`, 2);
  }
  return until;
}

/** The <hub> and <member> arguments of the member commands, as --help describes them. */
const HUB_ARG = 'hub id';
const MEMBER_ARG = 'member id (the ID column of hubwarden members <hub>)';

/** hubs, check, plan, members, match, unmatch, exempt, remove. */
export function registerHubCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();

  program.command('hubs').description('list hubs with their health').action(async () => {
    const api = await connect(global());
    const items = itemsOf<HubSummary>(await api.get('/hubs'));
    printer(global().json).print(items, () => table(items, [
      { header: 'id', value: (h) => h.id },
      { header: 'label', value: (h) => h.label },
      { header: 'health', value: (h) => h.health.status },
      { header: 'members', value: (h) => Object.entries(h.memberCounts).map(([k, v]) => `${k}=${v}`).join(' ') },
      { header: 'problems', value: (h) => h.health.problems.join('; ') },
    ]));
  });

  program.command('check').argument('<hub>', 'hub id').description('check a hub for updates and wait for the result')
    .option('--no-wait', 'start the check and print its task id')
    .action(async (hub: string, opts: { wait: boolean }) => {
      const pollMs = pollInterval(500); // a bad HUBWARDEN_POLL_MS is refused before the task is started
      const client = await connect(global());
      const { body } = await client.post<{ taskId: string }>(`/hubs/${seg(hub)}/check-for-updates`);
      const taskId = stringOf(body, 'taskId');
      const out = printer(global().json);
      if (!opts.wait) return out.print(body, () => `check for updates of ${hub} started: task ${taskId}`);
      const task = await followTask(client, taskId, pollMs);
      out.print(task, () => (task.status === 'completed' ? `${taskLine(task)}\n${checkOutcome(task.result, hub)}` : taskLine(task)));
      if (task.status !== 'completed') throw new CliError(`check for updates of ${hub} ${task.status}: ${task.lastError?.message ?? 'see hubwarden tasks'}`);
    });

  program.command('plan').argument('<hub>', 'hub id').description('dry run: what check for updates would change now').action(async (hub: string) => {
    const api = await connect(global());
    const plan = await api.get<{ operations: PlannedOperation[] }>(`/hubs/${seg(hub)}/plan`);
    const operations = itemsOf<PlannedOperation>(plan, 'operations');
    printer(global().json).print(plan, () => table(operations, [
      { header: 'operation', value: (o) => o.kind },
      { header: 'member', value: (o) => o.memberId },
      { header: 'email', value: (o) => o.email },
      { header: 'summary', value: (o) => o.summary },
    ]));
  });

  program.command('members').argument('<hub>', 'hub id').description('members of a hub')
    .option('--status <status>', `one of ${MEMBER_STATUSES.join(', ')}`)
    .option('--directory-status <status>', `where the directory user stands in the IdP: one of ${DIRECTORY_STATUSES.join(', ')}`)
    .option('--search <text>', 'email or name contains')
    .option('--other-seats', 'only the seats and invites of a directory user who holds another on the hub')
    .option('--limit <n>', 'at most n members (default 100; with --format csv every member); pages are fetched as needed')
    .option('--format <format>', 'table, csv or json (RFC 4180 CSV, formula-like cells prefixed with \')')
    .action(async (hub: string, opts: { status?: string; directoryStatus?: string; otherSeats?: boolean; search?: string; limit?: string; format?: string }) => {
      if (opts.status && !MEMBER_STATUSES.includes(opts.status)) throw new CliError(`--status: expected one of ${MEMBER_STATUSES.join(', ')}, got "${opts.status}"`, 2);
      if (opts.directoryStatus && !(DIRECTORY_STATUSES as readonly string[]).includes(opts.directoryStatus)) throw new CliError(`--directory-status: expected one of ${DIRECTORY_STATUSES.join(', ')}, got "${opts.directoryStatus}"`, 2);
      const format = outputFormat(opts.format, global().json);
      const query = new URLSearchParams({ ...(opts.status ? { status: opts.status } : {}), ...(opts.directoryStatus ? { directoryStatus: opts.directoryStatus } : {}), ...(opts.otherSeats ? { flag: 'other-seats' } : {}), ...(opts.search ? { search: opts.search } : {}) });
      const client = await connect(global());
      if (format === 'csv') return void process.stdout.write(csvForOutput(await fetchCsv(client, `/hubs/${seg(hub)}/members`, query, opts.limit === undefined ? undefined : parseLimit(opts.limit, 0))));
      const page = await fetchPages<MemberView>(client, `/hubs/${seg(hub)}/members`, query, parseLimit(opts.limit, 100));
      printer(format === 'json').print(page, () => `${memberTable(page.items)}\n${page.items.length} of ${page.total} member(s)`);
    });

  const memberAction = async (hub: string, member: string, action: string, body?: unknown) => {
    const api = await connect(global());
    const { body: result } = await api.post<MemberView>(`/hubs/${seg(hub)}/members/${seg(member)}/${action}`, body);
    // The member as it is now, or a line saying the answer is not one: `{}` printed a row of
    // dashes with exit 0, which read as done whatever the server had (or had not) changed.
    stringOf(result, 'id');
    printer(global().json).print(result, () => memberTable([result]));
  };

  program.command('match').argument('<hub>', HUB_ARG).argument('<member>', MEMBER_ARG).argument('<directoryUserId>', 'the directory user\'s id (the SCIM User id)').description('match a hub member to a directory user')
    .option('--hub-role <role>', 'owner, manager or collaborator')
    .option('--reason <reason>', REASON_HELP)
    .action((hub: string, member: string, directoryUserId: string, opts: { hubRole?: string; reason?: string }) => {
      if (opts.hubRole !== undefined && !HUB_ROLES.includes(opts.hubRole)) throw new CliError(`--hub-role: expected one of ${HUB_ROLES.join(', ')}, got "${opts.hubRole}"`, 2);
      return memberAction(hub, member, 'match', { directoryUserId, ...(opts.hubRole ? { hubRole: opts.hubRole } : {}), ...reasonBody(opts.reason) });
    });

  program.command('unmatch').argument('<hub>', HUB_ARG).argument('<member>', MEMBER_ARG).description('forget a manual match')
    .option('--reason <reason>', REASON_HELP)
    .action((hub: string, member: string, opts: { reason?: string }) => memberAction(hub, member, 'unmatch', reasonBody(opts.reason)));

  program.command('exempt').argument('<hub>', HUB_ARG).argument('<member>', MEMBER_ARG).description('exempt a member from removal')
    .requiredOption('--reason <reason>', EXEMPT_REASON_HELP)
    .option('--until <date>', 'when it ends: through the end of a date in UTC (2026-12-31), or at an ISO 8601 date-time with its offset (2026-12-31T18:00:00+01:00)')
    .action((hub: string, member: string, opts: { reason: string; until?: string }) =>
      // Checked as every --reason is (reason.ts): too long or holding a control character was the
      // server's 400, exit 1, where the same --reason on remove is a usage mistake, exit 2.
      memberAction(hub, member, 'exempt', { ...reasonBody(opts.reason), ...(opts.until !== undefined ? { until: futureUntil(opts.until) } : {}) }));

  program.command('unexempt').argument('<hub>', HUB_ARG).argument('<member>', MEMBER_ARG).description('end a member\'s exemption now (hubwarden manages the seat again)')
    .option('--reason <reason>', REASON_HELP)
    .action((hub: string, member: string, opts: { reason?: string }) => memberAction(hub, member, 'unexempt', reasonBody(opts.reason)));

  program.command('remove').argument('<hub>', HUB_ARG).argument('<member>', MEMBER_ARG).description('remove a member from a hub')
    .option('--reason <reason>', REASON_HELP)
    .action(async (hub: string, member: string, opts: { reason?: string }) => {
      const reason = reasonBody(opts.reason);
      const api = await connect(global());
      const { body } = await api.post<{ taskId: string; task: TaskView }>(`/hubs/${seg(hub)}/members/${seg(member)}/remove`, reason);
      const taskId = stringOf(body, 'taskId');
      printer(global().json).print(body, () => `removal of ${member} from ${hub} queued: task ${taskId}`);
    });
}
