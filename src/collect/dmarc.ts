import { getDomain } from 'tldts';
import type { DmarcEffectiveFact, DmarcFacts, DmarcPolicy, DmarcRecordFact, TxtRecordFact } from '../facts.js';
import { presenceOf, type CollectContext } from './context.js';
import { txtRecordsMatching } from './txt.js';

/** RFC 9989 §4.7 (RFC 7489 §6.4): a DMARC record starts with the version tag. */
export const DMARC_MARKER = /^\s*v\s*=\s*DMARC1\s*(?:;|$)/i;

const POLICIES = new Set<string>(['none', 'quarantine', 'reject']);

/** Tag-value list (RFC 6376 §3.2 syntax, as DMARC uses it): names lower-cased, first value wins. */
export function parseTagList(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    if (name && !(name in tags)) tags[name] = part.slice(eq + 1).trim();
  }
  return tags;
}

const withTags = (r: TxtRecordFact): DmarcRecordFact => ({ ...r, tags: parseTagList(r.text) });

function policyOf(value: string | undefined): DmarcPolicy | undefined {
  const v = value?.toLowerCase();
  return v && POLICIES.has(v) ? (v as DmarcPolicy) : undefined;
}

async function recordsAt(ctx: CollectContext, name: string) {
  const answer = await ctx.dns.resolve(name, 'TXT');
  const presence = presenceOf(answer);
  const records = presence === 'found' ? txtRecordsMatching(answer, DMARC_MARKER).map(withTags) : [];
  return { presence, records };
}

/**
 * The DMARC record at `_dmarc.<domain>` and, without one, the organizational domain's record that
 * applies instead (its `sp`, else `p`).
 */
export async function collectDmarc(ctx: CollectContext): Promise<DmarcFacts> {
  const name = `_dmarc.${ctx.domain}`;
  const own = await recordsAt(ctx, name);
  const status = own.presence === 'undetermined' ? 'undetermined' : own.records.length ? 'found' : 'absent';
  const facts: DmarcFacts = { status, name, records: own.records, count: own.records.length };
  if (own.records[0]?.origin) facts.origin = own.records[0].origin;
  if (own.records.length === 1) {
    const policy = policyOf(own.records[0]!.tags['p']);
    if (policy) facts.effective = effective(policy, name, false, own.records[0]!);
    return facts;
  }
  if (status !== 'absent') return facts;
  const org = getDomain(ctx.domain);
  if (!org || org === ctx.domain) return facts;
  const parentName = `_dmarc.${org}`;
  const parent = await recordsAt(ctx, parentName);
  if (parent.records.length === 1) {
    const tags = parent.records[0]!.tags;
    const policy = policyOf(tags['sp']) ?? policyOf(tags['p']);
    if (policy) facts.effective = effective(policy, parentName, true, parent.records[0]!);
  }
  return facts;
}

function effective(policy: DmarcPolicy, source: string, inherited: boolean, record: DmarcRecordFact): DmarcEffectiveFact {
  const fact: DmarcEffectiveFact = { policy, source, inherited };
  if (record.origin) fact.origin = record.origin;
  return fact;
}
