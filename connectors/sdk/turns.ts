/**
 * A fixed number of turns, handed out first come first served; a returned turn passes straight
 * to the longest waiter. Bounds work in flight: HTTP requests per connector (http.ts), app calls
 * per hub (agent/tasks/call-permits.ts).
 */
export class Turns {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  async take(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}
