import type { RecordOrigin } from '../dns/types.js';

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
