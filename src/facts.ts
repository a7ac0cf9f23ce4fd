import type { LookupRecord } from './dns/cache.js';
import type { RecordOrigin } from './dns/types.js';
import type { BimiFacts, DaneFacts, DnssecFacts, MtaStsFacts, TlsRptFacts } from './facts/transport.js';

export type * from './facts/transport.js';
import type { DkimFacts } from './facts/dkim.js';

export type { DkimFacts, DkimKeyFact, DkimProblemFact } from './facts/dkim.js';
import type { SmtpFacts, SubmissionFacts } from './facts/smtp.js';

export type * from './facts/smtp.js';
import type {
  SpfDeprecatedTypeFact,
  SpfMxLimitFact,
  SpfNodeFact,
  SpfSenderResultFact,
  SpfSyntaxErrorFact,
} from './facts/spf.js';
import type { SpfQualifier } from './spf/parse.js';

export type * from './facts/spf.js';

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
  /**
   * With exactly one record: the include/redirect tree (RFC 7208 §5.2, §6.1), flat in pre-order;
   * `tree[0]` is the domain's own record.
   */
  tree?: SpfNodeFact[];
  /** DNS-querying terms across the whole tree (§4.6.4: more than 10 is permerror). */
  lookupCount?: number;
  /** Void lookups across the whole tree (§4.6.4: more than 2 is permerror). */
  voidLookupCount?: number;
  /** The `all` that ends evaluation for the domain: its own, or its redirect target's. */
  allQualifier?: SpfQualifier;
  /** The domain's own `redirect=` target. */
  redirect?: string;
  /** Terms that do not parse, anywhere in the tree. */
  syntaxErrors?: SpfSyntaxErrorFact[];
  /** `mx` terms whose target has more than 10 MX records (§4.6.4). */
  mxOverLimit?: SpfMxLimitFact[];
  /** Records of the obsolete type SPF (99) at the domain (§3.1). */
  deprecatedType?: SpfDeprecatedTypeFact;
  /** With `--sender-ip`: what a receiver decides for each address. */
  senderResults?: SpfSenderResultFact[];
}

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

/** One tag of a DMARC record, in published order. */
export interface DmarcTagFact {
  name: string;
  value: string;
}

/** Something wrong with a DMARC record (dmarc-syntax-error). */
export interface DmarcProblemFact {
  /** The DNS name of the record (`_dmarc.<domain>`). */
  name: string;
  /** The tag concerned ("" for the record as a whole). */
  tag: string;
  value: string;
  /** What is wrong, in words. */
  reason: string;
  origin?: RecordOrigin;
}

/** A tag no RFC defines (dmarc-unknown-tag). */
export interface DmarcUnknownTagFact {
  name: string;
  tag: string;
  value: string;
  origin?: RecordOrigin;
}

/** A RFC 7489 tag that RFC 9989 removed: still accepted, no longer acted upon by RFC 9989 receivers. */
export interface DmarcObsoleteTagFact {
  name: string;
  tag: string;
  value: string;
  note: string;
  origin?: RecordOrigin;
}

/** `sp` or `np` weaker than `p` (dmarc-subdomain-policy-weaker). */
export interface DmarcWeakerPolicyFact {
  name: string;
  tag: 'sp' | 'np';
  value: DmarcPolicy;
  p: DmarcPolicy;
  origin?: RecordOrigin;
}

/** One entry of `rua` or `ruf`. */
export interface DmarcReportUriFact {
  /** The DNS name of the record that lists it. */
  name: string;
  tag: 'rua' | 'ruf';
  /** As published (an RFC 7489 `!size` suffix included). */
  uri: string;
  /** A valid `mailto:` URI with one address. */
  valid: boolean;
  /** Why it is not valid. */
  reason?: string;
  /** The mailbox, for a valid mailto: URI. */
  address?: string;
  /** The host part of the address, lower-case. */
  host?: string;
  /** The host is in another organizational domain than the domain publishing the record. */
  external: boolean;
  /** For an external host: whether it publishes `<domain>._report._dmarc.<host>` (or the `*` form). */
  authorization?: 'authorized' | 'unauthorized' | 'undetermined';
  /** Which name authorized it: the exact one or the wildcard. */
  authorizedBy?: 'exact' | 'wildcard';
  /** The name that must publish `v=DMARC1` for the address to receive reports. */
  authorizationName?: string;
  origin?: RecordOrigin;
}

/** A report list with more URIs than receivers must honour (RFC 7489 §6.2: at least two). */
export interface DmarcCrowdedListFact {
  name: string;
  tag: 'rua' | 'ruf';
  count: number;
  origin?: RecordOrigin;
}

export interface DmarcRecordFact extends TxtRecordFact {
  /** Tags as published, names lower-cased, values trimmed; a repeated tag keeps its first value. */
  tags: Record<string, string>;
  /** The DNS name it was found at. */
  name?: string;
  /** Every tag in published order (repeats included). */
  tagList?: DmarcTagFact[];
  /** Whether the record is usable: no problem that makes receivers discard it. */
  valid?: boolean;
}

/** One step of the RFC 9989 DNS tree walk. */
export interface DmarcWalkStep {
  /** `_dmarc.<domain>` */
  name: string;
  /** found: exactly one DMARC record; multiple: several (discarded); absent; undetermined: lookup failed. */
  result: 'found' | 'absent' | 'multiple' | 'undetermined';
  /** The record's `psd` tag, when it has one. */
  psd?: string;
}

export interface DmarcEffectiveFact {
  /** The policy applied to mail from the audited domain itself. */
  policy: DmarcPolicy;
  /** Where the record that supplies it lives (`_dmarc.<name>`). */
  source: string;
  inherited: boolean;
  /** Which tag of the record gives the policy: p for the domain itself, sp (else p) for a subdomain. */
  appliedTag?: 'p' | 'sp' | 'np';
  /** The domain whose record applies. */
  policyDomain?: string;
  /** The organizational domain (RFC 9989 tree walk). */
  organizationalDomain?: string;
  /** The record is a public suffix operator's (psd=y) record. */
  fromPsd?: boolean;
  /** The record's policies for its domain, its subdomains and its non-existent subdomains. */
  domainPolicy?: DmarcPolicy;
  subdomainPolicy?: DmarcPolicy;
  nonexistentPolicy?: DmarcPolicy;
  /** `p` missing or invalid with a valid rua: treated as none (RFC 9989). */
  policyDefaulted?: boolean;
  /** The RFC 7489 `pct` value when published. */
  pct?: number;
  /** `t=y`: the domain owner is testing. */
  testing?: boolean;
  adkim?: 'r' | 's';
  aspf?: 'r' | 's';
  /** Aggregate and failure report URIs as listed. */
  rua: string[];
  ruf: string[];
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
  /** The names the DNS tree walk asked, in order (RFC 9989 §4.10). */
  walk?: DmarcWalkStep[];
  /** The record found by discovery when the domain has none of its own. */
  inheritedRecord?: DmarcRecordFact;
  /** Findings about the records that govern the domain (its own, else the inherited one). */
  problems?: DmarcProblemFact[];
  unknownTags?: DmarcUnknownTagFact[];
  obsoleteTags?: DmarcObsoleteTagFact[];
  weakerSubdomainPolicies?: DmarcWeakerPolicyFact[];
  reportUris?: DmarcReportUriFact[];
  crowdedReportLists?: DmarcCrowdedListFact[];
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
