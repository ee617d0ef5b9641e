import type { ZodType } from 'zod';
import { offerId, personEmail } from '../person-ids.ts';
import { CliError } from './cli-error.ts';

/**
 * The arguments that name a person or their offer in the admin API's path, with the rule the
 * server checks them by (agent/person-ids.ts). Refused here, a malformed one is a usage mistake
 * (exit 2) and no request is made; sent, the server's 400 (`path.email: expected an email
 * address`) was exit 1 and did not show the value.
 */
const RULES: ReadonlyMap<string, ZodType> = new Map<string, ZodType>([['email', personEmail], ['offerId', offerId]]);

/**
 * Characters a terminal shows as nothing, or as something else: control characters (Unicode
 * category Cc), format characters such as the zero-width space U+200B and the bidi controls (Cf),
 * unassigned, private-use and lone surrogate code points (Cn, Co, Cs), and every separator but
 * the space (Z: U+00A0, U+3000, line and paragraph separators). General categories:
 * https://www.unicode.org/reports/tr44/#General_Category_Values. `"` and `\` are escaped too,
 * so the quoted value reads back unambiguously.
 */
const HIDDEN = /[\p{C}\p{Z}"\\]/gu;

/** `value` in double quotes, each hidden character written out (`\u200b`, `\x07`); a space stays a space. */
export function visibleValue(value: string): string {
  return `"${value.replace(HIDDEN, (c) => {
    if (c === ' ') return c;
    if (c === '"' || c === '\\') return `\\${c}`;
    const n = c.codePointAt(0)!;
    if (n <= 0xff) return `\\x${n.toString(16).padStart(2, '0')}`;
    return n <= 0xffff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\u{${n.toString(16)}}`;
  })}"`;
}

/**
 * Refuses `value` of the argument `<name>` when the server's rule for it would (`named` says which
 * command's argument): one line, the rule's words and the value as typed, hidden characters shown.
 */
export function checkPathArgument(named: string, name: string, value: string): void {
  const rule = RULES.get(name);
  if (!rule) return;
  const result = rule.safeParse(value);
  if (!result.success) throw new CliError(`${named}: ${result.error.issues[0]?.message ?? 'not accepted'}, got ${visibleValue(value)}`, 2);
}
