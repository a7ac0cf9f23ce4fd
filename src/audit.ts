import { getServers } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename } from 'node:path';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { DnssecSettings } from './collect/context.js';
import { selectorProblem } from './collect/dkim.js';
import { DEFAULT_HTTPS_SETTINGS, type HttpsSettings } from './collect/https-fetch.js';
import { collectDomain } from './collect/index.js';
import { BoundedMap, CachingDnsSource, type CacheStats } from './dns/cache.js';
import { DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES, LiveDnsSource } from './dns/live.js';
import { RateLimitedDnsSource } from './dns/rate-limit.js';
import type { DnsSource } from './dns/types.js';
import { ZoneDnsSource } from './dns/zone-source.js';
import { parseZone, ZoneSyntaxError } from './dns/zonefile.js';
import { evaluate } from './engine/evaluate.js';
import { builtinRules } from './engine/load.js';
import type { Rule } from './engine/rule.js';
import { policyFacts } from './collect/policy.js';
import type { DomainFacts, DomainPolicy, ZoneContext } from './facts.js';
import { readCaFile } from './input/ca-file.js';
import { InputError, parseDomainName, type DomainName } from './input/domain.js';
import { VERSION } from './paths.js';
import type { SmtpProbeSettings } from './probe/prober.js';
import { prepareProbe } from './probe/settings.js';
import { countSeverities } from './report/counts.js';
import type { DomainReport, Report, Severity } from './types.js';

export const REPORT_SCHEMA_VERSION = '1.0.0';

export interface AuditOptions {
  /** DNS servers as `ip[:port]`; default: the system's resolvers. */
  dnsServers?: string[];
  /** Per-query DNS timeout in milliseconds (default 5000). */
  timeoutMs?: number;
  /** Tries per DNS query and server (default 2). */
  tries?: number;
  /** A zone file whose records are audited as if deployed; other names come from live DNS. */
  zoneFile?: string;
  /** Zone files (several zones in one run); each answers for its own origin. `zoneFile` is added to them. */
  zoneFiles?: string[];
  /**
   * Audit each zone's origin too when domains are given (the Action's `domains` + `zones`). Without
   * domains, the zones' origins are always audited.
   */
  auditZoneOrigins?: boolean;
  /** Rule ids not to evaluate. */
  disable?: string[];
  /** Severity per rule id, overriding the rule's default. */
  severity?: Record<string, Severity>;
  /** DKIM selectors to try besides the built-in list (used by the DKIM collector). */
  dkimSelectors?: string[];
  /** What the owner expects of each domain (from the config file): expected MX hosts, SPF includes, parked. */
  policies?: Record<string, DomainPolicy>;
  /** Domains audited at once (default 8 for audit(), DEFAULT_STREAM_CONCURRENCY for auditStream()). */
  concurrency?: number;
  /** auditStream(): yield reports in input order (a bounded reorder buffer) instead of as they finish. */
  ordered?: boolean;
  /** At most this many DNS questions per second leave for live DNS (cached answers are free). */
  qps?: number;
  /** DNS questions outstanding at once (default 64); raise it for a fast resolver far away. */
  dnsInFlight?: number;
  /** Most DNS answers the run's cache keeps (default DEFAULT_CACHE_ENTRIES). */
  cacheEntries?: number;
  /** Replaces live DNS (tests, embedding). */
  dns?: DnsSource;
  /** The rules to evaluate (default: the built-in catalogue). */
  rules?: Rule[];
  /** `--sender-ip`: evaluate SPF for mail from these addresses, as a receiver would. */
  senderIps?: string[];
  /** Port for HTTPS fetches of MTA-STS policies and BIMI logos (default 443). */
  httpsPort?: number;
  /** Extra trusted CA certificates (a PEM file) for HTTPS and SMTP certificate checks (NODE_EXTRA_CA_CERTS works too). */
  caFile?: string;
  /** Bound on connecting and on each HTTPS fetch, in milliseconds (default 10000). */
  httpTimeoutMs?: number;
  /** Probe each MX address over SMTP (default true; the CLI's --no-smtp sets false). */
  smtp?: boolean;
  /** Port of the MX probe (default 25). */
  smtpPort?: number;
  /** Bound on each SMTP step in milliseconds: connect, each reply, the TLS handshake (default 10000). */
  smtpTimeoutMs?: number;
  /** Name sent with EHLO (default: this machine's host name). */
  ehloName?: string;
  /** Probe this host's submission ports (465 implicit TLS, 587 STARTTLS). */
  submission?: string;
  /** Ports of the submission probe (default 465 and 587; tests use unprivileged ones). */
  submissionPorts?: { implicitTls: number; starttls: number };
}

