/**
 * At most `perMinute` of something a minute in this process, and how many were left out: for log
 * lines (each process writes its own log), e.g. the SCIM router's warnings about unconfigured hubs.
 * Not for store writes, which the replicas share: those are counted by RefusalAudits.
 */
export class RefusalBudget {
  private windowStart = 0;
  private used = 0;
  private skipped = 0;

  constructor(private readonly perMinute = 60, private readonly clock: () => number = Date.now) {}

  /** Whether to take this one; when yes, how many were left out since the last one taken. */
  take(): { audit: true; notAudited: number } | { audit: false } {
    const now = this.clock();
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.perMinute) {
      this.skipped++;
      return { audit: false };
    }
    this.used++;
    const notAudited = this.skipped;
    this.skipped = 0;
    return { audit: true, notAudited };
  }
}
