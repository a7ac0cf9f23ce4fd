import type { DomainReport, Report } from '../types.js';

/**
 * Characters a terminal may act on, or that hide or reorder what follows: C0 controls (ESC, BEL,
 * CR, LF, TAB, ...), DEL, C1 controls (a lone 0x9b is CSI on some terminals), the bidirectional
 * overrides and isolates, and the Unicode line and paragraph separators.
 */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Shows every control character visibly: ESC as `\x1b`, U+202E as `\u202e`; nothing else changes. */
export function escapeControls(text: string, unsafe: RegExp = UNSAFE): string {
  return text.replace(unsafe, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

function escapeDeep(value: unknown): unknown {
  if (typeof value === 'string') return escapeControls(value);
  if (Array.isArray(value)) return value.map(escapeDeep);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[escapeControls(k)] = escapeDeep(v);
    return out;
  }
  return value;
}

/**
 * The report with every string escaped (records, banners, messages, arguments): what came from the
 * network (TXT records, SMTP replies, certificate subjects, peers' error text) cannot move the
 * cursor, clear the screen, set the title or the clipboard, or hide what follows. The text and
 * compact renderers call this first; the colours they add afterwards are their own.
 */
export function escapeReport(report: Report): Report {
  return escapeDeep(report) as Report;
}

/** One domain's report with every string escaped (for renderers that write domain by domain). */
export function escapeDomainReport(report: DomainReport): DomainReport {
  return escapeDeep(report) as DomainReport;
}
