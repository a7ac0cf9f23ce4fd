import { getDomain } from 'tldts';
import type {
  DmarcCrowdedListFact,
  DmarcEffectiveFact,
  DmarcFacts,
  DmarcObsoleteTagFact,
  DmarcPolicy,
  DmarcProblemFact,
  DmarcRecordFact,
  DmarcReportUriFact,
  DmarcTagFact,
  DmarcUnknownTagFact,
  DmarcWalkStep,
  DmarcWeakerPolicyFact,
  TxtRecordFact,
} from '../facts/index.js';
import { presenceOf, type CollectContext } from './context.js';
import { splitTagList, txtRecordsMatching } from './txt.js';

/**
 * RFC 9989 §4.7 (RFC 7489 §6.4): a DMARC record starts with the version tag. Matched leniently
 * (case, spaces) so that a record receivers would read is analysed; the exact form is checked below.
 */
export const DMARC_MARKER = /^\s*v\s*=\s*DMARC1\s*(?:;|$)/i;
/** A TXT record that carries `v=DMARC1` somewhere else than first: receivers ignore it. */
const MISPLACED_VERSION = /;\s*v\s*=\s*DMARC1\s*(?:;|$)/i;

const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];
const STRENGTH: Record<DmarcPolicy, number> = { none: 0, quarantine: 1, reject: 2 };

/** Tags of RFC 9989 §4.7. */
const TAGS_9989 = new Set(['v', 'p', 'sp', 'np', 'psd', 't', 'adkim', 'aspf', 'fo', 'rua', 'ruf']);
/** RFC 7489 tags that RFC 9989 removed: accepted, with what became of them. */
const OBSOLETE_TAGS: Record<string, string> = {
  pct: 'RFC 9989 removed pct: receivers following it apply the policy to all failing mail (t=y replaces pct=0)',
  rf: 'RFC 9989 removed rf: failure reports have a single format (AFRF)',
  ri: 'RFC 9989 removed ri: aggregate reports come at the interval each receiver chooses (usually daily)',
};

/** RFC 9989 §4.10: a walk shortens a name of eight or more labels straight to seven. */
const WALK_MAX_LABELS = 7;
/** RFC 7489 §6.2: receivers honour at least two URIs per list; more may be dropped. */
const URIS_RECEIVERS_MUST_HONOUR = 2;

/** Tag-value list (RFC 6376 §3.2 syntax, as DMARC uses it): names lower-cased, first value wins. */
export function parseTagList(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const { name, value } of splitTagList(text).tags) if (!(name in tags)) tags[name] = value;
  return tags;
}


function policyOf(value: string | undefined): DmarcPolicy | undefined {
  const v = value?.toLowerCase() as DmarcPolicy | undefined;
  return v && POLICIES.includes(v) ? v : undefined;
}

/** Validators of tag values: undefined when valid, else why not. */
const VALUE_CHECKS: Record<string, (v: string) => string | undefined> = {
  v: (v) => (v === 'DMARC1' ? undefined : 'the version must be exactly DMARC1 (upper-case)'),
  p: (v) => (policyOf(v) ? undefined : 'must be none, quarantine or reject'),
  sp: (v) => (policyOf(v) ? undefined : 'must be none, quarantine or reject'),
  np: (v) => (policyOf(v) ? undefined : 'must be none, quarantine or reject'),
  psd: (v) => (/^[ynu]$/i.test(v) ? undefined : 'must be y, n or u'),
  t: (v) => (/^[yn]$/i.test(v) ? undefined : 'must be y or n'),
  adkim: (v) => (/^[rs]$/i.test(v) ? undefined : 'must be r (relaxed) or s (strict)'),
  aspf: (v) => (/^[rs]$/i.test(v) ? undefined : 'must be r (relaxed) or s (strict)'),
  fo: (v) => (/^[01ds](?:\s*:\s*[01ds])*$/i.test(v) ? undefined : 'must be a colon-separated list of 0, 1, d and s'),
  rf: (v) => (/^afrf(?:\s*:\s*afrf)*$/i.test(v) ? undefined : 'the only failure report format defined is afrf'),
  ri: (v) => (/^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff ? undefined : 'must be a number of seconds (32-bit unsigned integer)'),
  pct: (v) => (/^\d{1,3}$/.test(v) && Number(v) <= 100 ? undefined : 'must be an integer from 0 to 100'),
};

