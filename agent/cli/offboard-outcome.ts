import type { TaskView } from '../api.ts';
import type { AdminClient } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { fetchPages } from './paging.ts';
import { fieldIs, isObject, kindOf } from './answer.ts';
import { inLine, unexpectedAnswer } from './output.ts';
import { checkTaskText } from './task-progress.ts';

/**
 * What an offboarding did, as `hubwarden offboard` prints it after the task line. The offboard
 * task is a parent: it queues one removal per seat or pending invite on every hub, and fails if
 * one of them failed (agent/dispatch/offboard.ts). The removals are its children
 * (`GET /api/v1/tasks?parentId=`): they say which seats went, and a failed one means the person
 * still holds that seat. "Completed" with none means there was nothing to remove.
 * "If you change state, tell the user" and a non-zero exit on failure: https://clig.dev/#output,
 * https://clig.dev/#the-basics.
 */
interface OffboardResult {
  hubs?: string[];
  operations?: number;
  /** Per hub: removals on its deprovisioning report, and those left off with why (queued already, or the seat gone). */
  reported?: Array<{ hubId: string; operations: number; skipped?: Array<{ summary: string; why: string }> }>;
  held?: Array<{ hubId: string; summary: string; why: string }>;
}

const FAILED = new Set(['failed', 'cancelled']);

/**
 * `result.held` and `result.reported` as the lines below read them, or one line about the answer:
 * a `held` of another kind was "number 5 is not iterable", a hub id that is an object `[object Object]`.
 */
function resultOf(task: TaskView): OffboardResult {
  const result = isObject(task.result) ? task.result : {};
  const fields = { held: { hubId: 'string', summary: 'string', why: 'string' }, reported: { hubId: 'string', operations: 'number' } } as const;
  for (const [list, shape] of Object.entries(fields)) {
    const value = result[list];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) throw unexpectedAnswer(`"result.${list}" is ${kindOf(value)}, not a list`);
    value.forEach((item: unknown, i) => {
      if (!isObject(item)) throw unexpectedAnswer(`"result.${list}[${i}]" is ${kindOf(item)}, not an object`);
      for (const [field, type] of Object.entries(shape)) {
        if (typeof item[field] !== type) throw unexpectedAnswer(fieldIs(`result.${list}[${i}].${field}`, item[field], `a ${type}`));
      }
    });
  }
  return result as OffboardResult;
}

export async function offboardOutcome(client: AdminClient, task: TaskView, email: string): Promise<{ text: string; children: TaskView[]; error?: CliError }> {
  const result = resultOf(task);
  // Each removal is written into a line: a field of another kind is said as such, never printed
  // as `[object Object]` nor scrubbed as if it were text ("text.split is not a function").
  const pages = await fetchPages<TaskView>(client, '/tasks', new URLSearchParams({ parentId: task.id }), Number.MAX_SAFE_INTEGER);
  pages.items.forEach((t, i) => checkTaskText(t, `items[${i}].`));
  // A child's error is the server's text: scrubbed as a followed task's is (task-progress.ts).
  const children = pages.items.map((t) => (t.lastError ? { ...t, lastError: { ...t.lastError, message: client.scrub(t.lastError.message) } } : t));
  // Each value one line (`inLine`): a summary or why quoting a member's name from the app could hold a line break.
  const lines = children.map((t) => `  ${inLine(t.status).padEnd(9)} ${inLine(t.kind)} ${inLine(t.hubId ?? '-')}: ${inLine(t.summary)}${t.lastError ? `: ${inLine(t.lastError.message)}` : ''}`);
  for (const h of result.held ?? []) lines.push(`  held      ${inLine(h.hubId)}: ${inLine(h.summary)}: ${inLine(h.why)}`);
  for (const r of result.reported ?? []) {
    if (r.operations > 0) lines.push(`  reported  ${r.operations} removal(s) on the deprovisioning report of ${inLine(r.hubId)} (hubwarden reports --hub ${inLine(r.hubId)})`);
    // Left off the report: a list of another kind is not read (resultOf checks the fields it prints).
    for (const s of Array.isArray(r.skipped) ? r.skipped : []) {
      if (isObject(s) && typeof s.summary === 'string' && typeof s.why === 'string') lines.push(`  skipped   ${inLine(r.hubId)}: ${inLine(s.summary)}: not added to the report: ${inLine(s.why)}`);
    }
  }
  const failed = children.filter((t) => FAILED.has(t.status));
  const audit = `hubwarden audit --email ${email} --action offboard`;
  if (children.length === 0 && (result.reported ?? []).length === 0) {
    // A typo in the email looks exactly like this: never let it pass as a removal.
    lines.push(`nothing removed: ${email} holds no seat or pending invite hubwarden may remove on any hub (exempted, system-user and last-admin seats are held: ${audit})`);
  } else {
    lines.push(`${children.length - failed.length} of ${children.length} removal(s) done${failed.length ? `, ${failed.length} failed` : ''} (${audit})`);
  }
  const error = failed.length
    ? new CliError(`offboarding of ${email}: ${failed.length} of ${children.length} removal(s) failed: ${failed[0].lastError?.message ?? failed[0].status} (hubwarden tasks --status failed)`)
    : undefined;
  return { text: lines.join('\n'), children, error };
}
