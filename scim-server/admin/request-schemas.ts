import { z } from 'zod';
import { formatPath } from '../../config/load.ts';
import { MAX_EXPORT_ROWS } from './csv.ts';
import { badRequest } from './problem.ts';
import { DIRECTORY_STATUSES, MEMBER_FLAGS, TASK_STATUSES } from '../../agent/api.ts';
import { freeTextProblem, MAX_REASON } from '../../agent/safe-text.ts';
import { offerId, personEmail } from '../../agent/person-ids.ts';
import { AUDIT_OUTCOMES } from '../../agent/api.ts';
import { OUTCOMES_EXPECTED, parseOutcomes } from '../../agent/audit/outcome-filter.ts';

export { DIRECTORY_STATUSES, MEMBER_FLAGS, TASK_STATUSES };

/**
 * The admin API's inputs, declared once with zod. The same schemas feed validation and the
 * messages a caller sees (`body.reason: expected a non-empty string`).
 */
import { MEMBER_STATUSES } from '../../agent/api.ts';
export { MEMBER_STATUSES };
/** agent/api.ts `DirectoryStatus`: where a row's directory user stands in the IdP. */
export const MEMBER_SORTS = ['email', '-email', 'name', '-name', 'status', '-status', 'lastSeenAt', '-lastSeenAt'] as const;
export const HUB_ROLES = ['owner', 'manager', 'collaborator'] as const;

const id = z.string().min(1, 'expected a non-empty id').max(200, 'expected at most 200 characters');
const offset = z.coerce.number().int('expected a whole number').min(0, 'expected 0 or more').optional();
const limit = z.coerce.number().int('expected a whole number').min(1, 'expected 1 or more').max(500, 'expected at most 500').optional();

export const hubParams = z.object({ hubId: id });
export const memberParams = z.object({ hubId: id, memberId: id });
export const idParams = z.object({ id });
export const hubTaskParams = z.object({ hubId: id, taskId: id });
export const personParams = z.object({ email: personEmail });
export const offerParams = personParams.extend({ offerId });

/**
 * The list routes' queries are strict: a parameter they do not know (a misspelled filter,
 * `?stauts=unmatched`) is a 400, never dropped. Dropped, the route answered the unfiltered list,
 * and a workflow acting on "the unmatched members" or an audit export "of one person" got everyone.
 */
export const membersQuery = z.object({
  status: z.enum(MEMBER_STATUSES).optional(),
  directoryStatus: z.enum(DIRECTORY_STATUSES).optional(),
  flag: z.enum(MEMBER_FLAGS).optional()
    .describe('only the rows carrying this flag: `other-seats`, the seats and pending invites of a directory user who holds another on the hub (`otherSeats`)'),
  search: z.string().max(200).optional(),
  email: z.email('expected an email address').max(320).optional()
    .describe('only the rows whose email is exactly this address (case-insensitive); `search` matches parts of emails and names too'),
  after: z.string().min(1).max(1000).optional()
    .describe('the `next` of the previous page (same filters and sort): rows after it (a cursor: rows added or removed meanwhile do not shift the pages)'),
  offset,
  limit,
  sort: z.enum(MEMBER_SORTS).optional(),
}).strict();
/** A CSV answer (`Accept: text/csv`) is one export, not a page: `limit` may go up to the export cap, default all. */
const exportLimit = z.coerce.number().int('expected a whole number').min(1, 'expected 1 or more').max(MAX_EXPORT_ROWS, `expected at most ${MAX_EXPORT_ROWS}`).optional();
export const membersCsvQuery = membersQuery.extend({ limit: exportLimit });

export const tasksQuery = z.object({
  hubId: id.optional(),
  status: z.enum(TASK_STATUSES).optional(),
  kind: z.string().max(100).optional(),
  parentId: id.optional(),
  after: z.string().min(1).max(1000).optional()
    .describe('the `next` of the previous page (same filters): tasks after it (a cursor: tasks queued or finished meanwhile neither repeat nor are skipped)'),
  offset: offset.describe('tasks to skip (not stable: tasks queued meanwhile shift the pages, so one is shown twice or missed; follow `next` as `after` instead)'),
  limit,
}).strict();

export const reportsQuery = z.object({ hubId: id.optional() }).strict();

/**
 * The query of a route that takes none: any parameter is a 400 naming it. Dropped, a caller's
 * `POST …/remove?dryRun=true` or `…/check-for-updates?hubId=other` ran as if it had not been
 * sent: the removal happened, the other hub was not checked, and the answer said it went well.
 */
export const noQuery = z.object({}).strict();

/**
 * A filter given empty or blank (`?email=` from a script whose variable was unset, `?email=%20`)
 * is refused: the email filter compares emailKey forms, and a blank one folds to '', which the
 * query read as no filter at all, so an audit export "of one person" held every person's trail.
 */
