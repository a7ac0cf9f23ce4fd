import type { DnsAnswer } from '../dns/types.js';
import type { TxtRecordFact } from '../facts.js';

/** TXT records of an answer whose joined text matches `marker`, with their chunks and origins. */
export function txtRecordsMatching(answer: DnsAnswer<'TXT'>, marker: RegExp): TxtRecordFact[] {
  const found: TxtRecordFact[] = [];
  answer.records.forEach((chunks, i) => {
    const text = chunks.join('');
    if (!marker.test(text)) return;
    const fact: TxtRecordFact = { text, chunks };
    const origin = answer.origins?.[i];
    if (origin) fact.origin = origin;
    found.push(fact);
  });
  return found;
}
