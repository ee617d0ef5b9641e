import type { Command } from 'commander';
import type { OfferView, TaskView } from '../api.ts';
import { seg } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { connect, type GlobalOptions } from './connection.ts';
import { printer, table } from './output.ts';
import { followTask, pollInterval } from './task-progress.ts';
import { itemsOf, stringOf } from './answer.ts';
import { REASON_HELP, reasonBody } from './reason.ts';

/** offers, claim: seats offered through claim teams and collections, claimed on someone's behalf. */
export function registerOfferCommands(program: Command): void {
  const global = () => program.opts<GlobalOptions>();

  program.command('offers').argument('<email>', 'the person\'s email').description('the seats offered to a person, on every hub').action(async (email: string) => {
    const api = await connect(global());
    const items = itemsOf<OfferView>(await api.get(`/people/${seg(email)}/offers`));
    printer(global().json).print({ items }, () => table(items, [
      { header: 'id', value: (o) => o.id },
      { header: 'hub', value: (o) => o.hubId },
      { header: 'collection', value: (o) => o.collection },
      { header: 'app role', value: (o) => o.appRole },
      { header: 'assets', value: (o) => o.assets.map((a) => `${a.type}:${a.id}`) },
      { header: 'status', value: (o) => o.status },
      { header: 'offered', value: (o) => o.offeredAt },
      { header: 'expires', value: (o) => o.expiresAt },
    ]));
  });

  program.command('claim').argument('<email>', 'the person\'s email').argument('<offerId>', 'the offer id (hubwarden offers <email>)')
    .description('claim an offer on the person\'s behalf and wait until the invite is queued')
    .option('--no-wait', 'claim and print the task id')
    .option('--reason <reason>', REASON_HELP)
    .action(async (email: string, offerId: string, opts: { wait: boolean; reason?: string }) => {
      const pollMs = pollInterval(500); // a bad HUBWARDEN_POLL_MS is refused before the task is started
      const reason = reasonBody(opts.reason);
      const client = await connect(global());
      const { body } = await client.post<{ taskId: string }>(`/people/${seg(email)}/offers/${seg(offerId)}/claim`, reason);
      const taskId = stringOf(body, 'taskId');
      const out = printer(global().json);
      if (!opts.wait) return out.print(body, () => `offer ${offerId} claimed for ${email}: task ${taskId}`);
      const task: TaskView = await followTask(client, taskId, pollMs);
      out.print(task, () => `offer ${offerId} claimed for ${email}; task ${task.id}: ${task.status}`);
      if (task.status !== 'completed') throw new CliError(`claiming ${offerId} for ${email}: task ${task.status}: ${task.lastError?.message ?? 'see hubwarden tasks'}`);
    });
}
