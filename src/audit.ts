import { readFile } from 'node:fs/promises';
import { collectDomain } from './collect/index.js';
import { CachingDnsSource, type CacheStats } from './dns/cache.js';
import { LiveDnsSource } from './dns/live.js';
import { RateLimitedDnsSource } from './dns/rate-limit.js';
import type { DnsSource } from './dns/types.js';
import { ZoneDnsSource } from './dns/zone-source.js';
import { parseZone, ZoneSyntaxError } from './dns/zonefile.js';
import { evaluate } from './engine/evaluate.js';
import { builtinRules } from './engine/load.js';
import type { Rule } from './engine/rule.js';
import type { ZoneContext } from './facts.js';
import { InputError, parseDomainName, type DomainName } from './input/domain.js';
import { VERSION } from './paths.js';
import { countSeverities } from './report/counts.js';
import type { DomainReport, Report, Severity } from './types.js';

export const REPORT_SCHEMA_VERSION = '1.0.0';

export interface AuditOptions {
  /** DNS servers as `ip[:port]`; default: the system's resolvers. */
  dnsServers?: string[];
  /** Per-query DNS timeout in milliseconds (default 5000). */
  timeoutMs?: number;
  /** Tries per DNS server (default 2). */
  tries?: number;
  /** A zone file whose records are audited as if deployed; other names come from live DNS. */
  zoneFile?: string;
  /** Rule ids not to evaluate. */
  disable?: string[];
  /** Severity per rule id, overriding the rule's default. */
  severity?: Record<string, Severity>;
  /** Domains audited at once (default 8 for audit(), DEFAULT_STREAM_CONCURRENCY for auditStream()). */
  concurrency?: number;
  /** auditStream(): yield reports in input order (a bounded reorder buffer) instead of as they finish. */
  ordered?: boolean;
  /** At most this many DNS questions per second leave for live DNS (cached answers are free). */
  qps?: number;
  /** Most DNS answers the run's cache keeps (default DEFAULT_CACHE_ENTRIES). */
  cacheEntries?: number;
  /** Replaces live DNS (tests, embedding). */
  dns?: DnsSource;
  /** The rules to evaluate (default: the built-in catalogue). */
  rules?: Rule[];
}

/** A prepared run: the DNS source shared by every domain (one cache per run) and the rules. */
export interface AuditRun {
  dns: DnsSource;
  zone?: ZoneContext;
  zoneOrigin?: string;
  rules: Rule[];
  disabled: Set<string>;
  severity: Record<string, Severity>;
  /** Counters of the run's DNS cache. */
  cacheStats?: CacheStats;
}

/** Reads the zone file and builds the DNS source; throws InputError for anything the user must fix. */
export async function prepareRun(options: AuditOptions, firstDomain?: string): Promise<AuditRun> {
  const rules = options.rules ?? builtinRules();
  const known = new Set(rules.map((r) => r.id));
  for (const id of [...(options.disable ?? []), ...Object.keys(options.severity ?? {})]) {
    if (!known.has(id)) throw new InputError(`unknown rule id ${JSON.stringify(id)} (see the rule catalogue)`);
  }
  let dns: DnsSource =
    options.dns ?? new LiveDnsSource({ servers: options.dnsServers, timeoutMs: options.timeoutMs, tries: options.tries });
  if (options.qps !== undefined) {
    if (!(options.qps > 0)) throw new InputError(`qps must be a positive number, got ${options.qps}`);
    dns = new RateLimitedDnsSource(dns, options.qps);
  }
  const run: AuditRun = { dns, rules, disabled: new Set(options.disable), severity: options.severity ?? {} };
  if (options.zoneFile) {
    let text: string;
    try {
      text = await readFile(options.zoneFile, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read zone file ${options.zoneFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      const zone = parseZone(text, { file: options.zoneFile, origin: firstDomain });
      if (!zone.origin) throw new InputError(`zone file ${options.zoneFile} has no $ORIGIN: give the domain on the command line`);
      dns = new ZoneDnsSource(zone, dns);
      run.zone = { file: options.zoneFile, origin: zone.origin, line: zone.soa?.origin.line ?? zone.firstRecordLine };
      run.zoneOrigin = zone.origin;
    } catch (err) {
      if (err instanceof ZoneSyntaxError) throw new InputError(`zone file ${err.message}`);
      throw err;
    }
  }
  const cache = new CachingDnsSource(dns, { maxEntries: options.cacheEntries });
  run.dns = cache;
  run.cacheStats = cache.stats;
  return run;
}

/** Audits one domain within a prepared run. */
export async function auditDomain(run: AuditRun, domain: DomainName): Promise<DomainReport> {
  const inZone = run.zone && (domain.name === run.zone.origin || domain.name.endsWith(`.${run.zone.origin}`));
  const facts = await collectDomain(domain.name, domain.input, { dns: run.dns, zone: inZone ? run.zone : undefined });
  const findings = evaluate(run.rules, facts, { disabled: run.disabled, severity: run.severity });
  return { domain: domain.name, input: domain.input, findings, summary: countSeverities(findings), records: facts };
}

/** Runs `work` over `items` with at most `limit` at once, keeping results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function buildReport(domains: DomainReport[]): Report {
  const summary = { domains: domains.length, error: 0, warning: 0, note: 0 };
  for (const d of domains) {
    summary.error += d.summary.error;
    summary.warning += d.summary.warning;
    summary.note += d.summary.note;
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'mailaudit', version: VERSION },
    generatedAt: new Date().toISOString(),
    domains,
    summary,
  };
}

/**
 * Audits each domain (names as a user would type them) and returns the report.
 * With a zone file and no domain, the zone's origin is audited. Throws InputError for bad input.
 */
export async function audit(domains: string | string[], options: AuditOptions = {}): Promise<Report> {
  const names = (Array.isArray(domains) ? domains : [domains]).map(parseDomainName);
  if (names.length === 0 && !options.zoneFile) {
    await prepareRun(options); // bad options are reported first
    throw new InputError('no domain given: expected at least one domain name such as example.com');
  }
  const reports: DomainReport[] = [];
  for await (const report of auditStream(names, { ...options, concurrency: options.concurrency ?? 8, ordered: true })) reports.push(report);
  return buildReport(reports);
}

// ---------------------------------------------------------------------------------------------
// Streaming (issue 7): lists of thousands to millions of domains

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
export async function* auditStream(
  domains: AsyncIterable<DomainName> | Iterable<DomainName>,
  options: AuditOptions = {},
): AsyncGenerator<DomainReport> {
  const limit = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_STREAM_CONCURRENCY));
  const ordered = options.ordered ?? false;
  const window = ordered ? limit * 4 : limit;
  const source: AsyncIterator<DomainName> | Iterator<DomainName> =
    Symbol.asyncIterator in domains ? domains[Symbol.asyncIterator]() : domains[Symbol.iterator]();

  // The first domain names the origin of a zone file without $ORIGIN: read it before preparing the run.
  const first = await source.next();
  const run = await prepareRun(options, first.done ? undefined : first.value.name);
  let head: DomainName | undefined = first.done ? undefined : first.value;
  if (first.done) {
    if (!run.zoneOrigin) return;
    head = parseDomainName(run.zoneOrigin);
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
        else start(next.value);
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
