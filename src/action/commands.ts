/**
 * GitHub Actions workflow commands (`::error file=…,line=…,title=…::message`): their escaping and
 * the per-step annotation limits.
 */
import type { Finding, Severity } from '../types.js';

/** GitHub shows at most this many annotations of each level (error, warning, notice) per step. */
export const ANNOTATIONS_PER_LEVEL = 10;

const LEVEL: Record<Severity, 'error' | 'warning' | 'notice'> = { error: 'error', warning: 'warning', note: 'notice' };

/** Escapes a command's message: %, CR and LF. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property value: as data, plus `:` and `,` which delimit properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface Annotation {
  severity: Severity;
  message: string;
  title: string;
  /** Repository-relative path with forward slashes. */
  file?: string;
  line?: number;
}

export function annotationCommand(a: Annotation): string {
  const props: string[] = [];
  if (a.file) props.push(`file=${escapeProperty(a.file)}`);
  if (a.file && a.line) props.push(`line=${a.line}`);
  props.push(`title=${escapeProperty(a.title)}`);
  return `::${LEVEL[a.severity]} ${props.join(',')}::${escapeData(a.message)}`;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/**
 * Picks the annotations GitHub will show: most severe first, findings on zone-file lines before
 * the others, at most ANNOTATIONS_PER_LEVEL per level. Returns them and how many were left out.
 */
export function selectAnnotations(all: readonly Annotation[]): { shown: Annotation[]; omitted: number } {
  const sorted = [...all].sort((a, b) => RANK[a.severity] - RANK[b.severity] || Number(Boolean(b.file)) - Number(Boolean(a.file)));
  const used: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  const shown: Annotation[] = [];
  for (const a of sorted) {
    if (used[a.severity] >= ANNOTATIONS_PER_LEVEL) continue;
    used[a.severity]++;
    shown.push(a);
  }
  return { shown, omitted: all.length - shown.length };
}

export function annotationFor(f: Finding, domain: string, file?: string): Annotation {
  const a: Annotation = { severity: f.severity, message: f.message, title: `mailaudit ${f.ruleId} (${domain})` };
  if (file) {
    a.file = file;
    if (f.location.line) a.line = f.location.line;
  }
  return a;
}