/** A prepared run: the DNS source shared by every domain (one cache per run) and the rules. */
export interface AuditRun {
  dns: DnsSource;
  /** Every zone file of the run, in the order given (broken ones carry `syntaxError`). */
  zones: ZoneContext[];
  /** The first zone (kept for callers of the single-zone API). */
  zone?: ZoneContext;
  zoneOrigin?: string;
  rules: Rule[];
  disabled: Set<string>;
  severity: Record<string, Severity>;
  policies: Record<string, DomainPolicy>;
  dkimSelectors?: string[];
  /** HTTPS fetches (MTA-STS policies, BIMI logos): port, trusted CAs, timeout. */
  https: HttpsSettings;
  /** The resolvers asked for DNSSEC (AD flag); undefined when DNS comes from a custom DnsSource. */
  dnssec?: DnssecSettings;
  /** The SMTP probe of the run (one cache of conversations per run), when there is anything to probe. */
  probe?: SmtpProbeSettings;
  /** `--sender-ip`: addresses whose SPF result is evaluated. */
  senderIps?: string[];
  /** Counters of the run's DNS cache. */
  cacheStats?: CacheStats;
  /** Every dkim-* rule is disabled: the selector probe is not worth its 33 questions a domain. */
  skipDkim: boolean;
}

/** Best guess at the origin of a zone file that does not parse: the first $ORIGIN or SOA owner, else the file name. */
function guessOrigin(text: string, file: string): string | undefined {
  const directive = /^\$ORIGIN\s+(\S+)/im.exec(text);
  if (directive) return directive[1]!.replace(/\.$/, '').toLowerCase();
  const soa = /^([A-Za-z0-9._-]+\.)\s+(?:\d+\s+)?(?:IN\s+)?(?:\d+\s+)?SOA\b/im.exec(text);
  if (soa) return soa[1]!.replace(/\.$/, '').toLowerCase();
  const base = basename(file).replace(/\.(zone|db|txt)$/i, '').replace(/^db\./i, '');
  try {
    return parseDomainName(base).name;
  } catch {
    return undefined;
  }
}

async function readZone(file: string, domainHint: string | undefined, fallback: DnsSource): Promise<{ context: ZoneContext; source?: ZoneDnsSource }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read zone file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const zone = parseZone(text, { file, origin: domainHint });
    if (!zone.origin) throw new InputError(`zone file ${file} has no $ORIGIN: give the domain on the command line`);
    const context: ZoneContext = { file, origin: zone.origin, line: zone.soa?.origin.line ?? (zone.firstRecordLine || 1) };
    return { context, source: new ZoneDnsSource(zone, fallback) };
  } catch (err) {
    if (!(err instanceof ZoneSyntaxError)) throw err;
    const origin = domainHint ?? guessOrigin(text, file);
    if (!origin) throw new InputError(`zone file ${err.message} (and no origin is known: give the domain on the command line)`);
    const syntaxError = { file, line: err.line, reason: err.reason, origin: { file, line: err.line } };
    return { context: { file, origin, line: err.line, syntaxError } };
  }
}

/** Reads the zone files and builds the DNS source; throws InputError for anything the user must fix. */
export async function prepareRun(options: AuditOptions, firstDomain?: string): Promise<AuditRun> {
  const rules = options.rules ?? builtinRules();
  const known = new Set(rules.map((r) => r.id));
  for (const id of [...(options.disable ?? []), ...Object.keys(options.severity ?? {})]) {
    if (!known.has(id)) throw new InputError(`unknown rule id ${JSON.stringify(id)} (see \`mailaudit rules\`)`);
  }
  let live: DnsSource =
    options.dns ??
    new LiveDnsSource({ servers: options.dnsServers, timeoutMs: options.timeoutMs, tries: options.tries, maxInFlight: options.dnsInFlight });
  if (options.qps !== undefined) {
    if (!(options.qps > 0)) throw new InputError(`qps must be a positive number, got ${options.qps}`);
    live = new RateLimitedDnsSource(live, options.qps);
  }
  const https: HttpsSettings = {
    port: options.httpsPort ?? DEFAULT_HTTPS_SETTINGS.port,
    timeoutMs: options.httpTimeoutMs ?? DEFAULT_HTTPS_SETTINGS.timeoutMs,
  };
  const caPems = options.caFile ? await readCaFile(options.caFile) : [];
  if (caPems.length) https.secureContext = createSecureContext({ ca: [...rootCertificates, ...caPems] });
  const run: AuditRun = {
    dns: live,
    zones: [],
    rules,
    disabled: new Set(options.disable),
    severity: options.severity ?? {},
    policies: options.policies ?? {},
    https,
    skipDkim: rules.filter((r) => r.category === 'dkim').every((r) => options.disable?.includes(r.id)),
  };
  const selectors = [...(options.dkimSelectors ?? []), ...Object.values(options.policies ?? {}).flatMap((p) => p.dkimSelectors ?? [])];
  for (const selector of selectors) {
    const problem = selectorProblem(selector.trim().replace(/\.$/, ''));
    if (problem) throw new InputError(`bad DKIM selector ${JSON.stringify(selector)}: ${problem}`);
  }
  if (options.dkimSelectors) run.dkimSelectors = options.dkimSelectors.map((s) => s.trim().replace(/\.$/, ''));
  // DNSSEC asks the configured resolvers directly (node:dns hides the AD flag); not with a custom DnsSource.
  if (options.dnsServers?.length || !options.dns) {
    run.dnssec = {
      servers: options.dnsServers?.length ? options.dnsServers : getServers(),
      timeoutMs: options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS,
      tries: options.tries ?? DEFAULT_DNS_TRIES,
      // Bounded like the DNS cache: a long list must not keep one entry per domain (issue 7).
      cache: new BoundedMap(options.cacheEntries),
    };
  }
  for (const ip of options.senderIps ?? []) {
    if (!isIP(ip)) throw new InputError(`invalid sender IP ${JSON.stringify(ip)}: expected an IPv4 or IPv6 address`);
  }
  if (options.senderIps?.length) run.senderIps = options.senderIps;
  const files = [...new Set([...(options.zoneFile ? [options.zoneFile] : []), ...(options.zoneFiles ?? [])])];
  // The domain on the command line is the origin of a lone zone file without $ORIGIN/SOA, as before.
  const hint = files.length === 1 ? firstDomain : undefined;
  const read = await Promise.all(files.map((f) => readZone(f, hint, live)));
  run.zones = read.map((r) => r.context);
  const byOrigin = new Map<string, string>();
  for (const z of run.zones) {
    const other = byOrigin.get(z.origin);
    if (other !== undefined) throw new InputError(`zone files ${other} and ${z.file} are both for ${z.origin || 'the root'}: give one file per zone`);
    byOrigin.set(z.origin, z.file);
  }
  // Layered so that the deepest zone answers first: a child zone's file wins over its parent's.
  let dns = live;
  for (const r of [...read].filter((r) => r.source).sort((a, b) => a.context.origin.length - b.context.origin.length)) {
    dns = new ZoneDnsSource(r.source!.zone, dns);
  }
  if (run.zones[0]) {
    run.zone = run.zones[0];
    run.zoneOrigin = run.zones[0].origin;
  }
  const cache = new CachingDnsSource(dns, { maxEntries: options.cacheEntries });
  run.dns = cache;
  run.cacheStats = cache.stats;
  const probe = prepareProbe(options, caPems);
  if (probe) run.probe = probe;
  return run;
}

