import { RecordingDnsSource } from '../dns/cache.js';
import type { DnsSource } from '../dns/types.js';
import type { DnsFailure, DomainFacts, ZoneContext } from '../facts.js';
import type { CollectContext } from './context.js';
import { collectDmarc } from './dmarc.js';
import { collectMx } from './mx.js';
import { collectSpf } from './spf.js';

export interface CollectOptions {
  dns: DnsSource;
  zone?: ZoneContext;
  dkimSelectors?: string[];
}

/** Gathers every fact about one domain; the collectors run concurrently over a shared DNS cache. */
export async function collectDomain(domain: string, input: string, options: CollectOptions): Promise<DomainFacts> {
  const dns = new RecordingDnsSource(options.dns);
  const ctx: CollectContext = { domain, dns };
  if (options.dkimSelectors?.length) ctx.dkimSelectors = options.dkimSelectors;
  const [mx, spf, dmarc] = await Promise.all([collectMx(ctx), collectSpf(ctx), collectDmarc(ctx)]);
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
    return facts;
  }
  if (apex.length > 0 && apex.every((l) => l.status === 'error')) facts.existence = 'undetermined';
  facts.mx = mx;
  facts.spf = spf;
  facts.dmarc = dmarc;
  facts.dnsFailures = failuresOf(facts);
  return facts;
}

function failuresOf(facts: DomainFacts): DnsFailure[] {
  return facts.lookups
    .filter((l) => l.status === 'error')
    .map((l) => ({ name: l.name, type: l.type, error: l.error ?? 'EUNKNOWN' }));
}
