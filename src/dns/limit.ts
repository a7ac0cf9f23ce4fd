/**
 * At most `max` tasks at once; the rest wait in order. A burst of hundreds of UDP questions at once
 * (DKIM selectors × domains) overflows a resolver's receive queue and turns into timeouts.
 */
export class ConcurrencyLimit {
  private active = 0;
  /** A queue read from `head`: Array#shift on a long queue copies it every time. */
  private waiting: (() => void)[] = [];
  private head = 0;
  constructor(readonly max: number) {}

  /** Without async/await and finally: this runs once per DNS question, tens of thousands a second. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.start(task));
    return this.start(task);
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    this.active++;
    let running: Promise<T>;
    try {
      running = task();
    } catch (err) {
      this.release();
      return Promise.reject(err);
    }
    return running.then(
      (value) => {
        this.release();
        return value;
      },
      (err: unknown) => {
        this.release();
        throw err;
      },
    );
  }

  private release(): void {
    this.active--;
    if (this.head >= this.waiting.length) return;
    const next = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next();
  }
}
