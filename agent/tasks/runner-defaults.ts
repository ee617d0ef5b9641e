/**
 * Defaults against Meta's documented limits (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). None of them is a per-second rate:
 * business invites are limited by count (code 17, resume 24 h later, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users), business-node edges
 * (business_users, pending_users) have no BUC type, and the platform limit is calls per app per
 * rolling hour, reported in X-App-Usage, which the connector watches and slows down on
 * (connectors/meta-business/graph-usage.ts, APP_USAGE). Spreading the same calls over more
 * seconds does not lower the hour's total, so the per-hub budget is not what protects the app's
 * quota; it only keeps one hub's burst from taking every connection at once and caps a runaway
 * loop.
 *
 * 200 app-calling tasks at once per hub, four full Graph batches (https://developers.facebook.com/docs/graph-api/batch-requests): writes made at
 * the same moment share one batch request (connectors/meta-business/write-batcher.ts), so a burst
 * of invites drains at up to 50 per round trip, while the connector keeps its own requests in
 * flight few (REQUESTS_IN_FLIGHT). Measured with `npm run bench -- provision` (docs/benchmarks.md):
 * burst p50 0.66 s at 8 tasks (batches of ≤ 8), 0.13–0.21 s at 50, 24 ms at 200; with 100 ms per
 * Graph request, 1.09 s at 50 and 0.21 s at 200.
 *
 * 2,000 task starts per second (burst 2,000): a task is one Graph operation, and at 500/s the
 * budget, not Meta, held the same burst (p50 32 ms → 24 ms, p99 426 ms → 36 ms without it).
 */
export const DEFAULT_REQUESTS_PER_SECOND = 2000;
export const DEFAULT_CONCURRENCY_PER_HUB = 200;
/**
 * App-calling tasks claimed per hub, as a multiple of its call concurrency: the extra ones take
 * their durable lease while the others call, then wait for a call permit (call-permits.ts).
 */
export const CLAIM_AHEAD = 2;
