import { RecordingDnsSource, type LookupRecord } from '../dns/cache.js';
import type { DnsSource } from '../dns/types.js';
import type { DnsAllFailed, DnsFailure, DomainFacts, ZoneContext } from '../facts/index.js';
import { collectBimi } from './bimi.js';
import type { CollectContext, DnssecSettings } from './context.js';
import { applyDane, collectTlsa } from './dane.js';
import { collectDkim } from './dkim.js';
import { collectDmarc } from './dmarc.js';
import { collectDnssec } from './dnssec.js';
import type { HttpsSettings } from './https-fetch.js';
import { collectMtaSts } from './mta-sts.js';
import { collectMx } from './mx.js';
import { collectSpf, senderResultsOnly } from './spf.js';
import { collectTlsRpt } from './tls-rpt.js';
import { collectProbes } from './smtp.js';
import type { SmtpProbeSettings } from '../probe/prober.js';

export interface CollectOptions {
  dns: DnsSource;
  zone?: ZoneContext;
  /** HTTPS fetches (MTA-STS policy, BIMI logo). */
  https?: HttpsSettings;
  /** Resolvers for DNSSEC (AD) queries; undefined: DNSSEC not checked. */
  dnssec?: DnssecSettings;
  /** DKIM selectors to try besides the built-in list. */
  dkimSelectors?: readonly string[];
  /** Skip the DKIM selector probe (every dkim-* rule is disabled): 33 questions a domain saved. */
  skipDkim?: boolean;
  /** DKIM discovery: 'auto' (RFC 8020, the default) or 'full'. */
  dkimDiscovery?: 'auto' | 'full';
  /** The run's SMTP probe: MX addresses (unless `mx` is false) and the submission host. */
  probe?: SmtpProbeSettings;
  /** Client addresses to evaluate SPF for (`--sender-ip`). */
  senderIps?: string[];
  /** `--mail-from` and `--helo`: the SPF identities for the `--sender-ip` results. */
  mailFrom?: string;
  helo?: string;
}

/** Gathers every fact about one domain; the collectors run concurrently over a shared DNS cache. */
export async function collectDomain(domain: string, input: string, options: CollectOptions): Promise<DomainFacts> {
  const dns = new RecordingDnsSource(options.dns);
  const ctx: CollectContext = { domain, dns, https: options.https, dnssec: options.dnssec, senderIps: options.senderIps };
  if (options.mailFrom !== undefined) ctx.mailFrom = options.mailFrom;
  if (options.helo !== undefined) ctx.helo = options.helo;
  // A domain that does not exist gets one finding: its MX answer says so before 40 more questions are asked.
  if ((await dns.resolve(domain, 'MX')).status === 'nxdomain') {
    const facts: DomainFacts = { domain, input, existence: 'nxdomain', lookups: dns.lookups, dnsFailures: [], nxdomainFrom: answeredBy(dns.lookups[0]!, options.zone) };
    if (options.zone) facts.zone = options.zone;
    if (ctx.senderIps?.length) facts.spf = await senderResultsOnly(ctx);
    return facts;
  }
  const mxP = collectMx(ctx);
  const dmarcP = collectDmarc(ctx);
  const [mx, spf, dmarc, mtaSts, tlsRpt, bimi, dnssec, dane, dkim] = await Promise.all([
    mxP,
    collectSpf(ctx),
    dmarcP,
    collectMtaSts(ctx, mxP),
    collectTlsRpt(ctx, mxP),
    collectBimi(ctx, dmarcP),
    collectDnssec(ctx, mxP),
    collectTlsa(ctx, mxP),
    options.skipDkim ? undefined : collectDkim(ctx, options.dkimSelectors, options.dkimDiscovery),
  ]);
  const apex = dns.lookups.filter((l) => l.name === domain);
  const facts: DomainFacts = {
    domain,
    input,
    existence: 'exists',
    lookups: dns.lookups,
    dnsFailures: [],
  };
  if (options.zone) facts.zone = options.zone;
  const nx = apex.find((l) => l.status === 'nxdomain');
  if (nx) {
    facts.existence = 'nxdomain';
    facts.nxdomainFrom = answeredBy(nx, options.zone);
    facts.lookups = apex;
    if (ctx.senderIps?.length) facts.spf = await senderResultsOnly(ctx);
    return facts;
  }
  if (apex.length > 0 && apex.every((l) => l.status === 'error')) facts.existence = 'undetermined';
  facts.mx = mx;
  facts.spf = spf;
  facts.dmarc = dmarc;
  Object.assign(facts, { mtaSts, tlsRpt, bimi, dnssec, dane });
  if (dkim) facts.dkim = dkim;
  // The probe needs the MX facts: it runs once the DNS collectors are done.
  Object.assign(facts, await collectProbes(ctx, mx, options.probe));
  facts.dnsFailures = failuresOf(facts, options.zone);
  const all = allFailed(facts.dnsFailures, facts.lookups.length);
  if (all) {
    facts.dnsAllFailed = all;
    facts.dnsFailures = [];
  }
  // DANE matches the certificates the SMTP probe saw: keep this after the probe.
  applyDane(facts);
  return facts;
}

/** A resolver's address as people read it: without the port ("10.0.0.53", "::1"). */
function hostOf(server: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(server);
  if (v6) return v6[1]!;
  return /^[0-9.]+:\d+$/.test(server) ? server.slice(0, server.lastIndexOf(':')) : server;
}

/** Who gave a (failed or NXDOMAIN) answer: the resolver's address, or the zone file. */
function answeredBy(l: LookupRecord, zone: ZoneContext | undefined): string {
  if (l.source === 'zone') return zone ? `the zone file ${zone.file}` : 'the zone file';
  if (!l.servers?.length) return 'the DNS source';
  return [...new Set(l.servers.map(hostOf))].join(' or ');
}

function failuresOf(facts: DomainFacts, zone: ZoneContext | undefined): DnsFailure[] {
  return facts.lookups
    .filter((l) => l.status === 'error')
    .map((l) => ({ name: l.name, type: l.type, error: l.error ?? 'EUNKNOWN', resolver: answeredBy(l, zone) }));
}

/** Every lookup (two or more) failed the same way from the same resolver: one fact, not one per lookup. */
function allFailed(failures: DnsFailure[], lookups: number): DnsAllFailed | undefined {
  const [first] = failures;
  if (!first || lookups < 2 || failures.length !== lookups) return undefined;
  if (!failures.every((f) => f.error === first.error && f.resolver === first.resolver)) return undefined;
  return { count: failures.length, error: first.error, resolver: first.resolver };
}
