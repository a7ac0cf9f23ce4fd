import type { RawAnswer } from '../dns/raw.js';
import type { DnsAnswer, DnsSource } from '../dns/types.js';
import type { Presence } from '../facts/index.js';
import type { HttpsSettings } from './https-fetch.js';

/** Where the DNSSEC check asks (the run's resolvers), with the run's DNS timeout. */
export interface DnssecSettings {
  servers: string[];
  timeoutMs: number;
  tries: number;
  /** One DNSSEC question asked once per run (shared by every domain), like the DNS cache. */
  cache?: Map<string, Promise<unknown>>;
  /**
   * How a question with the DO bit is asked: the run's live DNS client, so that DNSSEC questions share
   * its bound on questions in flight (issue 12.5) and its MX answer (issue 15). Without it, a client
   * of these servers is made for the settings.
   */
  askWithDo?: (name: string, type: string) => Promise<RawAnswer>;
}

/** What every collector gets: the domain under audit and the DNS to ask. */
export interface CollectContext {
  domain: string;
  dns: DnsSource;
  /** HTTPS fetches (MTA-STS policy, BIMI logo); default: port 443, node's bundled roots. */
  https?: HttpsSettings;
  /** Resolvers for the DNSSEC (AD flag) queries; undefined: DNSSEC is not checked (zone file, custom DnsSource). */
  dnssec?: DnssecSettings;
  /** `--sender-ip`: addresses whose SPF result is evaluated (issue 3). */
  senderIps?: string[];
  /** `--mail-from`: the MAIL FROM address checked for each sender IP ('' or '<>': the null reverse-path); default postmaster@<domain>. */
  mailFrom?: string;
  /** `--helo`: the HELO name (%{h}, and the HELO identity checked too); default the domain, HELO identity not checked. */
  helo?: string;
}

export function presenceOf(answer: DnsAnswer): Presence {
  if (answer.status === 'ok') return 'found';
  if (answer.status === 'error') return 'undetermined';
  return 'absent';
}
