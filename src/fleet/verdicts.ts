import type { DomainFacts } from '../facts/index.js';
import { starttlsVerdict } from '../report/csv.js';
import type { DomainReport, Finding, Severity } from '../types.js';

/**
 * One verdict per area of a domain (MX, SPF, DMARC, …): a level (its colour and word) and a key (what
 * was found, the value the fleet view counts). The level comes from the worst finding of the area's
 * rule categories, so every colour is traceable to a finding; the key comes from the facts.
 */

export type AreaId = 'mx' | 'spf' | 'dmarc' | 'dkim' | 'mta-sts' | 'tls-rpt' | 'bimi' | 'dnssec' | 'smtp';

/** good: no warning or error; weak: a warning; bad: an error; none: an optional record not published; unknown: a lookup failed; off: not checked. */
export type Level = 'good' | 'weak' | 'bad' | 'none' | 'unknown' | 'off';

export interface Area {
  id: AreaId;
  label: string;
  /** Rule categories whose findings decide the level. */
  categories: string[];
  /** What each key means, in the order the fleet view lists them. */
  keys: Record<string, string>;
}

export const AREAS: readonly Area[] = [
  { id: 'mx', label: 'MX', categories: ['mx'], keys: { hosts: 'MX hosts', 'null-mx': 'null MX', missing: 'no MX', unknown: 'lookup failed', off: 'not checked' } },
  {
    id: 'spf',
    label: 'SPF',
    categories: ['spf'],
    keys: { ok: 'ok', 'too-many-lookups': 'too many lookups', error: 'errors', missing: 'missing', unknown: 'lookup failed', off: 'not checked' },
  },
  {
    id: 'dmarc',
    label: 'DMARC',
    categories: ['dmarc'],
    keys: { reject: 'reject', quarantine: 'quarantine', none: 'none', missing: 'missing', invalid: 'invalid', unknown: 'lookup failed', off: 'not checked' },
  },
  { id: 'dkim', label: 'DKIM', categories: ['dkim'], keys: { found: 'key found', 'not-found': 'no key found', 'not-needed': 'not needed', unknown: 'lookup failed', off: 'not checked' } },
  {
    id: 'mta-sts',
    label: 'MTA-STS',
    categories: ['mta-sts'],
    keys: { enforce: 'enforce', testing: 'testing', none: 'mode none', invalid: 'invalid or unavailable', missing: 'none', unknown: 'lookup failed', off: 'not checked' },
  },
  { id: 'tls-rpt', label: 'TLS-RPT', categories: ['tls-rpt'], keys: { ok: 'ok', invalid: 'invalid', missing: 'none', unknown: 'lookup failed', off: 'not checked' } },
  { id: 'bimi', label: 'BIMI', categories: ['bimi'], keys: { ok: 'ok', invalid: 'invalid', declined: 'declined', missing: 'none', unknown: 'lookup failed', off: 'not checked' } },
  {
    id: 'dnssec',
    label: 'DNSSEC/DANE',
    categories: ['dnssec', 'dane'],
    keys: { 'signed-dane': 'signed, DANE', signed: 'signed', unsigned: 'not signed', unknown: 'lookup failed', off: 'not checked' },
  },
  {
    id: 'smtp',
    label: 'SMTP',
    categories: ['smtp', 'submission'],
    keys: {
      trusted: 'STARTTLS, trusted certificate',
      untrusted: 'STARTTLS, certificate not trusted',
      'no-starttls': 'no STARTTLS',
      'tls-failed': 'TLS failed',
      unreachable: 'unreachable',
      'not-probed': 'nothing to probe',
      off: 'not probed',
    },
  },
];

export const AREA_BY_ID: ReadonlyMap<AreaId, Area> = new Map(AREAS.map((a) => [a.id, a]));

export const LEVEL_WORDS: Record<Level, string> = { good: 'Good', weak: 'Weak', bad: 'Failing', none: 'None', unknown: 'Unknown', off: 'Not checked' };

/** Worst first: how levels are ranked when one must stand for several. */
export const LEVEL_ORDER: readonly Level[] = ['bad', 'weak', 'unknown', 'none', 'good', 'off'];
export const LEVEL_RANK: Record<Level, number> = { bad: 5, weak: 4, unknown: 3, none: 2, good: 1, off: 0 };

export interface AreaVerdict {
  area: AreaId;
  level: Level;
  /** A key of the area's `keys`. */
  key: string;
  /** A few words on what was found: "p=reject", "12 lookups", "2 keys". */
  detail: string;
}

