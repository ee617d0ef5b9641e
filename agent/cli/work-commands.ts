import { CliError } from './cli-error.ts';
import type { Command } from 'commander';
import { TASK_STATUSES, type DeprovisioningReport, type TaskRetry, type TaskView } from '../api.ts';
import { seg } from './admin-client.ts';
import { connect, type GlobalOptions } from './connection.ts';
import { printer, table } from './output.ts';
import { fetchPages, parseLimit } from './paging.ts';
import { checkTaskText, pollInterval } from './task-progress.ts';
import { alreadyDoneText, isObject, itemsOf, stringOf } from './answer.ts';
import { REASON_HELP, reasonBody } from './reason.ts';

const UNFINISHED = new Set(['queued', 'running', 'waiting']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function taskTable(tasks: TaskView[]): string {
  tasks.forEach((task, i) => checkTaskText(task, `items[${i}].`));
  return table(tasks, [
    { header: 'id', value: (t) => t.id },
    { header: 'hub', value: (t) => t.hubId },
    { header: 'kind', value: (t) => t.kind },
    { header: 'status', value: (t) => t.status },
    { header: 'progress', value: (t) => (t.progress ? `${t.progress.done}/${t.progress.total}` : undefined) },
    { header: 'updated', value: (t) => t.updatedAt },
    { header: 'summary', value: (t) => (t.lastError ? `${t.summary}: ${t.lastError.message}` : t.summary) },
  ]);
}

/** tasks, reports, apply. */
export function registerWorkCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();

  const tasks = program.command('tasks').description('agent tasks, newest first (tasks retry: retry a failed one)')
    .option('--hub <hub>', 'only this hub')
    .option('--status <status>', 'queued, running, waiting, completed, failed, cancelled, needs-approval')
    .option('--watch', 'refresh until no listed task is queued, running or waiting')
    .option('--limit <n>', 'at most n tasks (default 100); pages are fetched as needed')
    .action(async (opts: { hub?: string; status?: string; watch?: boolean; limit?: string }) => {
      // Checked here, as members --status is: the server's answer names its query field (query.status), not the option.
      if (opts.status && !(TASK_STATUSES as readonly string[]).includes(opts.status)) throw new CliError(`--status: expected one of ${TASK_STATUSES.join(', ')}, got "${opts.status}"`, 2);
      const pollMs = opts.watch ? pollInterval(2000) : 0;
      const client = await connect(global());
      const limit = parseLimit(opts.limit, 100);
      const query = new URLSearchParams({ ...(opts.hub ? { hubId: opts.hub } : {}), ...(opts.status ? { status: opts.status } : {}) });
      const out = printer(global().json);
      for (;;) {
        const page = await fetchPages<TaskView>(client, '/tasks', query, limit);
        if (opts.watch && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        out.print(page, () => taskTable(page.items));
        if (!opts.watch || !page.items.some((t) => UNFINISHED.has(t.status))) return;
        await sleep(pollMs);
      }
    });

  // A failed app change the app refused for good holds the same change's later tasks a week
  // (agent/tasks/operations/operation-handler.ts): once its cause is fixed outside the request (the
  // app fixed, the connector upgraded), an owner sends it again now.
  tasks.command('retry').argument('<hub>', 'hub id').argument('<taskId>', 'the failed task (hubwarden tasks --hub <hub> --status failed)')
    .description('retry a failed app change once its cause is fixed: the failed task is kept, marked retried, and holds nothing any more; the change is queued again and re-planned before it calls the app (a change no longer wanted does nothing). A second retry of the same task queues nothing')
    .requiredOption('--reason <reason>', `${REASON_HELP} (required: say what was fixed)`)
    .action(async (hub: string, taskId: string, opts: { reason: string }) => {
      const reason = reasonBody(opts.reason);
      const api = await connect(global());
      const { body } = await api.post<TaskRetry>(`/hubs/${seg(hub)}/tasks/${seg(taskId)}/retry`, reason);
      const queued = stringOf(body, 'taskId');
      const status = isObject(body.task) && typeof body.task.status === 'string' ? ` (${body.task.status})` : '';
      printer(global().json).print(body, () => `task ${taskId} on ${hub}: retried; queued as task ${queued}${status}${alreadyDoneText(body)}`);
    });

  program.command('reports').description('deprovisioning reports waiting for an owner').option('--hub <hub>', 'only this hub').action(async (opts: { hub?: string }) => {
    const api = await connect(global());
    const items = itemsOf<DeprovisioningReport>(await api.get(`/reports${opts.hub ? `?hubId=${seg(opts.hub)}` : ''}`));
    printer(global().json).print(items, () => table(items.flatMap((r) => itemsOf<DeprovisioningReport['items'][number]>(r).map((i) => ({ r, i }))), [
      { header: 'report', value: ({ r }) => r.id },
      { header: 'hub', value: ({ r }) => r.hubId },
      { header: 'status', value: ({ r }) => r.status },
      { header: 'member', value: ({ i }) => i.memberId },
      { header: 'email', value: ({ i }) => i.email },
      { header: 'action', value: ({ i }) => i.action },
      { header: 'applied', value: ({ i }) => i.appliedAt },
      { header: 'reason', value: ({ i }) => i.reason },
    ]));
  });

  program.command('apply').argument('<reportId>', 'report id').description('apply a deprovisioning report (all items, or --members)')
    .option('--members <ids>', 'comma-separated member ids')
    .option('--reason <reason>', REASON_HELP)
    .action(async (reportId: string, opts: { members?: string; reason?: string }) => {
      // An empty --members (an unset shell variable, say) names nobody: it must never mean "all",
      // which removes everyone in the report.
      const named = opts.members?.split(',').map((s) => s.trim()).filter(Boolean);
      if (named !== undefined && named.length === 0) throw new CliError('--members names no member id (leave it out to apply every item of the report)', 2);
      const memberIds = named ?? 'all';
      const reason = reasonBody(opts.reason);
      const api = await connect(global());
      const { body } = await api.post<DeprovisioningReport>(`/reports/${seg(reportId)}/apply`, { memberIds, ...reason });
      // Read before printing: an id or status of another kind printed `report undefined: [object Object]`, exit 0.
      const id = stringOf(body, 'id');
      const status = stringOf(body, 'status');
      const items = itemsOf<DeprovisioningReport['items'][number]>(body);
      printer(global().json).print(body, () => `report ${id}: ${status}; ${items.filter((i) => i.appliedAt).length} of ${items.length} item(s) applied${alreadyDoneText(body)}`);
    });
}
