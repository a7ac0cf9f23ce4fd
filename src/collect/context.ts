import type { DnsAnswer, DnsSource } from '../dns/types.js';
import type { Presence } from '../facts.js';

/** What every collector gets: the domain under audit and the DNS to ask. */
export interface CollectContext {
  domain: string;
  dns: DnsSource;
  /** `--sender-ip`: addresses whose SPF result is evaluated (issue 3). */
  senderIps?: string[];
}

export function presenceOf(answer: DnsAnswer): Presence {
  if (answer.status === 'ok') return 'found';
  if (answer.status === 'error') return 'undetermined';
  return 'absent';
}
