import type { DnsAnswer, DnsSource } from '../dns/types.js';
import type { Presence } from '../facts.js';

/** What every collector gets: the domain under audit and the DNS to ask. */
export interface CollectContext {
  domain: string;
  dns: DnsSource;
  /** DKIM selectors to try besides the built-in list (--dkim-selector, config file). */
  dkimSelectors?: string[];
}

export function presenceOf(answer: DnsAnswer): Presence {
  if (answer.status === 'ok') return 'found';
  if (answer.status === 'error') return 'undetermined';
  return 'absent';
}
