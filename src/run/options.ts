import { isIP } from 'node:net';
import { selectorProblem } from '../collect/dkim.js';
import type { Rule } from '../engine/rule.js';
import type { DomainPolicy } from '../facts/index.js';
import { InputError } from '../input/domain.js';
import type { DnsSource } from '../dns/types.js';
import type { Severity } from '../types.js';

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
  /** Origin of a lone zone file without $ORIGIN or SOA (the CLI's --origin); default: the first domain given. */
  zoneOrigin?: string;
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
  /** DKIM discovery: 'auto' (default) asks `_domainkey` first as RFC 8020 allows; 'full' asks every selector. */
  dkimDiscovery?: 'auto' | 'full';
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
  /**
   * `--mail-from`: the MAIL FROM address each `--sender-ip` is checked for (default postmaster@<domain>;
   * a local-part alone is at each domain audited); '' or '<>' is the null reverse-path, checked as
   * postmaster@<helo> (RFC 7208 §2.4).
   */
  mailFrom?: string;
  /** `--helo`: the HELO/EHLO name (default the domain); when given, the HELO identity is checked too (RFC 7208 §2.3). */
  helo?: string;
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
  /** Minimum milliseconds between two connections to one address, across the run (default 0). */
  smtpIntervalMs?: number;
  /** Bound on one domain's probe, queueing included (default 12 × smtpTimeoutMs; library only). */
  smtpDomainDeadlineMs?: number;
  /** A certificate (SMTP, submission, MTA-STS policy host) expiring within this many days is reported (default 14). */
  certExpiryDays?: number;
}

/** Checks what the options say before anything is asked; throws InputError for anything the user must fix. */
export function checkOptions(options: AuditOptions, rules: readonly Rule[]): void {
  const known = new Set(rules.map((r) => r.id));
  for (const id of [...(options.disable ?? []), ...Object.keys(options.severity ?? {})]) {
    if (!known.has(id)) throw new InputError(`unknown rule id ${JSON.stringify(id)} (see \`mailaudit rules\`)`);
  }
  if (options.qps !== undefined && !(options.qps > 0)) throw new InputError(`qps must be a positive number, got ${options.qps}`);
  const selectors = [...(options.dkimSelectors ?? []), ...Object.values(options.policies ?? {}).flatMap((p) => p.dkimSelectors ?? [])];
  for (const selector of selectors) {
    const problem = selectorProblem(normalizeSelector(selector));
    if (problem) throw new InputError(`bad DKIM selector ${JSON.stringify(selector)}: ${problem}`);
  }
  for (const ip of options.senderIps ?? []) {
    if (!isIP(ip)) throw new InputError(`invalid sender IP ${JSON.stringify(ip)}: expected an IPv4 or IPv6 address`);
  }
  if ((options.mailFrom !== undefined || options.helo !== undefined) && !options.senderIps?.length) {
    throw new InputError('--mail-from and --helo set the identity of --sender-ip results: give --sender-ip too');
  }
  // A quoted local-part may hold spaces (RFC 5321 §4.1.2); control characters never.
  if (options.mailFrom !== undefined && (!/^[\x20-\x7e\x80-\uffff]*$/.test(options.mailFrom) || options.mailFrom.length > 320)) {
    throw new InputError(`invalid MAIL FROM ${JSON.stringify(options.mailFrom)}: expected an address such as bob@example.com (or <> for the null sender)`);
  }
  // What a client says after HELO need not be a host name (the HELO check then gives none, §4.3); %{h} uses it as said.
  if (options.helo !== undefined && (!/^[\x20-\x7e\x80-\uffff]+$/.test(options.helo) || options.helo.length > 255)) {
    throw new InputError(`invalid HELO name ${JSON.stringify(options.helo)}: expected a host name such as mail.example.com`);
  }
}

export function normalizeSelector(selector: string): string {
  return selector.trim().replace(/\.$/, '');
}
