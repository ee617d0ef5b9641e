import type { TaskView } from '../api.ts';
import { AgentError } from '../agent-error.ts';

/**
 * The order of the task list (AgentApi.tasks): newest created first, ties by id (descending).
 * Both fields are fixed when a task is queued, so a task keeps its place when it runs, finishes,
 * or moves to the archive of finished tasks (prune.ts): a cursor naming a place stays valid.
 */
export interface TaskPlace { createdAt: string; id: string }

/** Negative when `a` comes first (is newer). */
export function compareTaskPlaces(a: TaskPlace, b: TaskPlace): number {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt ? -1 : 1;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}

/** The `next` cursor of a page: its last task's place (opaque to callers). */
export function taskCursorOf(t: Pick<TaskView, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify(['tasks', t.createdAt, t.id])).toString('base64url');
}

/**
 * The place a cursor names, or undefined when it is no `next` of this list (junk, a cursor of
 * another list, or a hand-edited one whose fields are not a date and an id).
 */
export function taskPlaceOf(cursor: string): TaskPlace | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== 'tasks') return undefined;
  const [, createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > 200) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(createdAt) || Number.isNaN(Date.parse(createdAt))) return undefined;
  return { createdAt, id };
}

/** As `taskPlaceOf`, refusing a cursor that names no place (a 400 on the admin API). */
export function requireTaskPlace(cursor: string): TaskPlace {
  const place = taskPlaceOf(cursor);
  if (!place) throw new AgentError('invalid-argument', 'tasks: after must be the `next` of a previous page of tasks');
  return place;
}

/**
 * The first `n` of a stream of tasks in list order, holding at most 2n at a time (a list of
 * 100,000 archived tasks is read page by page, never held whole).
 */
export class NewestTasks<T extends TaskPlace> {
  private held: T[] = [];
  constructor(private readonly n: number) {}
  add(t: T): void {
    this.held.push(t);
    if (this.held.length >= 2 * this.n + 64) this.trim();
  }
  /** The first `n`, in list order. */
  first(): T[] {
    this.trim();
    return this.held;
  }
  private trim(): void {
    this.held.sort(compareTaskPlaces);
    this.held.length = Math.min(this.held.length, this.n);
  }
}
