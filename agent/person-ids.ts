import { z } from 'zod';

/**
 * How the admin API names a person and an offer of theirs in a path
 * (`/people/{email}/offers/{offerId}`): declared once, for the server's request schemas
 * (scim-server/admin/request-schemas.ts) and the CLI, which checks an <email> or <offerId>
 * argument before any request (agent/cli/main.ts). One rule, so the CLI refuses exactly what the
 * server would have refused, and nothing it takes.
 *
 * zod's z.email() (https://zod.dev/api, "Emails"; why it takes "normal" addresses only:
 * https://github.com/colinhacks/zod/pull/2157): an ASCII address with a dotted domain, no spaces,
 * no control or invisible characters.
 */
export const personEmail = z.email('expected an email address');

/** An offer's id: letters, digits, "-" and "_", at most 100. */
export const offerId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'expected an offer id (letters, digits, "-", "_")');