type Keyed = { key: string; detail: string; level?: Level };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function mxKey(f: DomainFacts): Keyed | undefined {
  const mx = f.mx;
  if (!mx) return undefined;
  if (mx.status === 'undetermined') return { key: 'unknown', detail: 'lookup failed' };
  if (mx.status === 'absent') return { key: 'missing', detail: mx.implicitAddresses?.length ? 'no MX: mail goes to the domain\'s address' : 'no MX' };
  if (mx.nullMx && !mx.nullMixed) return { key: 'null-mx', detail: 'null MX: accepts no mail', level: 'none' };
  return { key: 'hosts', detail: plural(mx.hostCount, 'host') };
}

function spfKey(f: DomainFacts): Keyed | undefined {
  const spf = f.spf;
  if (!spf) return undefined;
  if (spf.status === 'undetermined') return { key: 'unknown', detail: 'lookup failed' };
  if (spf.status === 'absent') return { key: 'missing', detail: 'no record', level: 'bad' };
  const lookups = spf.lookupCount ?? 0;
  if (lookups > 10) return { key: 'too-many-lookups', detail: `${lookups} lookups (limit 10)`, level: 'bad' };
  const broken =
    spf.count > 1 ||
    (spf.syntaxErrors?.length ?? 0) > 0 ||
    (spf.voidLookupCount ?? 0) > 2 ||
    (spf.tree ?? []).some((n) => n.status === 'none' || n.status === 'multiple' || n.status === 'loop');
  if (broken) return { key: 'error', detail: spf.count > 1 ? `${spf.count} records` : 'permerror', level: 'bad' };
  const all = spf.allQualifier === undefined ? 'no all' : `${spf.allQualifier === '+' ? '+' : spf.allQualifier}all`;
  return { key: 'ok', detail: `${plural(lookups, 'lookup')}, ${all}` };
}

function dmarcKey(f: DomainFacts): Keyed | undefined {
  const dmarc = f.dmarc;
  if (!dmarc) return undefined;
  const e = dmarc.effective;
  if (e) return { key: e.policy, detail: `p=${e.policy}${e.inherited ? ` from ${e.source}` : ''}${e.pct !== undefined && e.pct < 100 ? `, pct=${e.pct}` : ''}` };
  if (dmarc.status === 'undetermined') return { key: 'unknown', detail: 'lookup failed' };
  if (dmarc.records.length > 0 || dmarc.count > 0) return { key: 'invalid', detail: dmarc.count > 1 ? `${dmarc.count} records` : 'no usable record', level: 'bad' };
  return { key: 'missing', detail: 'no record', level: 'bad' };
}

function dkimKey(f: DomainFacts): Keyed | undefined {
  const dkim = f.dkim;
  if (!dkim) return undefined;
  if (dkim.keys.length) return { key: 'found', detail: plural(dkim.keys.length, 'key') };
  if (!dkim.sendsMail) return { key: 'not-needed', detail: 'sends no mail', level: 'none' };
  if (dkim.status === 'undetermined') return { key: 'unknown', detail: 'lookup failed' };
  return { key: 'not-found', detail: `${plural(dkim.tried.length, 'selector')} tried` };
}

function mtaStsKey(f: DomainFacts): Keyed | undefined {
  const sts = f.mtaSts;
  if (!sts) return undefined;
  if (sts.status === 'undetermined') return { key: 'unknown', detail: 'lookup failed' };
  if (sts.status === 'absent') return { key: 'missing', detail: 'no record', level: 'none' };
  const mode = sts.policy?.valid ? sts.policy.mode : undefined;
  if (!mode || sts.errors.length) return { key: 'invalid', detail: sts.policy?.fetch.status === 'ok' ? 'policy invalid' : 'policy unavailable' };
  return { key: mode, detail: `mode ${mode}`, level: mode === 'none' ? 'none' : undefined };
}

function tlsRptKey(f: DomainFacts): Keyed | undefined {
  const rpt = f.tlsRpt;
  if (!rpt) return undefined;
  if (rpt.status === 'undetermined') return { key: 'unknown', detail: 'lookup failed' };
  if (rpt.status === 'absent') return { key: 'missing', detail: 'no record', level: 'none' };
  if (rpt.errors.length) return { key: 'invalid', detail: 'invalid record' };
  return { key: 'ok', detail: `${rpt.rua.length} report address${rpt.rua.length === 1 ? '' : 'es'}` };
}

function bimiKey(f: DomainFacts): Keyed | undefined {
  const bimi = f.bimi;
  if (!bimi) return undefined;
  if (bimi.status === 'undetermined') return { key: 'unknown', detail: 'lookup failed' };
  if (bimi.status === 'absent') return { key: 'missing', detail: 'no record', level: 'none' };
  if (bimi.declined) return { key: 'declined', detail: 'declined', level: 'none' };
  if (bimi.errors.length || (bimi.logo && bimi.logo.valid === false)) return { key: 'invalid', detail: bimi.errors.length ? 'invalid record' : 'logo invalid' };
  return { key: 'ok', detail: bimi.logo?.valid ? 'logo is SVG Tiny PS' : 'record published' };
}

