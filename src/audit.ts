import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { collectDomain } from './collect/index.js';
import { CachingDnsSource } from './dns/cache.js';
import { LiveDnsSource } from './dns/live.js';
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
  /** Domains audited at once (default 8). */
  concurrency?: number;
  /** Client addresses (IPv4/IPv6) to evaluate each domain's SPF for, as a receiver would. */
  senderIps?: string[];
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
  senderIps?: string[];
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
  for (const ip of options.senderIps ?? []) {
    if (!isIP(ip)) throw new InputError(`invalid sender IP ${JSON.stringify(ip)}: expected an IPv4 or IPv6 address`);
  }
  const run: AuditRun = { dns, rules, disabled: new Set(options.disable), severity: options.severity ?? {} };
  if (options.senderIps?.length) run.senderIps = options.senderIps;
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
  run.dns = new CachingDnsSource(dns);
  return run;
}

/** Audits one domain within a prepared run. */
export async function auditDomain(run: AuditRun, domain: DomainName): Promise<DomainReport> {
  const inZone = run.zone && (domain.name === run.zone.origin || domain.name.endsWith(`.${run.zone.origin}`));
  const facts = await collectDomain(domain.name, domain.input, { dns: run.dns, zone: inZone ? run.zone : undefined, senderIps: run.senderIps });
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
  const run = await prepareRun(options, names[0]?.name);
  if (names.length === 0) {
    if (!run.zoneOrigin) throw new InputError('no domain given: expected at least one domain name such as example.com');
    names.push(parseDomainName(run.zoneOrigin));
  }
  const reports = await mapConcurrent(names, options.concurrency ?? 8, (d) => auditDomain(run, d));
  return buildReport(reports);
}
