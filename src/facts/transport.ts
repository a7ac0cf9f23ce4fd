/**
 * Facts about mail in transit and the brand in the inbox: MTA-STS (RFC 8461), TLS-RPT (RFC 8460),
 * BIMI (draft-brand-indicators-for-message-identification), DNSSEC (RFC 4033/4035) and DANE for
 * SMTP (RFC 7672). Re-exported from src/facts.ts.
 */
import type { RecordOrigin } from '../dns/types.js';
import type { Presence, TxtRecordFact } from './common.js';

/** A syntax problem, located at a DNS name (TXT record) or an HTTPS host (policy file). */
export interface SyntaxProblem {
  /** Where: `_mta-sts.<domain>`, `mta-sts.<domain>`, … */
  name: string;
  /** `TXT` for a record, `HTTPS` for a fetched file. */
  type: 'TXT' | 'HTTPS';
  message: string;
  origin?: RecordOrigin;
}

/** Why a fetch over HTTPS failed, by the stage that failed. */
export type FetchStage = 'dns' | 'tcp' | 'tls' | 'http-status' | 'redirect' | 'content-type' | 'size' | 'timeout';

/** The outcome of fetching one https URL (no redirects, certificate verified, size-capped). */
export interface FetchFact {
  url: string;
  /** The host name connected to (and whose certificate was required). */
  host: string;
  /** ok: fetched; failed: the server side is at fault; undetermined: a DNS lookup failed. */
  status: 'ok' | 'failed' | 'undetermined';
  /** The address connected to. */
  address?: string;
  stage?: FetchStage;
  /** One line saying what went wrong, for the finding. */
  reason?: string;
  httpStatus?: number;
  contentType?: string;
  /** Bytes read (at most the cap plus one chunk). */
  bytes?: number;
  /** The server certificate's notAfter (ISO 8601), once the handshake succeeded. */
  certNotAfter?: string;
  /** Whole days until it expires. */
  certDaysLeft?: number;
  /** It expires within `--cert-expiry-days`. */
  certExpiresSoon?: boolean;
}

export type MtaStsMode = 'enforce' | 'testing' | 'none';

export interface MtaStsPolicyFact {
  fetch: FetchFact;
  version?: string;
  mode?: MtaStsMode;
  /** `mx:` patterns as published (lower-case): the first MTA_STS_PATTERNS_KEPT (100). */
  mx: string[];
  /** How many `mx:` patterns the policy has (all of them are matched). */
  mxCount?: number;
  /** More patterns than `mx` holds. */
  mxTruncated?: boolean;
  maxAge?: number;
  /** The policy parsed without error (and was fetched). */
  valid: boolean;
}

export interface MtaStsMxMismatchFact {
  host: string;
  /** The policy's first MTA_STS_PATTERNS_PER_MISMATCH (10) patterns. */
  patterns: string[];
  /** How many patterns the policy has. */
  patternCount: number;
  mode: MtaStsMode;
}

export interface MtaStsFacts {
  /** Of the `_mta-sts` TXT record. */
  status: Presence;
  name: string;
  /** The records starting with `v=STSv1`. */
  records: TxtRecordFact[];
  count: number;
  id?: string;
  /** Syntax problems of the record and of the policy file. */
  errors: SyntaxProblem[];
  /** Present when a record is published: the policy fetched from https://mta-sts.<domain>/.well-known/mta-sts.txt. */
  policy?: MtaStsPolicyFact;
  /** MX hosts that match no `mx:` pattern of an enforce/testing policy. */
  mxMismatches: MtaStsMxMismatchFact[];
  /** Whether the domain needs MTA-STS: false for a null MX (it accepts no mail) or when the MX lookup failed. */
  applicable: boolean;
  origin?: RecordOrigin;
}

export interface TlsRptFacts {
  status: Presence;
  name: string;
  records: TxtRecordFact[];
  count: number;
  /** Report URIs of the one record. */
  rua: string[];
  errors: SyntaxProblem[];
  applicable: boolean;
  origin?: RecordOrigin;
}

export interface BimiLogoFact {
  fetch: FetchFact;
  /** Checked as SVG Tiny PS (mailauth's validateBimiSvg); absent when the file was not fetched. */
  valid?: boolean;
  /** Why it is not SVG Tiny PS. */
  problem?: string;
}

export interface BimiFacts {
  status: Presence;
  name: string;
  records: TxtRecordFact[];
  count: number;
  /** `l=`: the logo URL ("" when the record declines to publish one). */
  logoUrl?: string;
  /** `a=`: the authority evidence (VMC/CMC PEM) URL. */
  authorityUrl?: string;
  /** A record with empty l= and a=: the domain declines BIMI. */
  declined: boolean;
  errors: SyntaxProblem[];
  logo?: BimiLogoFact;
  /** The DMARC policy that applies to the domain, as BIMI needs it. */
  dmarcPolicy?: string;
  dmarcPct?: number;
  /** quarantine or reject at pct=100; absent when DMARC is undetermined. */
  dmarcEnforced?: boolean;
  origin?: RecordOrigin;
}

export interface DnssecNameFact {
  name: string;
  type: string;
  /** The resolver set AD on the answer; absent when the query failed. */
  authenticated?: boolean;
  rcode?: string;
  error?: string;
}

export interface DnssecFacts {
  /**
   * signed: the domain's answer carried AD; unsigned: it did not; undetermined: the query failed;
   * not-checked: the domain is read from a zone file.
   */
  status: 'signed' | 'unsigned' | 'undetermined' | 'not-checked';
  /** The resolvers asked. AD is only as good as they are: a non-validating resolver never sets it. */
  resolvers: string[];
  note: string;
  /** The domain's own answer. */
  domain: DnssecNameFact;
  /** Each MX host's address answer. */
  mxHosts: DnssecNameFact[];
}

/** Result of matching one address's certificate chain against the host's TLSA records. */
export interface DaneAddressFact {
  address: string;
  /** Certificates the probe saw. */
  chainLength: number;
  matched: boolean;
  /** Index of the first TLSA record that matched. */
  matchedRecord?: number;
}

export interface TlsaRecordFact {
  usage: number;
  selector: number;
  matchingType: number;
  data: string;
  /** Usable for SMTP: usages 2 or 3 with known selector and matching type (RFC 7672 §3.1). */
  usable: boolean;
  origin?: RecordOrigin;
}

export interface DaneHostFact {
  host: string;
  /** `_25._tcp.<host>` */
  name: string;
  status: Presence;
  records: TlsaRecordFact[];
  /** AD on the TLSA answer; absent when not checked (zone file) or undetermined. */
  authenticated?: boolean;
  /** Per probed address with a certificate chain. */
  addresses: DaneAddressFact[];
  /**
   * match: every probed address matches; mismatch: one does not; not-probed: no certificates to match;
   * none: no TLSA records; unusable: only records SMTP clients ignore (usages 0/1, unknown types);
   * undetermined: the TLSA lookup failed.
   */
  verdict: 'match' | 'mismatch' | 'not-probed' | 'none' | 'unusable' | 'undetermined';
  origin?: RecordOrigin;
}

export interface DaneMismatchFact {
  host: string;
  name: string;
  address: string;
  origin?: RecordOrigin;
}

export interface DaneFacts {
  hosts: DaneHostFact[];
  /** One per probed address whose certificates match none of its host's TLSA records. */
  mismatches: DaneMismatchFact[];
  /** Hosts publishing TLSA records whose answer is not DNSSEC-authenticated. */
  unsigned: { host: string; name: string; origin?: RecordOrigin }[];
}