/** The zone a domain belongs to: the one with the longest origin at or above it. */
export function zoneFor(zones: readonly ZoneContext[], domain: string): ZoneContext | undefined {
  let best: ZoneContext | undefined;
  for (const z of zones) {
    if (domain !== z.origin && !domain.endsWith(`.${z.origin}`)) continue;
    if (!best || z.origin.length > best.origin.length) best = z;
  }
  return best;
}

/** Audits one domain within a prepared run. */
export async function auditDomain(run: AuditRun, domain: DomainName): Promise<DomainReport> {
  const zone = zoneFor(run.zones, domain.name);
  let facts: DomainFacts;
  if (zone?.syntaxError) {
    // The zone would not load on a server: report where it breaks, and nothing built on guesses.
    facts = { domain: domain.name, input: domain.input, existence: 'undetermined', zone, lookups: [], dnsFailures: [] };
  } else {
    const selectors = [...new Set([...(run.dkimSelectors ?? []), ...(run.policies[domain.name]?.dkimSelectors ?? [])])];
    facts = await collectDomain(domain.name, domain.input, {
      dns: run.dns,
      zone,
      dkimSelectors: selectors,
      skipDkim: run.skipDkim,
      https: run.https,
      // DNSSEC belongs to the deployed zone: records read from a zone file are not checked.
      dnssec: zone ? undefined : run.dnssec,
      probe: run.probe,
      senderIps: run.senderIps,
    });
  }
  const policy = run.policies[domain.name];
  if (policy && !zone?.syntaxError) facts.policy = policyFacts(facts, policy);
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
 * With zone files and no domain, each zone's origin is audited. Throws InputError for bad input.
 */
export async function audit(domains: string | string[], options: AuditOptions = {}): Promise<Report> {
  const names = (Array.isArray(domains) ? domains : [domains]).map(parseDomainName);
  const run = await prepareRun(options, names[0]?.name);
  if (names.length === 0 && run.zones.length === 0) throw new InputError('no domain given: expected at least one domain name such as example.com');
  if (names.length === 0 || options.auditZoneOrigins) {
    // Each zone file is audited for its origin, in the order given.
    const seen = new Set(names.map((n) => n.name));
    for (const origin of new Set(run.zones.map((z) => z.origin))) if (!seen.has(origin)) names.push(parseDomainName(origin));
  }
  const reports = await mapConcurrent(names, options.concurrency ?? 8, (d) => auditDomain(run, d));
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
  let source: AsyncIterator<DomainName> | Iterator<DomainName> =
    Symbol.asyncIterator in domains ? domains[Symbol.asyncIterator]() : domains[Symbol.iterator]();

  // The first domain names the origin of a zone file without $ORIGIN: read it before preparing the run.
  const first = await source.next();
  const run = await prepareRun(options, first.done ? undefined : first.value.name);
  let head: DomainName | undefined = first.done ? undefined : first.value;
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
