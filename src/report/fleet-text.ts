import { headline, percent, type FleetDocument } from '../fleet/document.js';
import { LEVEL_WORDS, type Level } from '../fleet/verdicts.js';
import { csvField } from './csv.js';
import { AREAS } from '../fleet/verdicts.js';
import type { FleetRow } from '../fleet/summary.js';

/** `mailaudit report --format text`: the fleet in a terminal. */
export function renderFleetText(doc: FleetDocument): string {
  const n = doc.domains;
  const lines: string[] = [];
  const extra = [doc.duplicates ? `${doc.duplicates} duplicate reports ignored` : '', doc.skippedLines ? `${doc.skippedLines} lines that are not reports skipped` : '']
    .filter(Boolean)
    .join(', ');
  lines.push(`${n} domain${n === 1 ? '' : 's'} from ${doc.inputs.length} file${doc.inputs.length === 1 ? '' : 's'}${extra ? ` (${extra})` : ''}`);
  const levels: Level[] = ['bad', 'weak', 'unknown', 'none', 'good'];
  lines.push(`worst area: ${levels.map((l) => `${doc.levels[l]} ${LEVEL_WORDS[l].toLowerCase()}`).join(', ')}`);
  lines.push('');
  for (const h of headline(doc)) {
    lines.push(`${h.label.padEnd(18)} ${String(h.count).padStart(7)}  ${h.total ? `${percent(h.count, h.total).padStart(5)}%${h.total === n ? '' : ` of ${h.total} checked`}` : '  n/a (not checked)'}`);
  }
  for (const a of doc.areas) {
    lines.push('', a.label);
    for (const c of a.counts) {
      const share = n ? c.count / n : 0;
      const bar = '█'.repeat(Math.round(share * 30));
      lines.push(`  ${c.label.padEnd(32)} ${String(c.count).padStart(7)}  ${percent(c.count, n).padStart(5)}%  ${bar}`);
    }
  }
  lines.push('', 'Rules that fire most (domains)');
  for (const r of doc.rules.slice(0, 20)) lines.push(`  ${String(r.domains).padStart(7)}  ${r.ruleId} (${r.severity})`);
  if (doc.rules.length > 20) lines.push(`  … ${doc.rules.length - 20} more rules`);
  const c = doc.comparison;
  if (c) {
    lines.push('', `Compared with the baseline (${c.baselineDomains} domains)`);
    const k = c.counts;
    lines.push(`  ${k.worse} worse, ${k.better} better, ${k.unchanged} unchanged, ${k.added} added, ${k.removed} removed; ${k.newFindings} new findings, ${k.fixedFindings} fixed`);
    for (const [word, list] of [
      ['worse', c.worse],
      ['better', c.better],
    ] as const) {
      for (const d of list) lines.push(`  ${word.padEnd(6)} ${d.domain}: ${d.changes.map((x) => `${x.label} ${LEVEL_WORDS[x.from].toLowerCase()} → ${LEVEL_WORDS[x.to].toLowerCase()}`).join(', ')}`);
    }
    for (const f of c.newFindings) lines.push(`  new    ${f.domain}: ${f.ruleId} (${f.severity})`);
    for (const f of c.fixedFindings) lines.push(`  fixed  ${f.domain}: ${f.ruleId} (${f.severity})`);
    const capped = [c.worse.length < k.worse, c.better.length < k.better, c.newFindings.length < k.newFindings, c.fixedFindings.length < k.fixedFindings].some(Boolean);
    if (capped) lines.push(`  (lists cut at ${c.listLimit} entries each; the counts cover everything)`);
  }
  return `${lines.join('\n')}\n`;
}

const column = (id: string) => id.replace(/-/g, '_');

export const FLEET_CSV_COLUMNS = ['domain', 'verdict', 'errors', 'warnings', 'notes', ...AREAS.flatMap((a) => [`${column(a.id)}_verdict`, column(a.id)]), 'rules'];

export const renderFleetCsvHeader = () => `${FLEET_CSV_COLUMNS.join(',')}\r\n`;

/** One domain per row: its worst level, counts, and each area's level and key. */
export function renderFleetCsvRow(row: FleetRow): string {
  const cells = [
    row.domain,
    row.level,
    row.summary.error,
    row.summary.warning,
    row.summary.note,
    ...AREAS.flatMap((a) => [row.verdicts[a.id].level, row.verdicts[a.id].key]),
    row.rules.join(' '),
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}
