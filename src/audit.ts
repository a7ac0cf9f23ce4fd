import { getServers } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { DnssecSettings } from './collect/context.js';
import { DEFAULT_HTTPS_SETTINGS, type HttpsSettings } from './collect/https-fetch.js';
import { selectorProblem } from './collect/dkim.js';
import { isIP } from 'node:net';
import { collectDomain } from './collect/index.js';
import { CachingDnsSource } from './dns/cache.js';
import { DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES, LiveDnsSource } from './dns/live.js';
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
import type { SmtpProbeSettings } from './probe/prober.js';
import { prepareProbe } from './probe/settings.js';
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
  /** Port for HTTPS fetches of MTA-STS policies and BIMI logos (default 443). */
  httpsPort?: number;
  /** Extra trusted CA certificates (a PEM file) for HTTPS and SMTP certificate checks (NODE_EXTRA_CA_CERTS works too). */
  caFile?: string;
  /** Bound on connecting and on each HTTPS fetch, in milliseconds (default 10000). */
  httpTimeoutMs?: number;
  /** DKIM selectors to try besides the built-in list (each a DNS name such as `s2024`). */
  dkimSelectors?: string[];
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
  zone?: ZoneContext;
  zoneOrigin?: string;
  rules: Rule[];
  disabled: Set<string>;
  severity: Record<string, Severity>;
  /** HTTPS fetches (MTA-STS policies, BIMI logos): port, trusted CAs, timeout. */
  https: HttpsSettings;
  /** The resolvers asked for DNSSEC (AD flag); undefined when DNS comes from a custom DnsSource. */
  dnssec?: DnssecSettings;
  dkimSelectors: string[];
  /** The SMTP probe of the run (one cache of conversations per run), when there is anything to probe. */
  probe?: SmtpProbeSettings;
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
  const https: HttpsSettings = {
    port: options.httpsPort ?? DEFAULT_HTTPS_SETTINGS.port,
    timeoutMs: options.httpTimeoutMs ?? DEFAULT_HTTPS_SETTINGS.timeoutMs,
  };
  if (options.caFile) https.secureContext = createSecureContext({ ca: [...rootCertificates, await readCaFile(options.caFile)] });
  const dkimSelectors = (options.dkimSelectors ?? []).map((s) => s.trim().replace(/\.$/, ''));
  for (const selector of dkimSelectors) {
    const problem = selectorProblem(selector);
    if (problem) throw new InputError(`bad DKIM selector ${JSON.stringify(selector)}: ${problem}`);
  }
  const run: AuditRun = { dns, rules, disabled: new Set(options.disable), severity: options.severity ?? {}, https, dkimSelectors };
  // DNSSEC asks the configured resolvers directly (node:dns hides the AD flag); not with a custom DnsSource.
  if (options.dnsServers?.length || !options.dns) {
    run.dnssec = {
      servers: options.dnsServers?.length ? options.dnsServers : getServers(),
      timeoutMs: options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS,
      tries: options.tries ?? DEFAULT_DNS_TRIES,
      cache: new Map(),
    };
  }
  for (const ip of options.senderIps ?? []) {
    if (!isIP(ip)) throw new InputError(`invalid sender IP ${JSON.stringify(ip)}: expected an IPv4 or IPv6 address`);
  }
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
  const probe = await prepareProbe(options);
  if (probe) run.probe = probe;
  return run;
}

async function readCaFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new InputError(`CA file ${file} holds no PEM certificate`);
  return text;
}

/** Audits one domain within a prepared run. */
export async function auditDomain(run: AuditRun, domain: DomainName): Promise<DomainReport> {
  const inZone = run.zone && (domain.name === run.zone.origin || domain.name.endsWith(`.${run.zone.origin}`));
  const facts = await collectDomain(domain.name, domain.input, {
    dns: run.dns,
    zone: inZone ? run.zone : undefined,
    https: run.https,
    // DNSSEC belongs to the deployed zone: records read from a zone file are not checked.
    dnssec: inZone ? undefined : run.dnssec,
    dkimSelectors: run.dkimSelectors,
    probe: run.probe,
    senderIps: run.senderIps,
  });
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
