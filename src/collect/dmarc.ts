import type {
  DmarcCrowdedListFact,
  DmarcEffectiveFact,
  DmarcFacts,
  DmarcMultipleRecordsFact,
  DmarcObsoleteTagFact,
  DmarcPolicy,
  DmarcProblemFact,
  DmarcRecordFact,
  DmarcReportUriFact,
  DmarcTagFact,
  DmarcUncheckedDestinationsFact,
  DmarcUnknownTagFact,
  DmarcWalkStep,
  DmarcWeakerPolicyFact,
  TxtRecordFact,
} from '../facts/index.js';
import { presenceOf, type CollectContext } from './context.js';
import { splitTagList, txtRecordsMatching } from './txt.js';

/**
 * RFC 9989 §4.8 (RFC 7489 §6.4): a DMARC record starts with the version tag. Matched leniently
 * (case, spaces) so that a record receivers would read is analysed; the exact form is checked below.
 */
export const DMARC_MARKER = /^\s*v\s*=\s*DMARC1\s*(?:;|$)/i;
/** A TXT record that carries `v=DMARC1` somewhere else than first: receivers ignore it. */
const MISPLACED_VERSION = /;\s*v\s*=\s*DMARC1\s*(?:;|$)/i;

const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];
const STRENGTH: Record<DmarcPolicy, number> = { none: 0, quarantine: 1, reject: 2 };

/** Tags of RFC 9989 §4.7. */
const TAGS_9989 = new Set(['v', 'p', 'sp', 'np', 'psd', 't', 'adkim', 'aspf', 'fo', 'rua', 'ruf']);
/** RFC 7489 tags that RFC 9989 removed (§9.3): accepted, with what became of them. */
const OBSOLETE_TAGS: Record<string, string> = {
  pct: 'receivers following RFC 9989 apply the policy to all failing mail (t=y replaces pct=0)',
  rf: 'failure reports have a single format (AFRF)',
  ri: 'aggregate reports come at the interval each receiver chooses (usually daily)',
};
/**
 * RFC 7489 §6.3 grammar of the removed tags: a value outside it is no error either, since RFC 7489
 * receivers fall back to the tag's default and RFC 9989 receivers ignore the tag.
 */
const OBSOLETE_VALUES: Record<string, { valid: (v: string) => boolean; expected: string }> = {
  pct: { valid: (v) => /^\d{1,3}$/.test(v) && Number(v) <= 100, expected: 'an integer from 0 to 100; RFC 7489 receivers use the default, 100' },
  rf: { valid: (v) => /^afrf(?:\s*:\s*afrf)*$/i.test(v), expected: 'afrf, the only format defined; RFC 7489 receivers use the default, afrf' },
  ri: { valid: (v) => /^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff, expected: 'a number of seconds (32-bit unsigned integer); RFC 7489 receivers use the default, 86400' },
};

/** RFC 9989 §4.10: a walk shortens a name of eight or more labels straight to seven. */
const WALK_MAX_LABELS = 7;
/** RFC 7489 §6.2: receivers honour at least two URIs per list; more may be dropped. */
const URIS_RECEIVERS_MUST_HONOUR = 2;
/**
 * How many report destinations (distinct host names outside the policy's Organizational Domain) are
 * checked for their external authorization, per domain. Each costs a DNS tree walk (at most eight
 * questions, shared between hosts) and two authorization questions; the rest are listed as not
 * checked. RFC 7489 §6.2 lets receivers stop after two URIs per list; ten covers both lists with room.
 */
export const MAX_CHECKED_REPORT_DESTINATIONS = 10;

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