function dnssecKey(f: DomainFacts): Keyed | undefined {
  const dnssec = f.dnssec;
  if (!dnssec) return undefined;
  if (dnssec.status === 'not-checked') return { key: 'off', detail: 'records from a zone file', level: 'off' };
  if (dnssec.status === 'undetermined') return { key: 'unknown', detail: 'lookup failed' };
  if (dnssec.status === 'unsigned') return { key: 'unsigned', detail: 'no AD from the resolver', level: 'none' };
  const dane = (f.dane?.hosts ?? []).filter((h) => h.verdict === 'match');
  return dane.length ? { key: 'signed-dane', detail: `signed, DANE on ${plural(dane.length, 'host')}` } : { key: 'signed', detail: 'signed' };
}

const SMTP_KEYS: Record<string, string> = {
  ok: 'trusted',
  'invalid-certificate': 'untrusted',
  invalid: 'untrusted',
  none: 'no-starttls',
  failed: 'tls-failed',
  unreachable: 'unreachable',
};

function smtpKey(r: DomainReport): Keyed | undefined {
  const smtp = r.records.smtp;
  if (!smtp) return undefined;
  const verdict = starttlsVerdict(r);
  if (verdict === undefined) return { key: 'not-probed', detail: r.records.mx?.nullMx ? 'null MX' : 'no address probed', level: 'none' };
  const key = SMTP_KEYS[verdict] ?? 'unreachable';
  const probed = smtp.addresses.filter((a) => a.outcome !== 'skipped').length;
  return { key, detail: `${probed} address${probed === 1 ? '' : 'es'} probed` };
}

const KEYERS: Record<AreaId, (r: DomainReport) => Keyed | undefined> = {
  mx: (r) => mxKey(r.records),
  spf: (r) => spfKey(r.records),
  dmarc: (r) => dmarcKey(r.records),
  dkim: (r) => dkimKey(r.records),
  'mta-sts': (r) => mtaStsKey(r.records),
  'tls-rpt': (r) => tlsRptKey(r.records),
  bimi: (r) => bimiKey(r.records),
  dnssec: (r) => dnssecKey(r.records),
  smtp: smtpKey,
};

const SEVERITY_LEVEL: Record<Severity, Level> = { error: 'bad', warning: 'weak', note: 'good' };

/** The rule category of a finding: from the rule catalogue, else "other". */
export type CategoryOf = (f: Pick<Finding, 'ruleId'>) => string;

const worse = (a: Level, b: Level): Level => (LEVEL_RANK[a] >= LEVEL_RANK[b] ? a : b);

/** The verdict of one area: its worst finding's level, or what its facts say when no finding is worse. */
export function areaVerdict(r: DomainReport, area: Area, categoryOf: CategoryOf): AreaVerdict {
  const keyed = KEYERS[area.id](r);
  if (!keyed) return { area: area.id, level: 'off', key: 'off', detail: 'not checked' };
  let level: Level = keyed.level ?? (keyed.key === 'unknown' ? 'unknown' : 'good');
  for (const f of r.findings) {
    if (area.categories.includes(categoryOf(f)) && f.severity !== 'note') level = worse(SEVERITY_LEVEL[f.severity], level);
  }
  return { area: area.id, level, key: keyed.key, detail: keyed.detail };
}

export function domainVerdicts(r: DomainReport, categoryOf: CategoryOf): AreaVerdict[] {
  return AREAS.map((a) => areaVerdict(r, a, categoryOf));
}

/**
 * A domain's verdict: its worst area (failing, weak, unknown); else good when an area is good. An
 * optional record not published (none) does not make a domain look worse than good. An error or a
 * warning outside every area (`domain-not-found`, `dns-all-lookups-failed`, the `policy-*` rules)
 * still makes the domain failing or weak: the counts beside the verdict must not contradict it.
 */
export function overallLevel(verdicts: readonly AreaVerdict[], summary: Pick<DomainReport['summary'], 'error' | 'warning'>): Level {
  const levels = new Set(verdicts.map((v) => v.level));
  if (summary.error > 0) levels.add('bad');
  if (summary.warning > 0) levels.add('weak');
  return (['bad', 'weak', 'unknown', 'good', 'none'] as const).find((l) => levels.has(l)) ?? 'off';
}

/** categoryOf from the rule catalogue. */
export function categoryLookup(rules: readonly { id: string; category: string }[]): CategoryOf {
  const map = new Map(rules.map((r) => [r.id, r.category]));
  return (f) => map.get(f.ruleId) ?? 'other';
}
