import type { LookupRecord } from './dns/cache.js';
import type { RecordOrigin } from './dns/types.js';

/**
 * Facts are what collect/ learns about one domain: plain JSON, the `records` part of the JSON report,
 * and what rules are evaluated against.
 */

/** found: the record exists; absent: DNS says it does not; undetermined: a lookup failed. */
export type Presence = 'found' | 'absent' | 'undetermined';

export interface DnsFailure {
  name: string;
  type: string;
  /** c-ares code: ETIMEOUT, ESERVFAIL, EREFUSED, ECONNREFUSED, … */
  error: string;
}

export interface ZoneContext {
  /** The zone file as given on the command line. */
  file: string;
  origin: string;
  /** Line of the SOA (or the first record): where findings about missing records point. */
  line: number;
  /**
   * Set when the file does not parse: the zone would not load, so nothing else is audited for it
   * (rule zone-syntax-error).
   */
  syntaxError?: ZoneSyntaxErrorFact;
}

export interface ZoneSyntaxErrorFact {
  file: string;
  line: number;
  /** What is wrong, without the file:line prefix. */
  reason: string;
  origin: RecordOrigin;
}

export interface MxHostFact {
  preference: number;
  /** Target host name; "" for the null MX. */
  exchange: string;
  isNull: boolean;
  /** The target is an IP address written as a name (RFC 7505 §3 / RFC 5321 §5.1 forbid it). */
  ipLiteral: boolean;
  /** When the target is an alias: the CNAME it points to. */
  cname?: string;
  /** A and AAAA addresses of the target (through the CNAME, if any). */
  addresses: string[];
  addressStatus: Presence;
  origin?: RecordOrigin;
}

export interface MxFacts {
  status: Presence;
  /** Hosts by preference (lowest first), the null MX included. */
  hosts: MxHostFact[];
  nullMx: boolean;
  /** A null MX published alongside other MX records. */
  nullMixed: boolean;
  /** Distinct non-null MX targets. */
  hostCount: number;
  /** With no MX: the domain's own A/AAAA addresses that senders fall back to (RFC 5321 §5.1). */
  implicitAddresses?: string[];
  origin?: RecordOrigin;
}

export interface TxtRecordFact {
  /** The record's character-strings joined, as receivers read it. */
  text: string;
  /** The character-strings as published. */
  chunks: string[];
  origin?: RecordOrigin;
}

export interface SpfFacts {
  status: Presence;
  /** The `v=spf1` TXT records at the domain. */
  records: TxtRecordFact[];
  count: number;
  origin?: RecordOrigin;
}

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface DmarcRecordFact extends TxtRecordFact {
  /** Tags as published, names lower-cased, values trimmed; a repeated tag keeps its first value. */
  tags: Record<string, string>;
}

export interface DmarcEffectiveFact {
  /** The policy applied to mail from the audited domain itself. */
  policy: DmarcPolicy;
  /** Where the record that supplies it lives (`_dmarc.<name>`). */
  source: string;
  inherited: boolean;
  origin?: RecordOrigin;
}

export interface DmarcFacts {
  status: Presence;
  /** The name queried for the domain's own record. */
  name: string;
  /** The `v=DMARC1` TXT records at `name`. */
  records: DmarcRecordFact[];
  count: number;
  effective?: DmarcEffectiveFact;
  origin?: RecordOrigin;
}

/** What the owner expects of a domain (config file `domains.<name>`). */
export interface DomainPolicy {
  /** The MX hosts the domain must publish, and no others. */
  mx?: string[];
  /** Domains the SPF record must include (`include:` or `redirect=`). */
  spfIncludes?: string[];
  /** The domain must send and receive no mail: null MX, `v=spf1 -all`, DMARC p=reject. */
  parked?: boolean;
  /** DKIM selectors to try for this domain. */
  dkimSelectors?: string[];
}

/** A difference between what the owner expects (DomainPolicy) and what DNS publishes. */
export interface PolicyMxFact {
  /** MX target ("." for the null MX). */
  exchange: string;
  /** The expected MX hosts. */
  expected: string[];
  origin?: RecordOrigin;
}

export interface PolicyIncludeFact {
  include: string;
  /** The SPF record as published. */
  record: string;
  origin?: RecordOrigin;
}

export interface PolicyParkedFact {
  /** What the domain publishes instead of the parked setting ("none" when nothing). */
  found: string;
  origin?: RecordOrigin;
}

export interface PolicyFacts {
  expectedMx?: string[];
  /** Published MX hosts that are not expected. */
  unexpectedMx: PolicyMxFact[];
  /** Expected MX hosts that are not published. */
  missingMx: PolicyMxFact[];
  expectedSpfIncludes?: string[];
  /** Expected SPF includes the record does not have. */
  missingSpfIncludes: PolicyIncludeFact[];
  parked: boolean;
  /** For a parked domain: what differs from null MX, `v=spf1 -all`, DMARC p=reject. */
  parkedMx?: PolicyParkedFact;
  parkedSpf?: PolicyParkedFact;
  parkedDmarc?: PolicyParkedFact;
}

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
  mx?: MxFacts;
  spf?: SpfFacts;
  dmarc?: DmarcFacts;
  /** Set when the config file states expectations for the domain. */
  policy?: PolicyFacts;
}