const filterText = (max: number) => z.string().max(max).refine((v) => v.trim() !== '', 'expected a value (leave the parameter out to filter nothing)');

const SINCE_EXPECTED = 'expected an ISO 8601 date-time with its offset, such as 2026-01-31T00:00:00Z';
/**
 * A `+` in a query string is a space (the form encoding express's query parser decodes,
 * https://url.spec.whatwg.org/#application/x-www-form-urlencoded): `since=2026-01-31T00:00:00+01:00`
 * pasted into a workflow's URL arrives as `…00:00:00 01:00`, and was refused for lacking the
 * offset it had. Said so, with the escape that keeps it.
 */
function sinceProblem(issue: { input?: unknown }): string {
  const spaced = typeof issue.input === 'string' && /T[\d:.]+ \d\d:?\d\d$/.test(issue.input);
  return spaced ? `${SINCE_EXPECTED}; its "+" arrived as a space: send it as %2B in a query (…T00:00:00%2B01:00)` : SINCE_EXPECTED;
}

/**
 * `outcome=unknown,failed`: the entries of any of these outcomes (agent/audit/outcome-filter.ts).
 * One comma-separated value (each query parameter is given once, `givenOnce`); the pattern is the
 * OpenAPI document's, the check the route's, whose message names the value refused.
 */
const outcomeFilter = z.string({ error: OUTCOMES_EXPECTED }).max(200, 'expected at most 200 characters')
  .regex(new RegExp(`^(${AUDIT_OUTCOMES.join('|')})(,(${AUDIT_OUTCOMES.join('|')}))*$`), {
    error: (issue) => { const r = parseOutcomes(String(issue.input)); return 'problem' in r ? r.problem : `${OUTCOMES_EXPECTED} and no spaces; got ${JSON.stringify(String(issue.input).slice(0, 60))}`; },
  })
  .transform((v) => (parseOutcomes(v) as { outcomes: (typeof AUDIT_OUTCOMES)[number][] }).outcomes)
  .describe(`only entries of these outcomes, one or several separated by commas (${AUDIT_OUTCOMES.join(', ')}); \`unknown\`: an app change whose answer was lost, to be checked in the app`);

export const auditQuery = z.object({
  hubId: id.optional(),
  email: filterText(320).optional(),
  action: filterText(100).optional(),
  outcome: outcomeFilter.optional(),
  since: z.iso.datetime({ offset: true, error: sinceProblem }).optional(),
  before: z.coerce.number().int('expected a whole number').min(1, 'expected the `next` of a previous page').max(Number.MAX_SAFE_INTEGER, 'expected the `next` of a previous page').optional()
    .describe('the `next` of the previous page: entries older than it (a cursor: entries written meanwhile do not shift the pages)'),
  offset,
  limit,
}).strict();
export const auditCsvQuery = auditQuery.extend({ limit: exportLimit });

/**
 * Text an admin submits that is stored and shown again (the dashboard, the CLI, an IdP
 * attribute): no control character and no bidi control (agent/safe-text.ts says why).
 */
const plainText = (schema: z.ZodString) => schema.superRefine((value, ctx) => {
  const problem = freeTextProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `the text ${problem}` });
});

/**
 * A required field's type error: `missing` when the field was left out, "expected a string" when
 * it holds something else. "expected a string" alone did not say the field was missing.
 */
const missingOr = (missing: string) => (issue: { input?: unknown }) => (issue.input === undefined ? missing : 'expected a string');

const reasonText = (empty: string, missing = 'expected a string') => plainText(z.string({ error: missingOr(missing) })
  .trim().min(1, empty).max(MAX_REASON, `expected at most ${MAX_REASON} characters`));
/**
 * Why the person who asked asks (who asked and why), for the audit entries of the change: kept in
 * the trigger (agent/desired-state/delta.ts), added to each entry's why (agent/audit/audit-log.ts).
 * Optional: left out, the entries say what they always said. Given, it is one line of plain text.
 */
export const reasonField = reasonText('expected a reason (who asked and why), or leave the field out').optional()
  .describe(`why (who asked and why), at most ${MAX_REASON} characters of one line; recorded in the audit log`);
const APPROVE_NEEDS_REASON = 'expected a reason (who asked and why): approving runs every removal the threshold held; send {"reason": "…"}';
/** The body of an access change that takes nothing but an optional reason. */
export const reasonBody = z.object({ reason: reasonField }).strict();
/**
 * An offboarding may name one directory user (its SCIM id) where the email names several on a hub
 * (a leaver and their rehire): without it such an email is refused 409 naming their ids. Checked
 * as matchBody's id is, no control or bidi character either: the offboarding quotes it in its
 * audit entries (agent/agent-api.ts offboard: subject, why, task key) and in a 404.
 */
