import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { ReadView } from '../store/store.ts';
import '../tasks/task-record.ts';

/**
 * Directory users whose latest invite task failed (→ `invite_failed`). Task payloads belong to the
 * task queue and vary by handler, so this reads them loosely: an invite task (`invite`, `reinvite`)
 * names its person by `directoryUserId` or `email`, at the top of the payload or under `operation`
 * (the plan's Operation), else by the idempotency key's tail (`<hub>:invite:<email or user id>`).
 * A later invite task that did not fail clears the earlier failure.
 */
const INVITE_KINDS = /(^|[-:.])(re)?invite$/;

export async function failedInviteUsers(view: ReadView, hubId: string, users: ReadonlyArray<Readonly<DirectoryUserRecord>>): Promise<Set<string>> {
  const byEmail = new Map<string, string>();
  const ids = new Set<string>();
  for (const u of users) {
    ids.add(u.id);
    for (const e of u.emails) byEmail.set(e.toLowerCase(), u.id);
    if (u.email) byEmail.set(u.email.toLowerCase(), u.id);
  }
  const latest = new Map<string, { at: string; failed: boolean }>();
  for await (const task of view.list('tasks', hubId)) {
    if (!INVITE_KINDS.test(task.kind)) continue;
    const userId = personOf(task.payload, task.idempotencyKey, ids, byEmail);
    if (!userId) continue;
    const at = task.updatedAt ?? task.createdAt ?? '';
    const seen = latest.get(userId);
    if (!seen || at >= seen.at) latest.set(userId, { at, failed: task.status === 'failed' });
  }
  return new Set([...latest].filter(([, v]) => v.failed).map(([k]) => k));
}

function personOf(payload: unknown, key: string | undefined, ids: Set<string>, byEmail: Map<string, string>): string | undefined {
  const candidates: unknown[] = [];
  for (const p of [payload, (payload as { operation?: unknown } | null)?.operation]) {
    if (p && typeof p === 'object') candidates.push((p as Record<string, unknown>).directoryUserId, (p as Record<string, unknown>).email);
  }
  if (typeof key === 'string') candidates.push(key.slice(key.lastIndexOf(':') + 1));
  for (const c of candidates) {
    if (typeof c !== 'string' || c === '') continue;
    if (ids.has(c)) return c;
    const byMail = byEmail.get(c.toLowerCase());
    if (byMail) return byMail;
  }
  return undefined;
}
