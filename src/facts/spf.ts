import type { RecordOrigin } from '../dns/types.js';
import type { SpfQualifier, SpfTermKind } from '../spf/parse.js';
import type { Presence, TxtRecordFact } from './common.js';

/** One term of a record in the SPF tree, as parsed (RFC 7208 §12) and as it costs. */
export interface SpfTermFact {
  /** The term as published. */
  text: string;
  kind: SpfTermKind;
  qualifier?: SpfQualifier;
  /** include/a/mx/ptr/exists/redirect/exp: the domain-spec as written (macros not expanded). */
  target?: string;
  /** ip4/ip6 network address. */
  address?: string;
  cidr4?: number;
  cidr6?: number;
  /** The domain-spec uses macros (§7): validated, expanded only for a sender (`--sender-ip`). */
  macro?: boolean;
  /** DNS-querying terms a receiver counts (§4.6.4): 1 for include, a, mx, ptr, exists, redirect; 0 otherwise. */
  lookups: number;
  /** Its lookup answered NXDOMAIN or an empty answer (a void lookup, §4.6.4). */
  void?: boolean;
  /** Never evaluated: it comes after `all`, or is a `redirect=` next to `all` (§5.1, §6.1). */
  unreachable?: boolean;
  /** mx: how many MX records the target has. */
  mxCount?: number;
  /** include/redirect: the id of the tree node the term leads to. */
  child?: number;
  /** Why the term does not parse. */
  error?: string;
  /** Its lookups were not made: the domain's SPF budget was spent (README "Limits"). */
  notFollowed?: boolean;
  /** The domain-spec parses but is no DNS name (empty label, label over 63 octets): receivers differ (permerror or no match). */
  invalidName?: string;
}

/**
 * found: the domain has one SPF record; none: it has none (NXDOMAIN, no TXT, no v=spf1: permerror
 * for include/redirect); multiple: more than one (permerror); undetermined: the TXT lookup failed
 * (temperror); loop: the domain is already on the include/redirect path; not-followed: the target
 * uses macros (needs a sender) or the tree reached its size limit.
 */
export type SpfNodeStatus = 'found' | 'none' | 'multiple' | 'undetermined' | 'loop' | 'not-followed';

/** One record of the include/redirect tree. The tree is a flat pre-order list; `children` are ids. */
export interface SpfNodeFact {
  /** Index in `SpfFacts.tree`. */
  id: number;
  /** The domain whose record this is. */
  name: string;
  /** How it is reached: the audited domain itself, or an include:/redirect= of its parent. */
  via: 'root' | 'include' | 'redirect';
  parent?: number;
  /** The parent's domain. */
  parentName?: string;
  /** The parent's term that leads here. */
  viaTerm?: string;
  depth: number;
  status: SpfNodeStatus;
  /** The record as published (character-strings joined), and its character-strings. */
  record?: string;
  chunks?: string[];
  /** Where the record was read (zone file); for a node without a record, the parent's record. */
  origin?: RecordOrigin;
  /** Octets of the record, and of the whole TXT answer at the name (§3.4). */
  recordOctets?: number;
  answerOctets?: number;
  /** More than 450 octets, or the TXT answer no longer fits 512 octets (§3.4). */
  tooLong?: boolean;
  terms: SpfTermFact[];
  /** DNS-querying terms of this record (§4.6.4). */
  lookups: number;
  /** Void lookups made by this record's terms. */
  voids: number;
  /** This record and everything below it. */
  totalLookups: number;
  totalVoids: number;
  /** This record's `all` qualifier and term as written, when it has one. */
  allQualifier?: SpfQualifier;
  allTerm?: string;
  /** This record's `redirect=` target. */
  redirect?: string;
  /** `redirect=` next to `all`: never used (§6.1). */
  redirectIgnored?: boolean;
  /** The `ptr` terms of this record (§5.5: SHOULD NOT be used). */
  ptrTerms?: string[];
  /** loop: the include/redirect path from the audited domain back to this name. */
  chain?: string[];
  chainText?: string;
  /** not-followed: why; none: why no question was asked (the name is no DNS name). */
  reason?: string;
  /** Terms past the budget of terms: parsed and counted (in `lookups`), not listed in `terms` nor followed. */
  omittedTerms?: number;
  /** DNS-querying terms among them. */
  omittedLookups?: number;
  children: number[];
}

export interface SpfSyntaxErrorFact {
  /** The domain whose record holds the term. */
  name: string;
  term: string;
  reason: string;
  origin?: RecordOrigin;
}

