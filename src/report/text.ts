import { basename } from 'node:path';
import type { Rule } from '../engine/rule.js';
import type { DomainFacts } from '../facts/index.js';
import type { DomainReport, Finding, Report, Severity } from '../types.js';
import { describeCounts, SEVERITY_RANK } from './counts.js';
import { transportLines } from './text-transport.js';
import { dkimTextLines } from './text-dkim.js';
import { dmarcTextLines } from './text-dmarc.js';
import { smtpLines } from './text-smtp.js';
import { spfTreeLines } from './text-spf.js';
import { escapeDomainReport, escapeReport } from './text-escape.js';
import { hangOf, labelled, wrapLine } from './text-layout.js';

export interface TextOptions {
  rules: readonly Rule[];
  color: boolean;
  /** Wrap lines to this many columns (the terminal's width); undefined: no wrapping (a pipe, a file). */
  width?: number;
}

type Paint = (code: string, text: string) => string;

const CATEGORY_ORDER = ['dns', 'mx', 'spf', 'dmarc', 'dkim', 'smtp', 'submission', 'mta-sts', 'tls-rpt', 'bimi', 'dnssec', 'dane', 'policy'];
const MARK: Record<Severity, { symbol: string; code: string }> = {
  error: { symbol: '✖', code: '31' },
  warning: { symbol: '⚠', code: '33' },
  note: { symbol: 'ℹ', code: '36' },
};

function recordLines(facts: DomainFacts): string[] {
  const lines: string[] = [];
  const mx = facts.mx;
  if (mx?.status === 'found') {
    const hosts = mx.hosts.map((h) => (h.isNull ? `${h.preference} . (null MX)` : `${h.preference} ${h.exchange}`));
    lines.push(labelled('MX', hosts.join(', ')));
  } else if (mx) lines.push(labelled('MX', mx.status === 'absent' ? 'none' : 'undetermined (lookup failed)'));
  const spf = facts.spf;
  if (spf) lines.push(labelled('SPF', spf.records.map((r) => r.text).join(' | ') || (spf.status === 'absent' ? 'none' : 'undetermined (lookup failed)')));
  lines.push(...spfTreeLines(facts));
  lines.push(...dmarcTextLines(facts.domain, facts.dmarc));
  lines.push(...dkimTextLines(facts.dkim));
  return lines;
}

function where(f: Finding): string {
  const file = f.location.file ? ` (${basename(f.location.file)}:${f.location.line})` : '';
  return `${f.location.name} ${f.location.type}${file}`;
}

function renderFinding(f: Finding, rule: Rule | undefined, paint: Paint, width: number | undefined): string[] {
  const mark = MARK[f.severity];
  const head = `    ${paint(mark.code, `${mark.symbol} ${f.severity.padEnd(7)}`)} ${paint('1', f.ruleId)}`;
  const wrap = (text: string, hang: number) => wrapLine(text, width, hang);
  const lines = [head, ...wrap(`      ${f.message}`, 6), ...wrap(`      record: ${where(f)}`, 14).map((l) => paint('2', l))];
  if (rule) {
    // The fix is what to do: as visible as the message, its label in bold.
    lines.push(...wrap(`      fix: ${rule.fix}`, 11).map((l, i) => (i === 0 ? `      ${paint('1', 'fix:')}${l.slice('      fix:'.length)}` : l)));
    lines.push(...wrap(`      see: ${rule.references.join(', ')}`, 11).map((l) => paint('2', l)));
  }
  return lines;
}

function renderDomain(d: DomainReport, rules: Map<string, Rule>, paint: Paint, width: number | undefined): string[] {
  const lines = [paint('1', d.domain === d.input.trim().toLowerCase().replace(/\.$/, '') ? d.domain : `${d.domain} (${d.input.trim()})`)];
  for (const l of [...recordLines(d.records), ...transportLines(d.records), ...smtpLines(d)]) lines.push(...wrapLine(`  ${l}`, width, 2 + hangOf(l)));
  const byCategory = new Map<string, Finding[]>();
  for (const f of d.findings) {
    const category = rules.get(f.ruleId)?.category ?? 'other';
    byCategory.set(category, [...(byCategory.get(category) ?? []), f]);
  }
  const categories = [...byCategory.keys()].sort((a, b) => rank(a) - rank(b));
  for (const category of categories) {
    lines.push('', `  ${paint('4', category)}`);
    const findings = byCategory.get(category)!.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
    for (const f of findings) lines.push(...renderFinding(f, rules.get(f.ruleId), paint, width));
  }
  if (d.findings.length === 0) lines.push('', `  ${paint('32', '✔ no findings')}`);
  lines.push('', `  ${d.domain}: ${describeCounts(d.summary)}`);
  return lines;
}

const rank = (category: string) => {
  const i = CATEGORY_ORDER.indexOf(category);
  return i < 0 ? CATEGORY_ORDER.length : i;
};

/** The report for people: per domain, its records, then findings grouped by category. */
export function renderText(raw: Report, options: TextOptions): string {
  // Records, banners and peers' messages came from the network: shown escaped, never acted on.
  const report = escapeReport(raw);
  const paint: Paint = options.color ? (code, text) => `\x1b[${code}m${text}\x1b[0m` : (_, text) => text;
  const rules = new Map(options.rules.map((r) => [r.id, r]));
  const blocks = report.domains.map((d) => renderDomain(d, rules, paint, options.width).join('\n'));
  const s = report.summary;
  const total = `${s.domains} domain${s.domains === 1 ? '' : 's'} audited: ${describeCounts(s)}`;
  return `${[...blocks, paint('1', total)].join('\n\n')}\n`;
}

/**
 * The text report in pieces, for a run that writes each domain as it is done: `domain(d)` for each
 * domain in order, then `end(summary)`; together they make exactly renderText's output.
 */
export function textWriter(options: TextOptions): { domain(d: DomainReport): string; end(summary: Report['summary']): string } {
  const paint: Paint = options.color ? (code, text) => `\x1b[${code}m${text}\x1b[0m` : (_, text) => text;
  const rules = new Map(options.rules.map((r) => [r.id, r]));
  let first = true;
  const separator = () => (first ? ((first = false), '') : '\n\n');
  return {
    // Records, banners and peers' messages came from the network: shown escaped, never acted on.
    domain: (d) => `${separator()}${renderDomain(escapeDomainReport(d), rules, paint, options.width).join('\n')}`,
    end: (s) => `${separator()}${paint('1', `${s.domains} domain${s.domains === 1 ? '' : 's'} audited: ${describeCounts(s)}`)}\n`,
  };
}