/** What a record says, tag by tag, and what is wrong with it. */
interface RecordAnalysis {
  record: DmarcRecordFact;
  problems: DmarcProblemFact[];
  unknownTags: DmarcUnknownTagFact[];
  obsoleteTags: DmarcObsoleteTagFact[];
  weaker: DmarcWeakerPolicyFact[];
  uris: DmarcReportUriFact[];
  crowded: DmarcCrowdedListFact[];
}

const withOrigin = <T extends object>(fact: T, origin: TxtRecordFact['origin']): T => (origin ? { ...fact, origin } : fact);

/** Parses and validates one DMARC record (RFC 9989 §4.7, RFC 7489 §6.3) published at `name`. */
export function analyzeRecord(txt: TxtRecordFact, name: string): RecordAnalysis {
  const { tags: tagList, malformed } = splitTagList(txt.text);
  const tags: Record<string, string> = {};
  for (const { name: n, value } of tagList) if (!(n in tags)) tags[n] = value;
  const record: DmarcRecordFact = { ...txt, tags, name, tagList, valid: true };
  const a: RecordAnalysis = { record, problems: [], unknownTags: [], obsoleteTags: [], weaker: [], uris: [], crowded: [] };
  const problem = (tag: string, value: string, reason: string, fatal = false) => {
    a.problems.push(withOrigin({ name, tag, value, reason }, txt.origin));
    if (fatal) record.valid = false;
  };
  for (const part of malformed) problem('', part, `"${part}" is not a tag=value pair`);
  if (tagList[0]?.name !== 'v') problem('v', '', 'v=DMARC1 must be the first tag', true);
  const seen = new Map<string, number>();
  for (const { name: tag } of tagList) seen.set(tag, (seen.get(tag) ?? 0) + 1);
  for (const [tag, count] of seen) {
    if (count > 1) problem(tag, tags[tag]!, `the tag ${tag} appears ${count} times: a tag may appear only once (RFC 6376 §3.2); the first value is used`);
  }
  for (const { name: tag, value } of tagList) {
    if (tag !== 'rua' && tag !== 'ruf' && VALUE_CHECKS[tag]) {
      const why = VALUE_CHECKS[tag](value);
      if (why) problem(tag, value, `${tag}=${value}: ${why}`, tag === 'v');
    }
    if (OBSOLETE_TAGS[tag]) a.obsoleteTags.push(withOrigin({ name, tag, value, note: OBSOLETE_TAGS[tag] }, txt.origin));
    else if (!TAGS_9989.has(tag)) a.unknownTags.push(withOrigin({ name, tag, value }, txt.origin));
  }
  if (!('p' in tags)) problem('p', '', 'the required tag p is missing (RFC 7489 §6.3): receivers apply none at best');
  const p = policyOf(tags['p']);
  for (const tag of ['sp', 'np'] as const) {
    const value = policyOf(tags[tag]);
    if (p && value && STRENGTH[value] < STRENGTH[p]) a.weaker.push(withOrigin({ name, tag, value, p }, txt.origin));
  }
  for (const tag of ['rua', 'ruf'] as const) {
    if (!(tag in tags)) continue;
    const entries = tags[tag]!.split(',').map((u) => u.trim());
    for (const uri of entries) a.uris.push(withOrigin(parseReportUri(uri, tag, name), txt.origin));
    if (entries.length > URIS_RECEIVERS_MUST_HONOUR) a.crowded.push(withOrigin({ name, tag, count: entries.length }, txt.origin));
  }
  return a;
}

