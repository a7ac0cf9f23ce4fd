import { RecordingDnsSource } from '../dns/cache.js';
import type { DnsSource } from '../dns/types.js';
import type { DnsFailure, DomainFacts, ZoneContext } from '../facts/index.js';
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
    const facts: DomainFacts = { domain, input, existence: 'nxdomain', lookups: dns.lookups, dnsFailures: [] };
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
    options.skipDkim ? undefined : collectDkim(ctx, options.dkimSelectors),
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
  if (apex.some((l) => l.status === 'nxdomain')) {
    facts.existence = 'nxdomain';
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
  facts.dnsFailures = failuresOf(facts);
  // DANE matches the certificates the SMTP probe saw: keep this after the probe.
  applyDane(facts);
  return facts;
}

function failuresOf(facts: DomainFacts): DnsFailure[] {
  return facts.lookups
    .filter((l) => l.status === 'error')
    .map((l) => ({ name: l.name, type: l.type, error: l.error ?? 'EUNKNOWN' }));
}
