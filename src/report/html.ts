import { basename } from 'node:path';
import type { Rule } from '../engine/rule.js';
import { categoryLookup, domainVerdicts, overallLevel } from '../fleet/verdicts.js';
import type { DomainReport, Finding, Report } from '../types.js';
import { describeCounts, SEVERITY_RANK } from './counts.js';
import { anchor, badge, html, legend, page, referenceLink, ruleDocUrl, verdictCards, type Html } from './html-page.js';
import { recordsBlock, smtpBlock } from './html-records.js';

export interface HtmlOptions {
  rules: readonly Rule[];
}

/** The same order as the text report. */
const CATEGORY_ORDER = ['dns', 'mx', 'spf', 'dmarc', 'dkim', 'smtp', 'submission', 'mta-sts', 'tls-rpt', 'bimi', 'dnssec', 'dane', 'policy'];
const rank = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : CATEGORY_ORDER.length);

function where(f: Finding): string {
  const file = f.location.file ? ` (${basename(f.location.file)}:${f.location.line})` : '';
  return `${f.location.name} ${f.location.type}${file}`;
}

/** One finding: severity, rule (linked to its page), message, the record, the fix, the RFCs. */
export function findingBlock(f: Finding, rule: Rule | undefined): Html {
  return html`<div class="finding sev-${f.severity}"><div class="head"><span class="sev">${f.severity}</span><a class="id mono" href="${ruleDocUrl(f.ruleId)}" rel="noopener noreferrer">${f.ruleId}</a>${
    rule ? html`<span class="muted small">${rule.summary}</span>` : ''
  }</div><p>${f.message}</p><dl class="meta"><dt>record</dt><dd class="mono">${where(f)}</dd>${rule ? html`<dt>fix</dt><dd>${rule.fix}</dd><dt>see</dt><dd>${rule.references.map(referenceLink)}</dd>` : ''}</dl></div>`;
}

function findingsBlock(d: DomainReport, rules: Map<string, Rule>): Html {
  if (d.findings.length === 0) return html`<h3>Findings</h3><p class="ok-line">✓ No findings</p>`;
  const groups = new Map<string, Finding[]>();
  for (const f of d.findings) {
    const c = rules.get(f.ruleId)?.category ?? 'other';
    groups.set(c, [...(groups.get(c) ?? []), f]);
  }
  const ordered = [...groups.keys()].sort((a, b) => rank(a) - rank(b));
  return html`<h3>Findings</h3>${ordered.map((c) => {
    const list = [...groups.get(c)!].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
    return html`<div class="group"><h4>${c} <span class="pill">${list.length}</span></h4>${list.map((f) => findingBlock(f, rules.get(f.ruleId)))}</div>`;
  })}`;
}

function domainSection(d: DomainReport, rules: Map<string, Rule>, categoryOf: ReturnType<typeof categoryLookup>): Html {
  const verdicts = domainVerdicts(d, categoryOf);
  const input = d.input.trim().toLowerCase().replace(/\.$/, '');
  return html`<section class="domain" id="${anchor('d', d.domain)}" data-domain="${d.domain}"><h2>${d.domain}${input !== d.domain ? html` <span class="muted">(${d.input.trim()})</span>` : ''} ${badge(
    overallLevel(verdicts, d.summary),
  )}</h2><p class="counts">${describeCounts(d.summary)}</p>${verdictCards(verdicts)}${recordsBlock(d)}${smtpBlock(d)}${findingsBlock(d, rules)}</section>`;
}

/** `--format html`: one self-contained page; several domains get a table of contents. */
export function renderHtml(report: Report, options: HtmlOptions): string {
  const rules = new Map(options.rules.map((r) => [r.id, r]));
  const categoryOf = categoryLookup(options.rules);
  const names = report.domains.map((d) => d.domain);
  const title = names.length === 1 ? `Mail audit of ${names[0]}` : `Mail audit of ${names.length} domains`;
  const toc =
    report.domains.length > 1
      ? html`<nav class="toc" aria-label="Contents"><strong>Domains</strong><ol>${report.domains.map(
          (d) => html`<li><a href="#${anchor('d', d.domain)}">${d.domain}</a> ${badge(overallLevel(domainVerdicts(d, categoryOf), d.summary))} <span class="muted small">${describeCounts(d.summary)}</span></li>`,
        )}</ol></nav>`
      : '';
  const body = html`${legend()}${toc}${report.domains.map((d) => domainSection(d, rules, categoryOf))}`;
  const s = report.summary;
  return page({ title, subtitle: `${report.generatedAt} · ${s.domains} domain${s.domains === 1 ? '' : 's'} · ${describeCounts(s)}`, body });
}
