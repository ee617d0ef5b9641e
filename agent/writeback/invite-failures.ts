import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { ReadView } from '../store/store.ts';
import { emailKey } from '../matching/email-key.ts';
import '../tasks/task-record.ts';

/**
 * Directory users whose latest invite task failed (→ `invite_failed`). Task payloads belong to the
 * task queue and vary by handler, so this reads them loosely: an invite task (`invite`, `reinvite`)
 * names its person by `directoryUserId` or `email`, at the top of the payload or under `op` (the
 * plan's Operation, as tasks/operations/enqueue-operation.ts queues it) or `operation`, else by
 * the idempotency key's tail (`op:invite:<email or user id>`). A directory user id named anywhere
 * wins over an email: an email two directory users carry (an alias, an address the IdP moved) named
 * whichever of them came last, and a re-send's key ends in the invite id, so a failed re-send
 * named nobody and the person stayed `invited`. A later invite task that did not fail clears the
 * earlier failure.
 */
const INVITE_KINDS = /(^|[-:.])(re)?invite$/;
/** A cancellation (`cancel-invite`) takes an invite back: its failure is no failed invite. */
const CANCEL_KINDS = /(^|[-:.])cancel[-:.]invite$/;

export async function failedInviteUsers(view: ReadView, hubId: string, users: ReadonlyArray<Readonly<DirectoryUserRecord>>): Promise<Set<string>> {
  // Email → its one directory user; an email several carry names none of them (null).
  const byEmail = new Map<string, string | null>();
  const ids = new Set<string>();
  for (const u of users) {
    ids.add(u.id);
    for (const e of new Set([...u.emails, ...(u.email ? [u.email] : [])].map(emailKey))) {
      byEmail.set(e, byEmail.has(e) && byEmail.get(e) !== u.id ? null : u.id);
    }
  }
  const latest = new Map<string, { at: string; failed: boolean }>();
  for await (const task of view.list('tasks', hubId)) {
    if (!INVITE_KINDS.test(task.kind) || CANCEL_KINDS.test(task.kind)) continue;
    const userId = personOf(task.payload, task.idempotencyKey, ids, byEmail);
    if (!userId) continue;
    const at = task.updatedAt ?? task.createdAt ?? '';
    const seen = latest.get(userId);
    if (!seen || at >= seen.at) latest.set(userId, { at, failed: task.status === 'failed' });
  }
  return new Set([...latest].filter(([, v]) => v.failed).map(([k]) => k));
}

function personOf(payload: unknown, key: string | undefined, ids: Set<string>, byEmail: Map<string, string | null>): string | undefined {
  const userIds: unknown[] = [];
  const emails: unknown[] = [];
  const nested = payload && typeof payload === 'object' ? payload as { op?: unknown; operation?: unknown } : undefined;
  for (const p of [payload, nested?.op, nested?.operation]) {
    if (!p || typeof p !== 'object') continue;
    userIds.push((p as Record<string, unknown>).directoryUserId);
    emails.push((p as Record<string, unknown>).email);
  }
  const candidates = [...userIds, ...emails];
  if (typeof key === 'string') candidates.push(key.slice(key.lastIndexOf(':') + 1));
  for (const c of candidates) {
    if (typeof c !== 'string' || c === '') continue;
    if (ids.has(c)) return c;
    const byMail = byEmail.get(emailKey(c));
    if (byMail) return byMail;
  }
  return undefined;
}
