import type { LookupRecord } from './dns/cache.js';
import type { RecordOrigin } from './dns/types.js';
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
}
