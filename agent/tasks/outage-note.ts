import type { TaskLog } from './handler.ts';

/**
 * Logs a recurring piece of the runner's work that fails (the fleet poll, the renewal of a hub's
 * call slots, the pump's reads) once when it starts failing and once when it works again, not at
 * every retry: during a database outage those retry every poll (2 s) per hub, and a warning each
 * time buried everything else in the log. The outage itself stays visible where it is measured:
 * the store's health (/readyz) and its unavailable reason.
 */
export class OutageNote {
  private readonly down = new Map<string, { since: number; failures: number }>();

  constructor(private readonly log: Pick<TaskLog, 'warn' | 'info'>, private readonly clock: () => number = Date.now) {}

  /** `what` failed (e.g. "poll", "recording the call slots of hub h1"); logged if it was working. */
  failed(what: string, err: unknown): void {
    const d = this.down.get(what);
    if (d) {
      d.failures++;
      return;
    }
    this.down.set(what, { since: this.clock(), failures: 1 });
    this.log.warn(`task runner: ${what} failed: ${err instanceof Error ? err.message : String(err)} (retried meanwhile; logged again once it works)`);
  }

  /** `what` worked: if it was failing, says so once. */
  ok(what: string): void {
    const d = this.down.get(what);
    if (!d) return;
    this.down.delete(what);
    this.log.info(`task runner: ${what} works again (failed ${d.failures} time(s) over ${Math.round((this.clock() - d.since) / 1000)} s)`);
  }
}
