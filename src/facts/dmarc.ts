import type { RecordOrigin } from '../dns/types.js';
import type { Presence, TxtRecordFact } from './common.js';

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
  /** What became of the tag, and whether its value is malformed too (never a syntax error: RFC 7489 falls back to the default). */
  note: string;
  /** The value follows the RFC 7489 §6.3 grammar of the tag. */
  valueValid: boolean;
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
  /** The host's Organizational Domain (by its own DNS tree walk) is not the policy domain's. */
  external: boolean;
  /**
   * For an external host: whether it publishes `<domain>._report._dmarc.<host>` (or the `*` form).
   * undetermined: that lookup failed, or a tree walk failed so that whether the host is external is
   * not known (`external` is then true, unverified). not-checked: beyond the
   * MAX_CHECKED_REPORT_DESTINATIONS hosts checked per domain (`external` false, undecided).
   */
  authorization?: 'authorized' | 'unauthorized' | 'undetermined' | 'not-checked';
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

/** Report destinations whose authorization was not checked: more hosts than the bound. */
export interface DmarcUncheckedDestinationsFact {
  /** The DNS name of the record that lists them. */
  name: string;
  /** Report addresses not checked. */
  count: number;
  /** Distinct host names among them. */
  hosts: number;
  /** How many hosts are checked per domain (MAX_CHECKED_REPORT_DESTINATIONS). */
  limit: number;
  origin?: RecordOrigin;
}

/** Several DMARC records at one name of the walk: receivers discard them all (dmarc-multiple-records). */
export interface DmarcMultipleRecordsFact {
  /** `_dmarc.<name>` */
  name: string;
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
  /** The policy receivers apply to mail from the audited domain: as published, one level less under t=y (RFC 9989 §4.7). */
  policy: DmarcPolicy;
  /** The policy the applied tag publishes (p=none when p is missing or unusable), before t=y. */
  publishedPolicy?: DmarcPolicy;
  /** Why `policy` is what it is, in words: `p=reject`, `p=reject with t=y, testing mode: …`, or why p=none was assumed. */
  policyBasis?: string;
  /** Where the record that supplies it lives (`_dmarc.<name>`). */
  source: string;
  inherited: boolean;
  /** Which tag of the record gives the policy: p for the domain itself, sp (else p) for a subdomain. */
  appliedTag?: 'p' | 'sp' | 'np';
  /** The domain whose record applies. */
  policyDomain?: string;
  /** The Organizational Domain (RFC 9989 §4.10.2 tree walk; absent when a lookup of the walk failed). */
  organizationalDomain?: string;
  /** The record is a public suffix operator's (psd=y) record. */
  fromPsd?: boolean;
  /** The record's policies for its domain, its subdomains and its non-existent subdomains, as applied (t=y lowers each one level). */
  domainPolicy?: DmarcPolicy;
  subdomainPolicy?: DmarcPolicy;
  nonexistentPolicy?: DmarcPolicy;
  /** `p` missing, or p/sp/np invalid with a valid rua: applied as p=none (RFC 9989 §4.7, §4.10.1). */
  policyDefaulted?: boolean;
  /** Why p=none was assumed: "has no p= tag", or the invalid tag. */
  policyDefaultedReason?: string;
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
  /** The names the DNS tree walk asked, in order (RFC 9989 §4.10): it runs even when the domain has its own record, for the Organizational Domain. */
  walk?: DmarcWalkStep[];
  /** The Organizational Domain by the walk (RFC 9989 §4.10.2); absent when a lookup of the walk failed. */
  organizationalDomain?: string;
  /** Names on the walk (the domain's own included) with several DMARC records, all discarded. */
  multipleRecords?: DmarcMultipleRecordsFact[];
  /** The record found by discovery when the domain has none of its own. */
  inheritedRecord?: DmarcRecordFact;
  /** Findings about the records that govern the domain (its own, else the inherited one). */
  problems?: DmarcProblemFact[];
  unknownTags?: DmarcUnknownTagFact[];
  obsoleteTags?: DmarcObsoleteTagFact[];
  weakerSubdomainPolicies?: DmarcWeakerPolicyFact[];
  reportUris?: DmarcReportUriFact[];
  crowdedReportLists?: DmarcCrowdedListFact[];
  /** Report destinations beyond the bound, whose authorization was not checked. */
  uncheckedReportDestinations?: DmarcUncheckedDestinationsFact[];
}
