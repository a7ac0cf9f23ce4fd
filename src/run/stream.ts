import { parseDomainName, type DomainName } from '../input/domain.js';
import type { DomainReport } from '../types.js';
import { auditDomain } from './domain.js';
import type { AuditOptions } from './options.js';
import { prepareRun } from './prepare.js';

// Streaming: lists of thousands to millions of domains

/** Domains in flight by default when streaming a list (measured: see BENCHMARKS.md). */
export const DEFAULT_STREAM_CONCURRENCY = 32;

/**
 * Audits domains as they come and yields each domain's report as soon as it is done (or, with
 * `ordered`, in input order). Pulls the next domain only when fewer than `concurrency` are in flight
 * or waiting to be taken by the consumer, so memory does not grow with the list, and a slow consumer
 * (a full stdout) slows the reading of the list down. With `ordered`, at most 4 × concurrency domains
 * are started and not yet yielded (a slow domain at the head holds the others back).
 * The DNS source is prepared before the first domain is pulled; with a zone file and an empty
 * list, the zone's origin is audited. Throws InputError for bad options.
 */
/** A name as given (checked and normalised as on the command line), or as parseDomainName gave it. */
const named = (d: DomainName | string): DomainName => (typeof d === 'string' ? parseDomainName(d) : d);

export async function* auditStream(
  domains: AsyncIterable<DomainName | string> | Iterable<DomainName | string>,
  options: AuditOptions = {},
): AsyncGenerator<DomainReport> {
  const limit = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_STREAM_CONCURRENCY));
  const ordered = options.ordered ?? false;
  const window = ordered ? limit * 4 : limit;
  let source: AsyncIterator<DomainName | string> | Iterator<DomainName | string> =
    Symbol.asyncIterator in domains ? domains[Symbol.asyncIterator]() : domains[Symbol.iterator]();

  // The first domain names the origin of a zone file without $ORIGIN: read it before preparing the run.
  const first = await source.next();
  let head: DomainName | undefined = first.done ? undefined : named(first.value);
  const run = await prepareRun(options, head?.name);
  if (first.done) {
    // No domain: each zone file is audited for its origin, as audit() does.
    source = [...new Set(run.zones.map((z) => z.origin))].map(parseDomainName)[Symbol.iterator]();
  }

  let sourceDone = false;
  let pulling = false;
  let failure: { error: unknown } | undefined;
  let started = 0;
  let inFlight = 0;
  let yielded = 0;
  /** Finished, not yet yielded (unordered: arrival order; ordered: by sequence number). */
  const finished: DomainReport[] = [];
  const reorder = new Map<number, DomainReport>();
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const start = (domain: DomainName) => {
    const seq = started++;
    inFlight++;
    auditDomain(run, domain).then(
      (report) => {
        inFlight--;
        if (ordered) reorder.set(seq, report);
        else finished.push(report);
        notify();
      },
      (error: unknown) => {
        inFlight--;
        failure ??= { error };
        notify();
      },
    );
  };
  const room = () => !failure && started - yielded < window && inFlight < limit;

  /** Starts domains while there is room; at most one pump pulls from the source at a time. */
  const pump = async () => {
    if (pulling) return;
    pulling = true;
    try {
      if (head) {
        start(head);
        head = undefined;
      }
      while (!sourceDone && room()) {
        const next = await source.next();
        if (next.done) sourceDone = true;
        else start(named(next.value));
      }
    } catch (error) {
      failure ??= { error };
      sourceDone = true;
    } finally {
      pulling = false;
      notify();
    }
  };

  try {
    for (;;) {
      if (failure) throw failure.error;
      if (!sourceDone && !pulling && room()) void pump();
      if (ordered) {
        const report = reorder.get(yielded);
        if (report) {
          reorder.delete(yielded);
          yielded++;
          yield report;
          continue;
        }
      } else if (finished.length > 0) {
        yielded++;
        yield finished.shift()!;
        continue;
      }
      if (sourceDone && !pulling && inFlight === 0) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    // Stopped early (an error, or the consumer broke off): stop reading the list, without waiting
    // for a read in progress (stdin may never answer).
    if (!sourceDone) Promise.resolve(source.return?.()).catch(() => undefined);
  }
}
