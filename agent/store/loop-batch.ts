/**
 * Gathers what callers ask for while the event loop handles one round of I/O and hands it over
 * as one batch at the end of that iteration (setImmediate runs after the poll phase:
 * https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick). Callers that
 * resume from the same I/O (plans, SCIM requests, tasks whose reads came back together) end up in
 * the same batch, so a store round trip or commit serves all of them; a lone caller waits no
 * longer than the current iteration.
 */
export class LoopBatch<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(private readonly send: (items: T[]) => void) {}

  add(item: T): void {
    this.items.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const items = this.items;
      this.items = [];
      this.send(items);
    });
  }
}