/** RFC 9989 §4.7 fo: 0 or 1 (not both), d, s; colon-separated, each at most once. */
function foProblem(v: string): string | undefined {
  const options = v.split(':').map((o) => o.trim().toLowerCase());
  const bad = options.find((o) => !['0', '1', 'd', 's'].includes(o));
  if (bad !== undefined) return bad === '' ? 'an empty option in the list' : `${bad} is not an option (0, 1, d and s are)`;
  if (options.includes('0') && options.includes('1')) return '0 and 1 exclude each other: give one of them';
  const repeated = options.find((o, i) => options.indexOf(o) !== i);
  if (repeated !== undefined) return `the option ${repeated} is given twice`;
  return undefined;
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
  fo: (v) => {
    const why = foProblem(v);
    return why && `${why}; RFC 9989 §4.7 allows 0 or 1, d and s, separated by colons`;
  },
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
  else if (/^\s/.test(txt.text)) {
    // RFC 9989 §4.8 (RFC 7489 §6.4): the record begins with "v=DMARC1". Receivers differ here, so the record is analysed as they would read it.
    problem('v', '', 'the record starts with white space before v=DMARC1: a record must begin with v=DMARC1 (RFC 9989 §4.8), so strict receivers discard it, though some accept it');
  }
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
    if (OBSOLETE_TAGS[tag]) {
      const check = OBSOLETE_VALUES[tag]!;
      const malformed = check.valid(value) ? '' : `; the value is also malformed (RFC 7489 §6.3 expects ${check.expected})`;
      a.obsoleteTags.push(withOrigin({ name, tag, value, note: `${OBSOLETE_TAGS[tag]}${malformed}`, valueValid: !malformed }, txt.origin));
    } else if (!TAGS_9989.has(tag)) a.unknownTags.push(withOrigin({ name, tag, value }, txt.origin));
  }
  for (const tag of ['rua', 'ruf'] as const) {
    if (!(tag in tags)) continue;
    const entries = tags[tag]!.split(',').map((u) => u.trim());
    for (const uri of entries) a.uris.push(withOrigin(parseReportUri(uri, tag, name), txt.origin));
    if (entries.length > URIS_RECEIVERS_MUST_HONOUR) a.crowded.push(withOrigin({ name, tag, count: entries.length }, txt.origin));
  }
  // RFC 9989 §4.10.1: what an invalid p, sp or np leaves depends on rua.
  const ruaValid = a.uris.some((u) => u.tag === 'rua' && u.valid);
  for (const prob of a.problems) {
    if (['p', 'sp', 'np'].includes(prob.tag) && tags[prob.tag] !== undefined && !policyOf(tags[prob.tag]) && prob.reason.startsWith(`${prob.tag}=`)) {
      prob.reason += ruaValid
        ? '; with a valid rua, receivers apply the record as p=none (RFC 9989 §4.10.1)'
        : '; with no valid rua either, receivers apply no DMARC at all (RFC 9989 §4.10.1)';
    }
  }
  const p = policyOf(tags['p']);
  for (const tag of ['sp', 'np'] as const) {
    const value = policyOf(tags[tag]);
    if (p && value && STRENGTH[value] < STRENGTH[p]) a.weaker.push(withOrigin({ name, tag, value, p }, txt.origin));
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

/** What a look-up at `_dmarc.<domain>` gave. */
interface RecordsAt {
  name: string;
  presence: 'found' | 'absent' | 'undetermined';
  records: TxtRecordFact[];
  misplaced: TxtRecordFact[];
}

/** The DMARC records at `_dmarc.<domain>`, and TXT records there that misplace the version tag. */
async function recordsAt(ctx: CollectContext, domain: string): Promise<RecordsAt> {
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

/** One DNS tree walk (RFC 9989 §4.10): each name asked, the usable single records met, and whether a lookup failed. */
interface Walk {
  steps: { domain: string; at: RecordsAt; analysis?: RecordAnalysis }[];
  found: Found[];
  failed: boolean;
}

/**
 * Walks (RFC 9989 §4.10) from a name up the tree: a name with one usable record is kept, several
 * records count as none; the walk stops at a record with psd=y or psd=n, and at a failed lookup.
 * Every `_dmarc` look-up goes through `lookup`, so walks from several names share their questions.
 */
async function walkFrom(domain: string, lookup: (d: string) => Promise<RecordsAt>): Promise<Walk> {
  const walk: Walk = { steps: [], found: [], failed: false };
  for (const name of walkNames(domain)) {
    const at = await lookup(name);
    const analysis = at.records.length === 1 ? analyzeRecord(at.records[0]!, at.name) : undefined;
    walk.steps.push(analysis ? { domain: name, at, analysis } : { domain: name, at });
    if (at.presence === 'undetermined') {
      walk.failed = true;
      break;
    }
    if (!analysis?.record.valid) continue;
    walk.found.push({ domain: name, analysis });
    const psd = analysis.record.tags['psd']?.toLowerCase();
    if (psd === 'y' || psd === 'n') break;
  }
  return walk;
}

/**
 * The Organizational Domain from a completed walk (RFC 9989 §4.10.2): the name of a psd=n record; the
 * name one label below a psd=y record; else the name with the fewest labels that has a record; else
 * the domain itself. No Public Suffix List: the walk decides.
 */
function organizationalDomain(domain: string, found: Found[]): string {
  for (const { domain: at, analysis } of found) {
    const psd = analysis.record.tags['psd']?.toLowerCase();
    if (psd === 'n') return at;
    if (psd === 'y' && at !== domain) return domain.split('.').slice(-(at.split('.').length + 1)).join('.');
  }
  return found.length ? found[found.length - 1]!.domain : domain;
}

type Policies = { p: DmarcPolicy; sp?: DmarcPolicy; np?: DmarcPolicy; defaulted?: string };

/**
 * The policies a record gives (RFC 9989 §4.7, §4.10.1): p absent is p=none; a p, sp or np value
 * that is not a policy makes the record apply as p=none when rua holds a valid URI, else no policy.
 */
function recordPolicies(a: RecordAnalysis): Policies | undefined {
  const tags = a.record.tags;
  const p = policyOf(tags['p']);
  const sp = tags['sp'] === undefined ? undefined : policyOf(tags['sp']);
  const np = tags['np'] === undefined ? undefined : policyOf(tags['np']);
  const invalid = (['p', 'sp', 'np'] as const).find((t) => tags[t] !== undefined && !policyOf(tags[t]));
  const ruaValid = a.uris.some((u) => u.tag === 'rua' && u.valid);
  if (!invalid) {
    if (p) return { p, ...(sp ? { sp } : {}), ...(np ? { np } : {}) };
    // §4.7 reads a missing p as p=none; §4.10.1, read strictly, gives no DMARC at all without a valid rua.
    const defaulted = ruaValid ? 'has no p= tag' : 'has no p= tag and no valid rua (receivers reading RFC 9989 §4.10.1 strictly apply no DMARC at all)';
    return { p: 'none', ...(sp ? { sp } : {}), ...(np ? { np } : {}), defaulted };
  }
  if (ruaValid) return { p: 'none', defaulted: `has ${invalid}=${tags[invalid]}, which is not a policy, and a valid rua` };
  return undefined;
}

/** RFC 9989 §4.7 t=y: receivers apply the next policy down (reject as quarantine, quarantine as none). */
const testingLevel = (policy: DmarcPolicy, testing: boolean): DmarcPolicy =>
  !testing ? policy : policy === 'reject' ? 'quarantine' : 'none';

function effectiveOf(domain: string, at: Found, org: string | undefined, inherited: boolean): DmarcEffectiveFact | undefined {
  const policies = recordPolicies(at.analysis);
  if (!policies || !at.analysis.record.valid) return undefined;
  const { record } = at.analysis;
  const testing = record.tags['t']?.toLowerCase() === 'y';
  const own = domain === at.domain;
  const publishedSub = policies.sp ?? policies.p;
  const appliedTag = own ? 'p' : policies.sp ? 'sp' : 'p';
  const published = own ? policies.p : publishedSub;
  const policy = testingLevel(published, testing);
  // A missing or unusable p concerns this domain only when p is what applies to it (not an sp of the parent).
  const defaulted = appliedTag === 'p' ? policies.defaulted : undefined;
  const fact: DmarcEffectiveFact = {
    policy,
    publishedPolicy: published,
    policyBasis: defaulted
      ? `the record ${defaulted}, so p=none`
      : testing && policy !== published
        ? `${appliedTag}=${published} with t=y, testing mode: receivers apply one level less`
        : `${appliedTag}=${published}`,
    source: `_dmarc.${at.domain}`,
    inherited,
    appliedTag,
    policyDomain: at.domain,
    fromPsd: record.tags['psd']?.toLowerCase() === 'y' && at.domain !== domain,
    domainPolicy: testingLevel(policies.p, testing),
    subdomainPolicy: testingLevel(publishedSub, testing),
    nonexistentPolicy: testingLevel(policies.np ?? publishedSub, testing),
    policyDefaulted: defaulted !== undefined,
    rua: at.analysis.uris.filter((u) => u.tag === 'rua').map((u) => u.uri),
    ruf: at.analysis.uris.filter((u) => u.tag === 'ruf').map((u) => u.uri),
  };
  if (org !== undefined) fact.organizationalDomain = org;
  if (defaulted) fact.policyDefaultedReason = defaulted;
  const pct = record.tags['pct'];
  if (pct !== undefined && OBSOLETE_VALUES['pct']!.valid(pct)) fact.pct = Number(pct);
  if (record.tags['t'] !== undefined) fact.testing = testing;
  for (const tag of ['adkim', 'aspf'] as const) {
    const v = record.tags[tag]?.toLowerCase();
    if (v === 'r' || v === 's') fact[tag] = v;
  }
  if (record.origin) fact.origin = record.origin;
  return fact;
}

/** The Organizational Domain of `domain` by its own walk, or undefined when a lookup failed. */
async function orgDomainOf(domain: string, lookup: (d: string) => Promise<RecordsAt>): Promise<string | undefined> {
  const walk = await walkFrom(domain, lookup);
  return walk.failed ? undefined : organizationalDomain(domain, walk.found);
}

/**
 * RFC 9989 §4.8 (RFC 7489 §7.1, RFC 9990): an address whose Organizational Domain is not the policy's
 * must be authorized by `<policy domain>._report._dmarc.<host>` (or its `*` form).
 */
async function authorize(
  ctx: CollectContext,
  host: string,
  policyDomain: string,
  policyOrg: string | undefined,
  lookup: (d: string) => Promise<RecordsAt>,
): Promise<Pick<DmarcReportUriFact, 'external' | 'authorization' | 'authorizedBy' | 'authorizationName'>> {
  const hostOrg = await orgDomainOf(host, lookup);
  const exactName = `${policyDomain}._report._dmarc.${host}`;
  // A walk that failed cannot tell whether the host is external: its authorization stays undetermined.
  if (hostOrg === undefined || policyOrg === undefined) return { external: true, authorization: 'undetermined', authorizationName: exactName };
  if (hostOrg === policyOrg) return { external: false };
  const [exact, wild] = await Promise.all([ctx.dns.resolve(exactName, 'TXT'), ctx.dns.resolve(`*._report._dmarc.${host}`, 'TXT')]);
  const dmarcText = (answer: typeof exact) =>
    answer.status === 'ok' ? answer.records.map((c) => c.join('')).filter((t) => DMARC_MARKER.test(t)) : [];
  const exactTexts = dmarcText(exact);
  const wildTexts = dmarcText(wild);
  const fact = { external: true, authorizationName: exactName };
  if (exactTexts.length) {
    const viaWildcard = wildTexts.length > 0 && exactTexts.every((t) => wildTexts.includes(t));
    return { ...fact, authorization: 'authorized', authorizedBy: viaWildcard ? 'wildcard' : 'exact' };
  }
  if (wildTexts.length) return { ...fact, authorization: 'authorized', authorizedBy: 'wildcard' };
  return { ...fact, authorization: exact.status === 'error' ? 'undetermined' : 'unauthorized' };
}

/**
 * Each valid report address checked for external authorization: addresses at the policy's
 * Organizational Domain need no question; other hosts are checked up to
 * MAX_CHECKED_REPORT_DESTINATIONS distinct ones, the rest marked not checked.
 */
async function checkReportUris(
  ctx: CollectContext,
  uris: DmarcReportUriFact[],
  policyDomain: string,
  policyOrg: string | undefined,
  lookup: (d: string) => Promise<RecordsAt>,
): Promise<{ uris: DmarcReportUriFact[]; unchecked: DmarcUncheckedDestinationsFact[] }> {
  // The policy's own name, and its Organizational Domain, are never external: no question needed.
  const home = (host: string | undefined) => host === policyDomain || host === policyOrg;
  const hosts = [...new Set(uris.flatMap((u) => (u.valid && u.host && !home(u.host) ? [u.host] : [])))];
  const checked = hosts.slice(0, MAX_CHECKED_REPORT_DESTINATIONS);
  const results = new Map(await Promise.all(checked.map(async (h) => [h, await authorize(ctx, h, policyDomain, policyOrg, lookup)] as const)));
  const out = uris.map((u): DmarcReportUriFact => {
    if (!u.valid || !u.host || home(u.host)) return u;
    const result = results.get(u.host);
    return result ? { ...u, ...result } : { ...u, authorization: 'not-checked' };
  });
  const unchecked: DmarcUncheckedDestinationsFact[] = [];
  const skipped = out.filter((u) => u.authorization === 'not-checked');
  if (skipped.length) {
    const fact: DmarcUncheckedDestinationsFact = {
      name: skipped[0]!.name,
      count: skipped.length,
      hosts: hosts.length - checked.length,
      limit: MAX_CHECKED_REPORT_DESTINATIONS,
    };
    unchecked.push(withOrigin(fact, skipped[0]!.origin));
  }
  return { uris: out, unchecked };
}

/**
 * DMARC for the domain: its own record(s) at `_dmarc.<domain>`, the RFC 9989 §4.10 DNS tree walk
 * (which gives the policy when the domain has no usable record of its own, and the Organizational
 * Domain in every case), every governing record parsed and checked tag by tag, and report addresses
 * outside the Organizational Domain checked for their authorization record.
 */
export async function collectDmarc(ctx: CollectContext): Promise<DmarcFacts> {
  const asked = new Map<string, Promise<RecordsAt>>();
  const lookup = (domain: string): Promise<RecordsAt> => {
    let answer = asked.get(domain);
    if (!answer) asked.set(domain, (answer = recordsAt(ctx, domain)));
    return answer;
  };
  const own = await lookup(ctx.domain);
  const status = own.presence === 'undetermined' ? 'undetermined' : own.records.length ? 'found' : 'absent';
  const facts: DmarcFacts = { status, name: own.name, records: [], count: own.records.length };
  if (own.records[0]?.origin) facts.origin = own.records[0].origin;
  const analyses = own.records.map((r) => analyzeRecord(r, own.name));
  facts.records = analyses.map((a) => a.record);
  const misplaced = own.misplaced.map((r) => analyzeRecord(r, own.name));
  const governing: RecordAnalysis[] = [...analyses, ...misplaced];

  // A record receivers discard (several records, or a version they do not read) is as good as none.
  const ownUsable = own.records.length === 1 && analyses[0]!.record.valid === true;
  const walk: Walk = own.presence === 'undetermined' ? { steps: [{ domain: ctx.domain, at: own }], found: [], failed: true } : await walkFrom(ctx.domain, lookup);
  facts.walk = walk.steps.map(({ at, analysis }): DmarcWalkStep => {
    const count = at.records.length;
    const step: DmarcWalkStep = {
      name: at.name,
      result: at.presence === 'undetermined' ? 'undetermined' : count === 1 ? 'found' : count > 1 ? 'multiple' : 'absent',
    };
    const psd = analysis?.record.tags['psd'];
    if (psd !== undefined) step.psd = psd;
    return step;
  });
  facts.multipleRecords = walk.steps
    .filter(({ at }) => at.records.length > 1)
    .map(({ at }) => withOrigin({ name: at.name, count: at.records.length } as DmarcMultipleRecordsFact, at.records[0]!.origin));
  const org = walk.failed ? undefined : organizationalDomain(ctx.domain, walk.found);
  if (org !== undefined) facts.organizationalDomain = org;

  let inForce: RecordAnalysis | undefined;
  let policyDomain = ctx.domain;
  if (ownUsable) {
    inForce = analyses[0]!;
    const effective = effectiveOf(ctx.domain, { domain: ctx.domain, analysis: inForce }, org, false);
    if (effective) facts.effective = effective;
  } else if (walk.failed) {
    // The policy hangs on a name that did not answer: undetermined, never missing.
    if (own.records.length === 0) facts.status = 'undetermined';
  } else if (org !== undefined) {
    const last = walk.found[walk.found.length - 1];
    const entry = walk.found.find((f) => f.domain === org) ?? (last?.analysis.record.tags['psd']?.toLowerCase() === 'y' ? last : undefined);
    if (entry) {
      inForce = entry.analysis;
      facts.inheritedRecord = entry.analysis.record;
      governing.push(entry.analysis);
      policyDomain = entry.domain;
      const effective = effectiveOf(ctx.domain, entry, org, true);
      if (effective) facts.effective = effective;
    }
  }

  facts.problems = governing.flatMap((a) => a.problems);
  facts.unknownTags = governing.flatMap((a) => a.unknownTags);
  facts.obsoleteTags = governing.flatMap((a) => a.obsoleteTags);
  // What follows concerns the record in force; several records at one name are all discarded.
  facts.weakerSubdomainPolicies = inForce?.weaker ?? [];
  facts.crowdedReportLists = inForce?.crowded ?? [];
  const policyOrg = policyDomain === ctx.domain ? org : await orgDomainOf(policyDomain, lookup);
  const { uris, unchecked } = await checkReportUris(ctx, inForce?.uris ?? [], policyDomain, policyOrg, lookup);
  facts.reportUris = uris;
  facts.uncheckedReportDestinations = unchecked;
  return facts;
}