export const offboardBody = reasonBody.extend({
  directoryUserId: plainText(z.string({ error: 'expected a string' }).trim().min(1, 'expected the SCIM id of a directory user').max(200, 'expected at most 200 characters')).optional(),
}).strict();
/**
 * Approving lets a batch of removals the removal threshold held run at once (agent/safety): the
 * one decision that overrides a safety rule, so it must say why. Rejecting removes nobody.
 */
export const approveBody = z.object({
  reason: reasonText(APPROVE_NEEDS_REASON, APPROVE_NEEDS_REASON)
    .describe(`why the held removals may run (who asked and why), at most ${MAX_REASON} characters of one line; required, recorded in the audit log`),
}).strict();

const RETRY_NEEDS_REASON = 'expected a reason (who asked and why): a retry sends a change the app refused again; send {"reason": "…"}';
/**
 * Retrying a failed task sends a change the app refused again (agent/tasks/retry-task.ts), so it
 * says why (what was fixed): kept with the failed task and audited.
 */
export const retryBody = z.object({
  reason: reasonText(RETRY_NEEDS_REASON, RETRY_NEEDS_REASON)
    .describe(`why the change may be sent again (what was fixed), at most ${MAX_REASON} characters of one line; required, kept with the failed task and recorded in the audit log`),
}).strict();

export const matchBody = z.object({
  // As long as any other id here: the dashboard audits a refused match with it (scoped-agent.ts),
  // and without a bound a manager's body (up to 1 MB) went into the audit trail, which is kept.
  directoryUserId: plainText(z.string({ error: missingOr('expected the SCIM id of a directory user (the field is required)') }).min(1, 'expected the SCIM id of a directory user').max(200, 'expected at most 200 characters')),
  hubRole: z.enum(HUB_ROLES).optional(),
  reason: reasonField,
}).strict();

export const exemptBody = z.object({
  // Its own messages throughout: the schema's `error` answers every issue without one, so a reason
  // too long was refused as "expected a string".
  reason: plainText(z.string({ error: missingOr('expected a reason (who asked and why); the field is required') }).trim().min(1, 'expected a reason (who asked and why)').max(MAX_REASON, `expected at most ${MAX_REASON} characters`)),
  // A date means through the end of that day (UTC): agent/members/exemption-until.ts `untilInstant`.
  until: z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'expected a date (2026-12-31) or an ISO 8601 date-time with its offset (2026-12-31T18:00:00Z)' }).optional(),
}).strict();

export const applyBody = z.object({
  memberIds: z.union([z.literal('all'), z.array(id).min(1, 'expected at least one member id')], { error: 'expected "all" or a list of member ids' }).default('all'),
  reason: reasonField,
}).strict();

/** The dashboard's asset page (scim-server/web/ui-read-routes.ts): at most 100 assets a page. */
export const uiAssetsQuery = z.object({ offset, limit: z.coerce.number().int('expected a whole number').min(1, 'expected 1 or more').max(100, 'expected at most 100').optional() }).strict();
/** The match dialog's directory search. */
export const uiDirectoryQuery = z.object({ search: z.string().max(200, 'expected at most 200 characters').optional() }).strict();

/** Validates one part of a request; the error names the part and the field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, part: 'body' | 'query' | 'path'): z.infer<S> {
  if (part === 'query') {
    givenOnce(value);
    decimalOnly(value);
  }
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? `${part}.${formatPath(issue.path)}` : part;
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
  throw badRequest(`${field}: ${message}`, field);
}

/**
 * Each query parameter at most once. express's query parser turns `?limit=1&limit=2` into a list,
 * which the schemas then read as "not a number" or "not one of": named here for what it is, rather
 * than picking one of the values (which one would be a guess).
 */
function givenOnce(query: unknown): void {
  if (typeof query !== 'object' || query === null) return;
  for (const [key, value] of Object.entries(query)) {
    const hint = key === 'outcome' ? ' (several outcomes as one comma-separated value: outcome=unknown,failed)' : '';
    if (Array.isArray(value)) throw badRequest(`query.${key.slice(0, 100)}: given ${value.length} times; give it once${hint}`, `query.${key.slice(0, 100)}`);
  }
}

/**
 * The paging numbers of a query as decimal digits only: the schemas coerce with `Number()`, which
 * also takes `0x10`, `1e3`, a blank (0) and `1.5e1`; a caller sending those gets a 400, not a page
 * it did not ask for.
 */
function decimalOnly(query: unknown): void {
  if (typeof query !== 'object' || query === null) return;
  for (const key of ['offset', 'limit', 'before'] as const) {
    const v = (query as Record<string, unknown>)[key];
    if (typeof v === 'string' && !/^-?\d{1,16}$/.test(v)) throw badRequest(`query.${key}: expected a whole number`, `query.${key}`);
  }
}
