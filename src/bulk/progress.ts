import type { DomainReport } from '../types.js';

/**
 * The progress line on stderr while a list is audited: done/total, rate, ETA (when the total is known)
 * and the findings so far. Redrawn in place at most 10 times a second; no library.
 */
export class ProgressBar {
  private done = 0;
  private readonly counts = { error: 0, warning: 0, note: 0 };
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly timer: NodeJS.Timeout;
  /** Recent (time, done) samples: the rate is measured over the last few seconds. */
  private readonly samples: [number, number][] = [];

  constructor(
    private readonly out: NodeJS.WritableStream & { columns?: number },
    private total?: number,
    private readonly columns?: number,
  ) {
    this.timer = setInterval(() => this.draw(), 500);
    this.timer.unref();
  }

  setTotal(total: number): void {
    this.total = total;
  }

  tick(report: DomainReport): void {
    this.done++;
    this.counts.error += report.summary.error;
    this.counts.warning += report.summary.warning;
    this.counts.note += report.summary.note;
    if (performance.now() - this.lastDraw >= 100) this.draw();
  }

  /** Draws the final state and moves to the next line. */
  finish(): void {
    clearInterval(this.timer);
    this.draw(true);
    this.out.write('\n');
  }

  line(now = performance.now(), final = false): string {
    const elapsed = (now - this.started) / 1000;
    this.samples.push([now, this.done]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > 5000) this.samples.shift();
    const [t0, d0] = this.samples[0]!;
    const windowRate = now - t0 > 500 ? ((this.done - d0) * 1000) / (now - t0) : 0;
    const rate = final || windowRate === 0 ? (elapsed > 0 ? this.done / elapsed : 0) : windowRate;
    const parts: string[] = [];
    const width = Math.max(40, Math.min(this.columns || this.out.columns || 80, 160));
    const findings = `${this.counts.error} errors, ${this.counts.warning} warnings, ${this.counts.note} notes`;
    let text: string;
    if (this.total !== undefined && this.total > 0) {
      const fraction = Math.min(1, this.done / this.total);
      const eta = rate > 0 ? (this.total - this.done) / rate : undefined;
      parts.push(`${this.done}/${this.total}`, `${Math.floor(fraction * 100)}%`, `${rate.toFixed(0)}/s`);
      parts.push(final ? `in ${duration(elapsed)}` : `ETA ${eta === undefined ? '--:--' : duration(eta)}`, findings);
      const rest = ` ${parts.join('  ')}`;
      const barWidth = Math.max(10, Math.min(30, width - rest.length - 3));
      const filled = Math.round(fraction * barWidth);
      text = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${rest}`;
    } else {
      parts.push(`${this.done} done`, `${rate.toFixed(0)}/s`, final ? `in ${duration(elapsed)}` : '', findings);
      text = parts.filter(Boolean).join('  ');
    }
    return text.length >= width ? text.slice(0, width - 1) : text;
  }

  private draw(final = false): void {
    const now = performance.now();
    this.lastDraw = now;
    this.out.write(`\r${this.line(now, final)}\x1b[K`);
  }
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
