import type { DnsAnswer, DnsSource, RRType } from './types.js';

/**
 * `--qps`: a token bucket in front of a DNS source. Tokens refill at `qps` per second up to a burst of
 * `max(1, qps / 10)` (a tenth of a second's worth), so over any second at most about qps + burst
 * questions leave. Waiting questions are served first come, first served, from one timer.
 * Placed under the cache: answers the cache already has cost nothing.
 */
export class RateLimitedDnsSource implements DnsSource {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly queue: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly inner: DnsSource,
    private readonly qps: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(qps > 0)) throw new RangeError('qps must be positive');
    this.burst = Math.max(1, qps / 10);
    this.tokens = this.burst;
    this.last = this.now();
  }

  async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    await this.take();
    return this.inner.resolve(name, type);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  private take(): Promise<void> {
    this.refill();
    if (this.queue.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.qps) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.queue.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.queue.shift()!();
      }
      this.schedule();
    }, wait);
  }
}
