import type { Finding, Report } from '../types.js';
import { escapeReport } from './text-escape.js';

function where(f: Finding): string {
  return f.location.file ? `${f.location.file}:${f.location.line ?? 1}` : `${f.location.name} ${f.location.type}`;
}

/**
 * One line per finding, for grep and editors (as ESLint's compact and unix formatters):
 * `domain: severity rule-id message [file:line]`, or `[name TYPE]` when the record is not from a
 * zone file. A domain without findings writes no line. Every string is escaped (text-escape.ts).
 */
export function renderCompact(report: Report): string {
  const lines: string[] = [];
  for (const d of escapeReport(report).domains) {
    for (const f of d.findings) lines.push(`${d.domain}: ${f.severity} ${f.ruleId} ${f.message} [${where(f)}]`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
