/** The job summary ($GITHUB_STEP_SUMMARY): per domain, a Markdown table of its findings. */
import { describeCounts, SEVERITY_RANK } from '../report/counts.js';
import { docsUrl } from '../report/rules.js';
import type { DomainReport, Finding, Report, Severity } from '../types.js';

/** GitHub accepts at most 1 MiB of summary per step; stop well before. */
export const SUMMARY_BUDGET = 900 * 1024;

const ICON: Record<Severity, string> = { error: '🔴 error', warning: '🟠 warning', note: '🔵 note' };

/** Text safe inside a Markdown table cell: no HTML, no emphasis/link/code syntax, no pipes or line breaks. */
export function escapeCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+!|~])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}

export interface SummaryOptions {
  /** Repository-relative path of a domain's zone file (for its heading). */
  fileOf: (d: DomainReport) => string | undefined;
  /** A finding's zone file, relative to the repository root. */
  repoPath: (file: string) => string;
  failOn: Severity | 'none';
  failed: boolean;
  /** Annotations GitHub would not show (over its per-step limits). */
  annotationsOmitted: number;
  sarifFile?: string;
  /** Zone patterns that matched no file. */
  unmatched?: string[];
}

function where(f: Finding, repoPath: (file: string) => string): string {
  const record = `${f.location.name} ${f.location.type}`;
  return escapeCell(f.location.file && f.location.line ? `${record} (${repoPath(f.location.file)}:${f.location.line})` : record);
}

function domainSection(d: DomainReport, options: SummaryOptions): string[] {
  const file = options.fileOf(d);
  const head = `### ${escapeCell(d.domain)}${file ? ` — \`${file.replace(/`/g, "'")}\`` : ''}`;
  if (d.findings.length === 0) return [head, '', '✅ no findings', ''];
  const rows = [...d.findings]
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.ruleId.localeCompare(b.ruleId))
    .map((f) => `| ${ICON[f.severity]} | [${f.ruleId}](${docsUrl(f.ruleId)}) | ${escapeCell(f.message)} | ${where(f, options.repoPath)} |`);
  return [head, '', describeCounts(d.summary), '', '| severity | rule | finding | record |', '|---|---|---|---|', ...rows, ''];
}

export function renderSummary(report: Report, options: SummaryOptions): string {
  const s = report.summary;
  const lines = [`## mailaudit: ${s.domains} domain${s.domains === 1 ? '' : 's'}, ${describeCounts(s)}`, ''];
  if (options.failOn !== 'none') {
    lines.push(
      options.failed
        ? `❌ Failed: findings at or above \`${options.failOn}\` (the \`fail-on\` input).`
        : `✅ Passed: no finding at or above \`${options.failOn}\` (the \`fail-on\` input).`,
      '',
    );
  }
  for (const pattern of options.unmatched ?? []) lines.push(`⚠️ The zone pattern \`${pattern.replace(/`/g, "'")}\` matched no file.`, '');
  let size = Buffer.byteLength(lines.join('\n'));
  let truncated = 0;
  for (const d of report.domains) {
    const section = domainSection(d, options).join('\n');
    if (size + Buffer.byteLength(section) > SUMMARY_BUDGET) {
      truncated++;
      continue;
    }
    lines.push(section);
    size += Buffer.byteLength(section) + 1;
  }
  if (truncated) lines.push(`${truncated} more domain(s) left out: the summary is limited to 1 MiB. Every finding is in the SARIF file and the log.`, '');
  if (options.annotationsOmitted > 0) {
    lines.push(
      `${options.annotationsOmitted} finding(s) were not annotated: GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (the most severe were shown). Every finding is in the tables above${options.sarifFile ? ` and in \`${options.sarifFile}\`` : ''}.`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
