/**
 * Who an email names among the directory users having it: the only one, or the only one of several
 * the IdP has not deactivated (a leaver and their rehire: RFC 7643 §4.1.1 `active` false on the
 * first account, a second created with the same email). Two or more claiming, or none: no one (an
 * owner decides). One rule for matching (`SOLE_ACTIVE`), the plan, standing and the rehire's
 * re-plan after the leaver's removal, so they agree whose a seat is.
 */
export function claimantAmong<T>(holders: readonly T[], deactivated: (holder: T) => boolean): T | undefined {
  if (holders.length === 1) return holders[0];
  const claiming = holders.filter((h) => !deactivated(h));
  return claiming.length === 1 ? claiming[0] : undefined;
}
