import type { SpfFacts } from '../facts.js';
import { presenceOf, type CollectContext } from './context.js';
import { txtRecordsMatching } from './txt.js';

/** RFC 7208 §4.5: a record is SPF when it is exactly "v=spf1" or starts with "v=spf1 ". */
export const SPF_MARKER = /^v=spf1(?: |$)/i;

/** The SPF records published at the domain. */
export async function collectSpf(ctx: CollectContext): Promise<SpfFacts> {
  const answer = await ctx.dns.resolve(ctx.domain, 'TXT');
  const presence = presenceOf(answer);
  const records = presence === 'found' ? txtRecordsMatching(answer, SPF_MARKER) : [];
  const status = presence === 'undetermined' ? 'undetermined' : records.length ? 'found' : 'absent';
  const facts: SpfFacts = { status, records, count: records.length };
  if (records[0]?.origin) facts.origin = records[0].origin;
  return facts;
}
