/**
 * TikTok publishes no validity period for an invitation and keeps an expired one listed as
 * PENDING ("Invitation links stay valid only for a limited time",
 * https://ads.tiktok.com/help/article/how-to-add-members-to-business-center): hubwarden takes an
 * invitation to be stale 14 days after it sent it (`InviteOutcome.assumedLifetimeMs`), or after
 * it first listed one it did not send (`AppInvite.assumedLifetimeMs`: it is at least that old by
 * then), then re-sends it once (revoke, invite) and reports it after that, rather than showing it
 * as invited for ever [INF #41, #72] (connector README).
 */
export const ASSUMED_INVITE_LIFETIME_MS = 14 * 24 * 3_600_000;
