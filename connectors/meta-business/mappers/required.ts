import { ConnectorError } from '../../sdk/connector-error.ts';
import { what } from '../meta-context.ts';

/**
 * Fields a read cannot do without. Graph ids are numeric strings (https://developers.facebook.com/docs/graph-api/overview,
 * "id": "<numeric string>"), `id` is a default field of every node the connector reads, and every
 * read asks for it by name; a BusinessRoleRequest's `email` and an `assigned_users` row's `tasks`
 * are default fields too (https://developers.facebook.com/docs/marketing-api/reference/business-role-request/,
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users).
 * A row without one is not a row of unknown shape to skip or fill in: read as `"undefined"`, `""` or
 * "no tasks", a member, invite or asset matched nobody (and was planned for removal), a removal
 * of someone not found by id read as already done, and an invite look-up missed the pending one.
 * So the read fails as `unavailable` (README [INF]): nothing is decided from a partial picture,
 * and the retry reads again. Messages name the row by what it has, never a token.
 */
export function fieldMissing(whose: string, field: string): ConnectorError {
  return new ConnectorError('unavailable', what(`${whose}: Graph answered a row without its ${field} (a default field, asked for by name); nothing is decided from this answer`), {
    providerCode: 'field-missing',
  });
}

/** A row's `id`: a non-empty string, or a number sent as one (read as its digits). */
export function idOf(raw: unknown, whose: string): string {
  const id = (raw as { id?: unknown } | null | undefined)?.id;
  if (typeof id === 'string' && id.trim() !== '') return id.trim();
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return String(id);
  throw fieldMissing(whose, 'id');
}

/** A row's text field that must be there (an invite's `email`), trimmed. */
export function textOf(raw: Record<string, unknown>, field: string, whose: string): string {
  const v = raw[field];
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  throw fieldMissing(`${whose} ${typeof raw.id === 'string' || typeof raw.id === 'number' ? raw.id : '(no id)'}`, field);
}

/** A row's list of strings that must be there (an assignment's `tasks`). */
export function listOf(raw: Record<string, unknown>, field: string, whose: string): string[] {
  const v = raw[field];
  if (Array.isArray(v) && v.every((t) => typeof t === 'string')) return v as string[];
  throw fieldMissing(`${whose} ${typeof raw.id === 'string' || typeof raw.id === 'number' ? raw.id : '(no id)'}`, field);
}
