import type { LookupRecord } from '../dns/cache.js';
import type { DnsAllFailed, DnsFailure, ZoneContext } from './common.js';
import type { DkimFacts } from './dkim.js';
import type { DmarcFacts } from './dmarc.js';
import type { MxFacts } from './mx.js';
import type { PolicyFacts } from './policy.js';
import type { SmtpFacts, SubmissionFacts } from './smtp.js';
import type { SpfFacts } from './spf.js';
import type { BimiFacts, DaneFacts, DnssecFacts, MtaStsFacts, TlsRptFacts } from './transport.js';

/**
 * Facts are what collect/ learns about one domain: plain JSON, the `records` part of the JSON report,
 * and what rules are evaluated against. Every fact type is exported from here; the files beside this
 * one hold one area each and import only common.ts.
 */
export type * from './common.js';
export type * from './dkim.js';
export type * from './dmarc.js';
export type * from './mx.js';
export type * from './policy.js';
export type * from './smtp.js';
export type * from './spf.js';
export type * from './transport.js';

export interface DomainFacts {
  /** A-label form, lower-case, no trailing dot. */
  domain: string;
  /** As given by the user. */
  input: string;
  /** Whether the domain exists in DNS. */
  existence: 'exists' | 'nxdomain' | 'undetermined';
  zone?: ZoneContext;
  /** Every question asked for this domain and how it was answered. */
  lookups: LookupRecord[];
  /** The lookups that failed: everything depending on them is undetermined. */
  dnsFailures: DnsFailure[];
  /** Set instead of dnsFailures when every lookup failed with the same error (a resolver that never answers). */
  dnsAllFailed?: DnsAllFailed;
  /** With existence nxdomain: who said so (the resolver's address, or the zone file). */
  nxdomainFrom?: string;
  mx?: MxFacts;
  spf?: SpfFacts;
  dmarc?: DmarcFacts;
  mtaSts?: MtaStsFacts;
  tlsRpt?: TlsRptFacts;
  bimi?: BimiFacts;
  dnssec?: DnssecFacts;
  dane?: DaneFacts;
  dkim?: DkimFacts;
  /** The live SMTP probe of each MX address (absent with --no-smtp). */
  smtp?: SmtpFacts;
  /** The submission host's ports 465 and 587 (with --submission HOST). */
  submission?: SubmissionFacts;
  /** Set when the config file states expectations for the domain. */
  policy?: PolicyFacts;
}
