import type { DomainReport } from '../types.js';

/**
 * `--format csv`: one row per domain (RFC 4180: CRLF line ends, fields with a comma, quote or line
 * break quoted, quotes doubled), with the figures people put in spreadsheets.
 *
 * Facts of other areas are read through the small accessors below, and only here: a column stays
 * empty when its fact is absent (an area not collected, a lookup that failed, an older report).
 */

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const facts = (r: DomainReport): Json => r.records as unknown as Json;

/** Exchanges of the MX hosts, by preference ("." for the null MX). */
export function mxHosts(r: DomainReport): string[] | undefined {
  const mx = obj(facts(r).mx);
  if (!mx || mx.status !== 'found') return undefined;
  return arr(mx.hosts).map((h) => (obj(h)?.isNull ? '.' : (str(obj(h)?.exchange) ?? '')));
}

/** DNS-querying terms over the whole SPF tree (RFC 7208 §4.6.4), when the SPF facts count them (issue 3). */
export function spfLookups(r: DomainReport): number | undefined {
  const spf = obj(facts(r).spf);
  if (!spf) return undefined;
  return (
    num(spf.lookupCount) ??
    num(spf.dnsLookups) ??
    num(spf.lookups) ??
    num(obj(spf.lookups)?.total) ??
    num(obj(spf.tree)?.lookupCount) ??
    num(obj(spf.tree)?.lookups)
  );
}

const ALL_TERM = /(?:^|\s)([+?~-]?)all(?=\s|$)/i;

/** RFC 7208 §4.6.2: the result each qualifier gives (words, not signs a spreadsheet reads as formulas). */
const QUALIFIER_RESULT: Record<string, string> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

/**
 * The result of the top-level `all` ("pass", "fail", "softfail", "neutral"), from the facts or the
 * record itself; empty without an `all`.
 */
export function spfAllQualifier(r: DomainReport): string | undefined {
  const spf = obj(facts(r).spf);
  if (!spf || spf.status !== 'found') return undefined;
  const given = str(spf.allQualifier) ?? str(obj(spf.all)?.qualifier) ?? str(spf.all);
  if (given !== undefined) return QUALIFIER_RESULT[given] ?? given;
  const records = arr(spf.records);
  if (records.length !== 1) return undefined;
  const text = str(obj(records[0])?.text);
  const m = text ? ALL_TERM.exec(text) : null;
  return m ? QUALIFIER_RESULT[m[1] || '+'] : undefined;
}

/** The DMARC policy that applies to the domain's own mail (p, or the parent's sp/p). */
export function dmarcPolicy(r: DomainReport): string | undefined {
  return str(obj(obj(facts(r).dmarc)?.effective)?.policy);
}

/** The `rua` of the DMARC record that applies: the domain's own, else the one discovery found (`inheritedRecord`). */
export function dmarcRua(r: DomainReport): string | undefined {
  const dmarc = obj(facts(r).dmarc);
  if (!dmarc) return undefined;
  const records = arr(dmarc.records);
  if (records.length === 1) return str(obj(obj(records[0])?.tags)?.rua);
  if (records.length > 1) return undefined;
  return str(obj(obj(dmarc.inheritedRecord)?.tags)?.rua);
}

/** DKIM selectors that answered with a key record of their own (`dkim.answered`; wildcard answers excluded). */
export function dkimSelectors(r: DomainReport): string[] | undefined {
  const dkim = obj(facts(r).dkim);
  if (!dkim) return undefined;
  if (Array.isArray(dkim.answered)) return dkim.answered.map(str).filter((s): s is string => s !== undefined);
  const found = arr(dkim.found).map(str).filter((s): s is string => s !== undefined);
  if (found.length > 0) return found;
  const selectors = arr(dkim.selectors);
  if (selectors.length === 0) return Array.isArray(dkim.selectors) ? [] : undefined;
  return selectors
    .map((s) => {
      if (typeof s === 'string') return s;
      const o = obj(s);
      if (!o || (o.status !== undefined && o.status !== 'found')) return undefined;
      return str(o.selector) ?? str(o.name);
    })
    .filter((s): s is string => s !== undefined);
}

/** The STARTTLS verdict of one probed address (`smtp.addresses[]`, src/facts/smtp.ts). */
function addressVerdict(a: Json): string | undefined {
  switch (a.outcome) {
    case 'no-starttls':
      return 'none';
    case 'tls-failed':
      return 'failed';
    case 'tls': {
      const tls = obj(a.tls);
      if (!tls) return 'ok';
      const good = tls.trusted !== false && (tls.validity === undefined || tls.validity === 'valid') && tls.nameMatches !== false;
      return good ? 'ok' : 'invalid-certificate';
    }
    case 'unreachable':
    case 'no-banner':
    case 'ehlo-failed':
      return 'unreachable';
    default:
      return undefined; // skipped (no route from here), or unknown
  }
}

/** Worst first: the column shows the weakest address, since a sender may land on any of them. */
const VERDICT_ORDER = ['none', 'failed', 'invalid-certificate', 'invalid', 'unreachable', 'ok'];

/**
 * One STARTTLS verdict over every MX address probed (issue 5): none (not offered), failed (refused or
 * handshake failed), invalid-certificate, unreachable, or ok; the worst address decides. Empty when
 * nothing was probed (--no-smtp, null MX).
 */
export function starttlsVerdict(r: DomainReport): string | undefined {
  const smtp = obj(facts(r).smtp);
  if (!smtp) return undefined;
  const addresses = arr(smtp.addresses).map(obj).filter((a): a is Json => a !== undefined);
  if (addresses.length > 0) {
    const verdicts = addresses.map(addressVerdict);
    return VERDICT_ORDER.find((v) => verdicts.includes(v));
  }
  const direct = str(smtp.starttls) ?? str(smtp.verdict);
  if (direct !== undefined) return direct;
  const hosts = arr(smtp.hosts).map(obj).filter((h): h is Json => h !== undefined);
  if (hosts.length === 0) return undefined;
  const verdicts = hosts.map((h) => {
    const v = h.starttls;
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean') return v ? 'ok' : 'none';
    const tls = obj(v) ?? obj(h.tls);
    if (!tls) return undefined;
    if (tls.offered === false || tls.supported === false) return 'none';
    const cert = obj(tls.certificate);
    if (tls.valid === false || cert?.valid === false || tls.error !== undefined) return 'invalid';
    return 'ok';
  });
  return VERDICT_ORDER.find((v) => verdicts.includes(v));
}

export const CSV_COLUMNS = [
  'domain',
  'errors',
  'warnings',
  'notes',
  'rules',
  'mx_hosts',
  'spf_lookups',
  'spf_all',
  'dmarc_policy',
  'dmarc_rua',
  'dkim_selectors',
  'starttls',
] as const;

/**
 * RFC 4180 §2: quote a field holding a comma, a quote or a line break; double the quotes. A text from
 * DNS that a spreadsheet would run as a formula (starting with = + - @) gets a leading apostrophe.
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const joined = (list: string[] | undefined) => list?.join(' ');

export function renderCsvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** One row: lists (MX hosts, rule ids, selectors) are space-separated within their cell. */
export function renderCsvRow(r: DomainReport): string {
  const rules = [...new Set(r.findings.map((f) => f.ruleId))];
  const cells = [
    r.domain,
    r.summary.error,
    r.summary.warning,
    r.summary.note,
    rules.join(' '),
    joined(mxHosts(r)),
    spfLookups(r),
    spfAllQualifier(r),
    dmarcPolicy(r),
    dmarcRua(r),
    joined(dkimSelectors(r)),
    starttlsVerdict(r),
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}
