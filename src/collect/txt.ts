import type { DnsAnswer } from '../dns/types.js';
import type { Presence, SyntaxProblem, TxtRecordFact } from '../facts/index.js';
import { presenceOf, type CollectContext } from './context.js';

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

/** The records at `name` that `marker` selects, and whether they exist, do not, or the lookup failed. */
export async function txtRecordsAt(
  ctx: CollectContext,
  name: string,
  marker: RegExp,
): Promise<{ status: Presence; records: TxtRecordFact[] }> {
  const answer = await ctx.dns.resolve(name, 'TXT');
  const presence = presenceOf(answer);
  const records = presence === 'found' ? txtRecordsMatching(answer, marker) : [];
  return { status: presence === 'undetermined' ? 'undetermined' : records.length ? 'found' : 'absent', records };
}

/** A problem with a TXT record at `name`, pointing at the record's zone-file line when it has one. */
export function txtProblem(name: string, message: string, record?: TxtRecordFact): SyntaxProblem {
  const p: SyntaxProblem = { name, type: 'TXT', message };
  if (record?.origin) p.origin = record.origin;
  return p;
}

/** RFC 6376 §3.2 tag-list (DKIM, DMARC): `name=value` parts split on `;`, names lower-cased, values trimmed, in order. */
export function splitTagList(text: string): { tags: { name: string; value: string }[]; malformed: string[] } {
  const tags: { name: string; value: string }[] = [];
  const malformed: string[] = [];
  for (const raw of text.split(';')) {
    const part = raw.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq).trim().toLowerCase();
    if (eq < 0 || !/^[a-z][a-z0-9_]*$/.test(name)) malformed.push(part);
    else tags.push({ name, value: part.slice(eq + 1).trim() });
  }
  return { tags, malformed };
}