/** A DNS host name: LDH labels (underscore tolerated), at most 253 octets, a dot somewhere. */
const HOST = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
/** RFC 5322 dot-atom local part (what report mailboxes use; quoted strings are not supported here). */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** RFC 7489 §6.2: an optional `!size` limit after the URI. */
const SIZE_SUFFIX = /![0-9]+[kmgt]?$/i;

/** One rua/ruf entry (RFC 9989 §4.7, RFC 7489 §6.2): a mailto: URI with one mailbox. */
export function parseReportUri(uri: string, tag: 'rua' | 'ruf', name: string): DmarcReportUriFact {
  const fact: DmarcReportUriFact = { name, tag, uri, valid: false, external: false };
  const bad = (reason: string) => ({ ...fact, reason });
  if (!uri) return bad('empty entry in the list');
  const bare = uri.replace(SIZE_SUFFIX, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(bare);
  if (!scheme) return bad(uri.includes('@') ? 'a bare address: write mailto:' + uri : 'not a URI');
  if (scheme[1]!.toLowerCase() !== 'mailto') return bad(`${scheme[1]}: URIs are not defined for DMARC reports: use mailto:`);
  let address: string;
  try {
    address = decodeURIComponent(bare.slice(scheme[0].length).split('?')[0]!);
  } catch {
    return bad('bad percent-encoding');
  }
  const at = address.lastIndexOf('@');
  if (at < 1) return bad('no mailbox after mailto:');
  const local = address.slice(0, at);
  const host = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  if (!LOCAL_PART.test(local)) return bad(`"${local}" is not a valid local part`);
  if (!HOST.test(host)) return bad(`"${host}" is not a valid domain`);
  return { ...fact, valid: true, address: `${local}@${host}`, host };
}

const orgOf = (domain: string): string => getDomain(domain, { allowPrivateDomains: true }) ?? domain;

/** RFC 7489 §7.1 (RFC 9990): an address in another organizational domain must be authorized by it. */
async function authorize(ctx: CollectContext, uri: DmarcReportUriFact, policyDomain: string): Promise<DmarcReportUriFact> {
  if (!uri.valid || !uri.host || orgOf(uri.host) === orgOf(policyDomain)) return uri;
  const exactName = `${policyDomain}._report._dmarc.${uri.host}`;
  const [exact, wild] = await Promise.all([
    ctx.dns.resolve(exactName, 'TXT'),
    ctx.dns.resolve(`*._report._dmarc.${uri.host}`, 'TXT'),
  ]);
  const dmarcText = (answer: typeof exact) =>
    answer.status === 'ok' ? answer.records.map((c) => c.join('')).filter((t) => DMARC_MARKER.test(t)) : [];
  const exactTexts = dmarcText(exact);
  const wildTexts = dmarcText(wild);
  const fact: DmarcReportUriFact = { ...uri, external: true, authorizationName: exactName };
  if (exactTexts.length) {
    const viaWildcard = wildTexts.length > 0 && exactTexts.every((t) => wildTexts.includes(t));
    return { ...fact, authorization: 'authorized', authorizedBy: viaWildcard ? 'wildcard' : 'exact' };
  }
  if (wildTexts.length) return { ...fact, authorization: 'authorized', authorizedBy: 'wildcard' };
  return { ...fact, authorization: exact.status === 'error' ? 'undetermined' : 'unauthorized' };
}

/** The DMARC records at `_dmarc.<domain>`, and TXT records there that misplace the version tag. */
async function recordsAt(ctx: CollectContext, domain: string) {
  const name = `_dmarc.${domain}`;
  const answer = await ctx.dns.resolve(name, 'TXT');
  const presence = presenceOf(answer);
  const records = presence === 'found' ? txtRecordsMatching(answer, DMARC_MARKER) : [];
  const misplaced = presence === 'found' ? txtRecordsMatching(answer, MISPLACED_VERSION).filter((r) => !DMARC_MARKER.test(r.text)) : [];
  return { name, presence, records, misplaced };
}

/** The names of the RFC 9989 §4.10 DNS tree walk from `domain` (the domain itself first). */
export function walkNames(domain: string): string[] {
  const names: string[] = [];
  let labels = domain.split('.');
  while (labels.length) {
    names.push(labels.join('.'));
    labels = labels.length > WALK_MAX_LABELS ? labels.slice(-WALK_MAX_LABELS) : labels.slice(1);
  }
  return names;
}

interface Found {
  domain: string;
  analysis: RecordAnalysis;
}

/** Organizational domain from a completed walk (RFC 9989 §4.10): psd=n, below a psd=y, else the shortest name with a record. */
function organizationalDomain(domain: string, found: Found[]): string {
  for (const { domain: at, analysis } of found) {
    const psd = analysis.record.tags['psd']?.toLowerCase();
    if (psd === 'n') return at;
    if (psd === 'y' && at !== domain) return domain.split('.').slice(-(at.split('.').length + 1)).join('.');
  }
  return found.length ? found[found.length - 1]!.domain : domain;
}

/** The policy a usable record gives (RFC 9989): p, or none when p is unusable but a report address is valid. */
function recordPolicies(a: RecordAnalysis) {
  const tags = a.record.tags;
  const p = policyOf(tags['p']);
  const sp = tags['sp'] === undefined ? undefined : policyOf(tags['sp']);
  const np = tags['np'] === undefined ? undefined : policyOf(tags['np']);
  const usable = p && (tags['sp'] === undefined || sp) && (tags['np'] === undefined || np);
  if (usable) return { p, sp, np, defaulted: false };
  if (a.uris.some((u) => u.tag === 'rua' && u.valid)) return { p: 'none' as DmarcPolicy, sp: undefined, np: undefined, defaulted: true };
  return undefined;
}

function effectiveOf(domain: string, at: Found, org: string, inherited: boolean): DmarcEffectiveFact | undefined {
  const policies = recordPolicies(at.analysis);
  if (!policies || !at.analysis.record.valid) return undefined;
  const { record } = at.analysis;
  const subdomainPolicy = policies.sp ?? policies.p;
  const own = domain === at.domain;
  const fact: DmarcEffectiveFact = {
    policy: own ? policies.p : subdomainPolicy,
    source: `_dmarc.${at.domain}`,
    inherited,
    appliedTag: own ? 'p' : policies.sp ? 'sp' : 'p',
    policyDomain: at.domain,
    organizationalDomain: org,
    fromPsd: record.tags['psd']?.toLowerCase() === 'y' && at.domain !== domain,
    domainPolicy: policies.p,
    subdomainPolicy,
    nonexistentPolicy: policies.np ?? subdomainPolicy,
    policyDefaulted: policies.defaulted,
    rua: at.analysis.uris.filter((u) => u.tag === 'rua').map((u) => u.uri),
    ruf: at.analysis.uris.filter((u) => u.tag === 'ruf').map((u) => u.uri),
  };
  const pct = record.tags['pct'];
  if (pct !== undefined && /^\d{1,3}$/.test(pct) && Number(pct) <= 100) fact.pct = Number(pct);
  if (record.tags['t'] !== undefined) fact.testing = record.tags['t'].toLowerCase() === 'y';
  for (const tag of ['adkim', 'aspf'] as const) {
    const v = record.tags[tag]?.toLowerCase();
    if (v === 'r' || v === 's') fact[tag] = v;
  }
  if (record.origin) fact.origin = record.origin;
  return fact;
}

/**
 * DMARC for the domain: its own record(s) at `_dmarc.<domain>`, and without a usable one the policy
 * found by the RFC 9989 §4.10 DNS tree walk; every governing record parsed and checked tag by tag,
 * and each external report address checked for its authorization record.
 */
export async function collectDmarc(ctx: CollectContext): Promise<DmarcFacts> {
  const names = walkNames(ctx.domain);
  const own = await recordsAt(ctx, ctx.domain);
  const status = own.presence === 'undetermined' ? 'undetermined' : own.records.length ? 'found' : 'absent';
  const facts: DmarcFacts = { status, name: own.name, records: [], count: own.records.length };
  if (own.records[0]?.origin) facts.origin = own.records[0].origin;
  const analyses = own.records.map((r) => analyzeRecord(r, own.name));
  facts.records = analyses.map((a) => a.record);
  const misplaced = own.misplaced.map((r) => analyzeRecord(r, own.name));

  const walk: DmarcWalkStep[] = [];
  const stepOf = (name: string, presence: string, count: number, a?: RecordAnalysis): DmarcWalkStep => {
    const step: DmarcWalkStep = {
      name,
      result: presence === 'undetermined' ? 'undetermined' : count === 1 ? 'found' : count > 1 ? 'multiple' : 'absent',
    };
    const psd = a?.record.tags['psd'];
    if (psd !== undefined) step.psd = psd;
    return step;
  };
  walk.push(stepOf(own.name, own.presence, own.records.length, analyses[0]));
  const governing: RecordAnalysis[] = [...analyses, ...misplaced];
  let policyDomain = ctx.domain;

  // A record receivers discard (several records, or a version they do not read) is as good as none: walk up.
  const ownUsable = own.records.length === 1 && analyses[0]!.record.valid === true;
  if (ownUsable) {
    const at = { domain: ctx.domain, analysis: analyses[0]! };
    const org = analyses[0]!.record.tags['psd']?.toLowerCase() === 'n' ? ctx.domain : orgOf(ctx.domain);
    const effective = effectiveOf(ctx.domain, at, org, false);
    if (effective) facts.effective = effective;
  } else if (own.presence !== 'undetermined') {
    // No usable record of its own (none, or several that receivers discard): walk up the tree.
    const found: Found[] = [];
    let failed = false;
    for (const domain of names.slice(1)) {
      const at = await recordsAt(ctx, domain);
      const analysis = at.records.length === 1 ? analyzeRecord(at.records[0]!, at.name) : undefined;
      walk.push(stepOf(at.name, at.presence, at.records.length, analysis));
      if (at.presence === 'undetermined') {
        failed = true;
        break;
      }
      if (!analysis?.record.valid) continue;
      found.push({ domain, analysis });
      const psd = analysis.record.tags['psd']?.toLowerCase();
      if (psd === 'y' || psd === 'n') break;
    }
    if (failed) {
      if (own.records.length === 0) facts.status = 'undetermined';
    } else {
      const org = organizationalDomain(ctx.domain, found);
      const last = found[found.length - 1];
      const entry = found.find((f) => f.domain === org) ?? (last?.analysis.record.tags['psd']?.toLowerCase() === 'y' ? last : undefined);
      if (entry) {
        facts.inheritedRecord = entry.analysis.record;
        governing.push(entry.analysis);
        policyDomain = entry.domain;
        const effective = effectiveOf(ctx.domain, entry, org, true);
        if (effective) facts.effective = effective;
      }
    }
  }
  facts.walk = walk;

  facts.problems = governing.flatMap((a) => a.problems);
  facts.unknownTags = governing.flatMap((a) => a.unknownTags);
  facts.obsoleteTags = governing.flatMap((a) => a.obsoleteTags);
  // What follows concerns the record in force; several records at one name are all discarded.
  const inForce = ownUsable ? analyses : facts.inheritedRecord ? governing.slice(-1) : [];
  facts.weakerSubdomainPolicies = inForce.flatMap((a) => a.weaker);
  facts.crowdedReportLists = inForce.flatMap((a) => a.crowded);
  facts.reportUris = await Promise.all(inForce.flatMap((a) => a.uris).map((u) => authorize(ctx, u, policyDomain)));
  return facts;
}
