import { createReadStream } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { InputError } from './domain.js';
import { linesOf, nameDigest, type LineState } from './list.js';

/**
 * The longest line of a `--resume` file, in bytes. One domain's ndjson report is bounded (findings per
 * rule, facts kept), typically a few kilobytes and at most a few megabytes; a longer line is not a
 * mailaudit output (e.g. /dev/zero).
 */
export const MAX_RESUME_LINE_BYTES = 64 * 1024 * 1024;

/** Severity ranks as SEVERITY_RANK has them (report/counts.ts): note 1, warning 2, error 3. */
const RANK = { note: 1, warning: 2, error: 3 } as const;

/** The domains already audited by an earlier ndjson or csv run, as digests of their normalized names. */
export interface ResumeState {
  done: Set<number>;
  /** Complete reports read (lines of ndjson, rows of csv). */
  lines: number;
  /** Complete lines that are not a report (ndjson) or not a row (csv). */
  skipped: number;
  /** The file does not end with a line end. */
  unterminated: boolean;
  /**
   * The file ends with a line cut short (what a short write leaves): its length without it. The
   * fragment's domain is not in `done`; a run appending to this file truncates it there first.
   */
  cutAt?: number;
  /** A csv file with its header line. */
  header: boolean;
  /** The highest severity rank among the findings of the reports read (0: none). */
  worst: number;
}

/** The header line of a csv output (renderCsvHeader without its line end). */
export type CsvHeader = string;

function worstOf(counts: { error?: unknown; warning?: unknown; note?: unknown } | undefined): number {
  if (!counts) return 0;
  const positive = (v: unknown) => typeof v === 'number' && v > 0;
  return positive(counts.error) ? RANK.error : positive(counts.warning) ? RANK.warning : positive(counts.note) ? RANK.note : 0;
}

/** Fields of one csv record (RFC 4180); `text` may span lines (a quoted line break). */
export function csvFields(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

const quotesOpen = (text: string) => (text.split('"').length - 1) % 2 === 1;

/**
 * Reads an earlier output of this run's format (`ndjson`: one report per line; `csv`: the header,
 * then one row per domain) and remembers each domain in it and the worst severity of its findings.
 * A line that does not parse is skipped (its domain is audited again); a last line cut short is
 * noted in `cutAt`. A missing file means nothing was done yet. Throws InputError for a file that is
 * not such an output (a csv without the header, a line longer than MAX_RESUME_LINE_BYTES).
 */
export async function readResumeFile(path: string, format: 'ndjson' | 'csv' = 'ndjson', csvHeader?: CsvHeader): Promise<ResumeState> {
  const state: ResumeState = { done: new Set(), lines: 0, skipped: 0, unterminated: false, header: false, worst: 0 };
  const stream = createReadStream(path);
  const lineState: LineState = { completeBytes: 0, unterminated: false };
  const what = `--resume ${path}`;
  let lineNo = 0;
  let pending = '';
  let lastStart = 0;
  const remember = (domain: string, worst: number) => {
    state.done.add(nameDigest(domain));
    state.lines++;
    state.worst = Math.max(state.worst, worst);
  };
  try {
    for await (const line of linesOf(stream, { maxBytes: MAX_RESUME_LINE_BYTES, what, state: lineState })) {
      lineNo++;
      if (lineState.unterminated) {
        // The last line, without a line end: a report only if it parses whole (a csv row never does:
        // its last field may have been cut).
        const parsed = format === 'ndjson' ? ndjsonReport(line) : undefined;
        if (parsed) remember(parsed.domain, parsed.worst);
        else if (line.trim() !== '' || pending) state.cutAt = pending ? lastStart : lineState.completeBytes;
        break;
      }
      if (format === 'ndjson') {
        if (line.trim() === '') continue;
        const parsed = ndjsonReport(line);
        if (parsed) remember(parsed.domain, parsed.worst);
        else if (lineNo === 1 && csvHeader !== undefined && line === csvHeader) {
          throw new InputError(`${what} is a csv output: resume it with --format csv`);
        } else state.skipped++;
        continue;
      }
      // csv
      if (lineNo === 1) {
        if (line !== csvHeader) {
          throw new InputError(`${what} is not a csv output of mailaudit: its first line is not the header ${csvHeader}`);
        }
        state.header = true;
        lastStart = lineState.completeBytes;
        continue;
      }
      pending = pending ? `${pending}\n${line}` : line;
      if (quotesOpen(pending)) continue;
      const fields = csvFields(pending);
      pending = '';
      lastStart = lineState.completeBytes;
      const domain = fields[0] ?? '';
      if (domain === '' || fields.length < 4) {
        state.skipped++;
        continue;
      }
      remember(domain, worstOf({ error: Number(fields[1]), warning: Number(fields[2]), note: Number(fields[3]) }));
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return state;
    throw new InputError(`cannot read ${what}: ${code ?? (err as Error).message}`);
  } finally {
    stream.destroy();
  }
  // A csv row whose quoted field never closed: cut short.
  if (pending && state.cutAt === undefined) state.cutAt = lastStart;
  state.unterminated = lineState.unterminated;
  return state;
}

function ndjsonReport(line: string): { domain: string; worst: number } | undefined {
  let value: { domain?: unknown; summary?: { error?: unknown; warning?: unknown; note?: unknown } } | undefined;
  try {
    value = JSON.parse(line) as typeof value;
  } catch {
    return undefined;
  }
  if (typeof value?.domain !== 'string' || value.domain === '') return undefined;
  return { domain: value.domain, worst: worstOf(value.summary) };
}

/** Cuts a file back to `length` bytes (drops a last line cut short before a run appends to it). */
export async function cutFile(path: string, length: number): Promise<void> {
  try {
    await truncate(path, length);
  } catch (err) {
    throw new InputError(`cannot truncate --resume ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
