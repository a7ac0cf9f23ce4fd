import type { RecordOrigin } from '../dns/types.js';

export type { RecordOrigin };

/** found: the record exists; absent: DNS says it does not; undetermined: a lookup failed. */
export type Presence = 'found' | 'absent' | 'undetermined';

export interface DnsFailure {
  name: string;
  type: string;
  /** c-ares code: ETIMEOUT, ESERVFAIL, EREFUSED, ECONNREFUSED, … */
  error: string;
  /** Who gave the failed answer: the resolver's address (several: "a or b"), or the zone file. */
  resolver: string;
}

/** Every lookup for a domain failed with the same error: said once, not once per lookup. */
export interface DnsAllFailed {
  count: number;
  error: string;
  resolver: string;
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

export interface TxtRecordFact {
  /** The record's character-strings joined, as receivers read it. */
  text: string;
  /** The character-strings as published. */
  chunks: string[];
  origin?: RecordOrigin;
}
