/**
 * Other readings of what TikTok leaves open, each a choice another emulator written from TikTok's
 * same public documentation could make where this one took its own (the [INF] table in the connector README names them,
 * "Alternative readings"). None is TikTok behaviour we know of; each is off unless a test asks
 * for it, so the connector is shown correct under both readings. Default: this emulator's own.
 */
export interface AlternativeReadings {
  /** [INF] #12: an address already PENDING or BOUND makes the whole invite call answer 40002 (nothing applied), instead of being ignored with code 0. */
  refuseExistingInvite?: boolean;
  /** [INF] #12: a REJECTED address counts as "invited before" and is ignored (code 0, the row stays REJECTED), instead of a new PENDING row replacing it. */
  ignoreRejectedInvite?: boolean;
  /** [INF] #13: a STANDARD invitation with `asset_ids: []` answers 40002 (the web UI asks for an ad account), instead of being accepted. */
  refuseInviteWithoutAssets?: boolean;
  /** [INF] #18: `member/delete` of a `user_id` that is not a member, or an address with no row, answers this code instead of 40007 (0: success; 40001: "no permission" on it). */
  deleteUnknownCode?: 0 | 40001 | 40002;
  /** [INF] #18: `member/update` of a `user_id` that is not a member answers this code instead of 40007. */
  updateUnknownCode?: 40001 | 40002;
  /** [INF] #21: `asset/assign` and `asset/unassign` for a `user_id` that is not a member answer this code instead of 40007. */
  unknownUserAssetCode?: 40001 | 40002;
  /** [INF] #23: `/bc/asset/get/` with `filtering.user_id` of a non-member lists nothing, instead of 40007. */
  assetGetUnknownUserEmpty?: boolean;
  /** [INF] #17: `member/update` that changes nothing (the `user_role` the member has, and nothing else) answers 40002, as one with nothing to update does, instead of code 0. */
  refuseUnchangedUpdate?: boolean;
  /** [INF] #8: `/bc/member/get/` without a `relation_status` filter lists BOUND rows only (members, not invitations), instead of every row. */
  unfilteredListsBoundOnly?: boolean;
  /** [INF] #9: a page past the last one (page > 1) answers 40002, instead of an empty `list` with the same `page_info`. */
  pagePastEndCode?: 40002;
  /** [INF] #10 (`UNBOUND` is a valid `relation_status`, `UserRelationStatusToBC` in github.com/tiktok/tiktok-business-api-sdk): a removed member's row stays, `UNBOUND` with its `user_id`, instead of being dropped; inviting the address again adds a new PENDING row beside it. */
  keepRemovedAsUnbound?: boolean;
  /** [INF] #16 (TikTok does not document it): removing or demoting the token's own user answers 40001, instead of being allowed. */
  protectTokenUser?: boolean;
  /** [INF] #20: assigning an asset the member already holds answers 40002 (nothing changes), instead of replacing the role. */
  refuseAssignHeld?: boolean;
  /** [INF] #20: unassigning access the member does not hold answers 40007, instead of code 0. */
  unassignNotHeldCode?: 40007;
  /** [INF] #43: `/bc/member/get/` rows carry no `relation_status` (the Go SDK's `Member`, https://github.com/bububa/tiktok-business, lists the field, but another emulator may leave it out); the `relation_status` filter still applies. */
  omitRelationStatus?: boolean;
  /** [INF] #52: `/bc/member/get/` rows carry no `user_role` (the Go SDK's `Member`, https://github.com/bububa/tiktok-business, lists the field, but another emulator may leave it out); the `user_role` filter still applies. */
  omitUserRole?: boolean;
  /** [INF] #44: `member/delete` with `user_email` finds the invitation only by the address exactly as `/bc/member/get/` lists it (case-sensitively), instead of case-insensitively. */
  exactDeleteEmail?: boolean;
  /** [INF] #10 (TikTok does not document it): PENDING and REJECTED rows carry this `user_id` (and an empty `user_name`), the same on every such row, instead of none. */
  invitationUserId?: '0';
  /**
   * [INF] #47: `filtering.keyword` matches names only (`user_name` on `/bc/member/get/` and
   * `/bc/asset/member/get/`, `asset_name` on `/bc/asset/get/`), not addresses or ids: TikTok's docs
   * give `keyword` only as a string; its match on `user_email` / `asset_id` is hubwarden's inference (README #47).
   */
  keywordNamesOnly?: boolean;
  /**
   * [INF] #47: `filtering.keyword` on `/bc/member/get/` and `/bc/asset/member/get/` is a
   * case-sensitive substring of `user_email` or `user_name`: TikTok's docs give `keyword` only as a
   * string, the case-insensitive match is hubwarden's inference (README #47), and TikTok lists an address as it was invited.
   */
  keywordCaseSensitive?: boolean;
}
