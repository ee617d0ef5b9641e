/**
 * Defaults against Meta's documented limits (reference §10). None of them is a per-second rate:
 * business invites are limited by count (code 17, resume 24 h later, §2.2), business-node edges
 * (business_users, pending_users) have no BUC type, and the platform limit is calls per app per
 * rolling hour, reported in X-App-Usage, which the connector watches and slows down on
 * (connectors/meta-business/graph-client.ts, APP_USAGE). Spreading the same calls over more
 * seconds does not lower the hour's total, so the per-hub budget is not what protects the app's
 * quota; it only keeps one hub's burst from taking every connection at once and caps a runaway
 * loop. 500 task starts per second (burst 500) never paces a healthy hub: at 50/s a 5,000-person
 * burst queued for 100 s behind the budget alone, and at 200/s the in-process benchmark was still
 * held by it (p50 3.5 s vs 2.4 s unbudgeted for 1,000 people).
 *
 * 50 tasks at once per hub, one full Graph batch (reference §1.7): writes made at the same moment
 * share one batch request (connectors/meta-business/write-batcher.ts), so a burst of invites
 * drains at up to 50 per round trip instead of one, while the connector keeps its own requests in
 * flight few (REQUESTS_IN_FLIGHT). At 8 tasks, batches held at most 8 and the provision
 * benchmark's burst p50 was 0.66 s; at 50, 0.21 s (docs/benchmarks.md).
 */
export const DEFAULT_REQUESTS_PER_SECOND = 500;
export const DEFAULT_CONCURRENCY_PER_HUB = 50;
/**
 * App-calling tasks claimed per hub, as a multiple of its call concurrency: the extra ones take
 * their durable lease while the others call, then wait for a call permit (call-permits.ts).
 */
export const CLAIM_AHEAD = 2;
