/**
 * The one form in which hubwarden compares and indexes email addresses: surrounding whitespace
 * dropped and lower-cased. Every email index key (directoryUsers, appMembers and appInvites by
 * email) and every comparison of a row's email with a person's goes through it, so an address
 * that differs only so (an IdP attribute or an app listing with a stray space, `Ann@Example.com`)
 * names the same person everywhere: the same seat, never a second invite, never a leaver's seat
 * missed by offboarding.
 *
 * Whitespace is never part of an address (RFC 5322 §3.4.1 addr-spec: around it is folding white
 * space, not the address). Case: RFC 5321 §2.4 lets a host treat the local-part case-sensitively,
 * but IdPs and the apps hubwarden governs treat addresses case-insensitively, and so does the
 * product (SCIM `emails` is caseExact=false, RFC 7643 §4.1.2).
 */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}
