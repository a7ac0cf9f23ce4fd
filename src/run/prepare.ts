import { getServers } from 'node:dns';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { DnssecSettings } from '../collect/context.js';
import { DEFAULT_HTTPS_SETTINGS, type HttpsSettings } from '../collect/https-fetch.js';
import { BoundedMap, CachingDnsSource, type CacheStats } from '../dns/cache.js';
import { DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES, LiveDnsSource } from '../dns/live.js';
import { RateLimitedDnsSource } from '../dns/rate-limit.js';
import type { DnsSource } from '../dns/types.js';
import { builtinRules } from '../engine/load.js';
import type { Rule } from '../engine/rule.js';
import type { DomainPolicy, ZoneContext } from '../facts/index.js';
import { readCaFile } from '../input/ca-file.js';
import type { SmtpProbeSettings } from '../probe/prober.js';
import { certExpiryDaysOf, prepareProbe } from '../probe/settings.js';
import type { Severity } from '../types.js';
import { checkOptions, normalizeSelector, type AuditOptions } from './options.js';
import { readZones } from './zones.js';

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
  dkimDiscovery?: 'auto' | 'full';
  /** HTTPS fetches (MTA-STS policies, BIMI logos): port, trusted CAs, timeout. */
  https: HttpsSettings;
  /** The resolvers asked for DNSSEC (AD flag); undefined when DNS comes from a custom DnsSource. */
  dnssec?: DnssecSettings;
  /** The SMTP probe of the run (one cache of conversations per run), when there is anything to probe. */
  probe?: SmtpProbeSettings;
  /** `--sender-ip`: addresses whose SPF result is evaluated. */
  senderIps?: string[];
  /** `--mail-from` and `--helo`: the SPF identities of the `--sender-ip` results. */
  mailFrom?: string;
  helo?: string;
  /** Counters of the run's DNS cache. */
  cacheStats?: CacheStats;
  /** Every dkim-* rule is disabled: the selector probe is not worth its 33 questions a domain. */
  skipDkim: boolean;
}

/** Checks the options, reads the zone files and builds the run's DNS source; throws InputError for anything the user must fix. */
export async function prepareRun(options: AuditOptions, firstDomain?: string): Promise<AuditRun> {
  const rules = options.rules ?? builtinRules();
  checkOptions(options, rules);
  const ownLive = options.dns
    ? undefined
    : new LiveDnsSource({ servers: options.dnsServers, timeoutMs: options.timeoutMs, tries: options.tries, maxInFlight: options.dnsInFlight });
  let live: DnsSource = options.dns ?? ownLive!;
  if (options.qps !== undefined) live = new RateLimitedDnsSource(live, options.qps);
  const https: HttpsSettings = {
    port: options.httpsPort ?? DEFAULT_HTTPS_SETTINGS.port,
    timeoutMs: options.httpTimeoutMs ?? DEFAULT_HTTPS_SETTINGS.timeoutMs,
    certExpiryDays: certExpiryDaysOf(options),
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
  if (options.dkimSelectors) run.dkimSelectors = options.dkimSelectors.map(normalizeSelector);
  if (options.dkimDiscovery) run.dkimDiscovery = options.dkimDiscovery;
  // DNSSEC asks the configured resolvers directly (node:dns hides the AD flag); not with a custom DnsSource.
  if (options.dnsServers?.length || !options.dns) {
    run.dnssec = {
      servers: options.dnsServers?.length ? options.dnsServers : getServers(),
      timeoutMs: options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS,
      tries: options.tries ?? DEFAULT_DNS_TRIES,
      // Bounded like the DNS cache: a long list must not keep one entry per domain (issue 7).
      cache: new BoundedMap(options.cacheEntries),
    };
    // One client, one bound on questions in flight, and the MX question asked once (issue 12.5, 15).
    if (ownLive) run.dnssec.askWithDo = (name, type) => ownLive.askWithDo(name, type);
  }
  if (options.senderIps?.length) run.senderIps = options.senderIps;
  if (options.mailFrom !== undefined) run.mailFrom = options.mailFrom;
  if (options.helo !== undefined) run.helo = options.helo;
  const files = [...new Set([...(options.zoneFile ? [options.zoneFile] : []), ...(options.zoneFiles ?? [])])];
  // The domain on the command line is the origin of a lone zone file without $ORIGIN/SOA.
  const { zones, dns } = await readZones(files, options.zoneOrigin ?? (files.length === 1 ? firstDomain : undefined), live);
  run.zones = zones;
  if (zones[0]) {
    run.zone = zones[0];
    run.zoneOrigin = zones[0].origin;
  }
  const cache = new CachingDnsSource(dns, { maxEntries: options.cacheEntries });
  run.dns = cache;
  run.cacheStats = cache.stats;
  const probe = prepareProbe(options, caPems);
  if (probe) run.probe = probe;
  return run;
}