/** A term whose domain-spec is valid SPF but no DNS name (RFC 7208 §7.1 allows it, RFC 1035 §2.3.4 does not). */
export interface SpfInvalidNameFact {
  /** The domain whose record holds the term. */
  name: string;
  term: string;
  reason: string;
  origin?: RecordOrigin;
}

export interface SpfMxLimitFact {
  /** The domain whose record holds the `mx` term. */
  name: string;
  term: string;
  /** The name whose MX records were counted. */
  target: string;
  mxCount: number;
  origin?: RecordOrigin;
}

export interface SpfDeprecatedTypeFact {
  /** The type SPF (99) records published at the domain. */
  records: string[];
  count: number;
  origin?: RecordOrigin;
}

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

/**
 * Which identity a result is for (RFC 7208 §2.3, §2.4): `mailfrom` checks the domain of the MAIL FROM
 * address (postmaster@<HELO> for the null reverse-path), `helo` the HELO/EHLO name.
 */
export type SpfIdentity = 'mailfrom' | 'helo';

/** What a receiver decides for mail from one address (`--sender-ip`), as mailauth evaluates it. */
export interface SpfSenderResultFact {
  ip: string;
  identity: SpfIdentity;
  /** The domain whose SPF record was evaluated (check_host's <domain>). */
  domain: string;
  /** The sender check_host was given (`--mail-from`, default postmaster@<domain>; postmaster@<HELO> for `<>`). */
  sender: string;
  /** The HELO name given to check_host (`--helo`, default the audited domain): %{h}, and the HELO identity. */
  helo: string;
  /** MAIL FROM was the null reverse-path (`--mail-from '<>'`): the HELO name stands in for the domain (§2.4). */
  nullSender?: boolean;
  result: SpfResult;
  /** mailauth's explanation of the result. */
  comment?: string;
  /** The term that decided, and the domain whose record holds it (from our own evaluation of the tree). */
  decidedBy?: { name: string; term: string };
  /** Our own evaluation of the tree; differs from `result` only where the two disagree. */
  treeResult?: SpfResult;
  /** DNS-querying terms mailauth counted before it stopped (it stops at 11), and its void lookups. */
  lookups: number;
  voidLookups: number;
  /** Where mailauth's evaluation and the full tree disagree on a limit, in words. */
  limitNote?: string;
  /**
   * Where the result differs from what the parser's findings suggest (RFC 7208 leaves receivers a
   * choice, e.g. a name no DNS query can match), in words: never two verdicts without the reason.
   */
  verdictNote?: string;
}

/** A bound of the per-domain SPF budget (SPF_BUDGET in src/collect/spf.ts). */
export type SpfBudgetBound = 'records' | 'terms' | 'queryingTerms' | 'voidLookups' | 'failedLookups';

/** Where the audit stopped following the tree: its budget per domain was spent. */
export interface SpfBudgetFact {
  exceeded: SpfBudgetBound[];
  /** The bounds reached, in words ("100 DNS-querying terms, 8 failed lookups"). */
  exceededText: string;
  /** DNS-querying terms (and include/redirect targets) whose lookups were not made. */
  notFollowed: number;
  /** Terms parsed and counted but not listed. */
  omittedTerms: number;
  failedLookups: number;
  voidLookups: number;
  /** Syntax errors past the listed ones. */
  syntaxErrorsNotListed: number;
  /** Where the domain's record was read (zone file). */
  origin?: RecordOrigin;
}

export interface SpfFacts {
  status: Presence;
  /**
   * The domain does not exist (NXDOMAIN): only the `--sender-ip` results are here (RFC 7208 §4.3:
   * none); `domain-not-found` is the finding, not `spf-missing`.
   */
  domainMissing?: boolean;
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
  /** Terms whose target is no DNS name, anywhere in the tree (receivers differ: permerror or no match). */
  invalidNames?: SpfInvalidNameFact[];
  /** Present when the audit's budget for the tree was spent: what was not followed (README "Limits"). */
  budget?: SpfBudgetFact;
  /** `mx` terms whose target has more than 10 MX records (§4.6.4). */
  mxOverLimit?: SpfMxLimitFact[];
  /** Records of the obsolete type SPF (99) at the domain (§3.1). */
  deprecatedType?: SpfDeprecatedTypeFact;
  /**
   * With `--sender-ip`: what a receiver decides for each address, whatever the records (none,
   * permerror or temperror when the domain has no, several or an unreadable record); with `--helo`,
   * the HELO identity's result too.
   */
  senderResults?: SpfSenderResultFact[];
}
