import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import { InputError } from './domain.js';
import { nameDigest } from './list.js';

/** The domains already audited by an earlier NDJSON run, as digests of their normalized names. */
export interface ResumeState {
  done: Set<number>;
  /** Complete report lines read. */
  lines: number;
  /** Lines that were not a report (a line cut short when the earlier run was stopped). */
  skipped: number;
  /** The file does not end with a newline (its last line was cut short). */
  unterminated: boolean;
}

/**
 * Reads an earlier `--format ndjson` output line by line and remembers each `domain` in it. A line that
 * does not parse (typically the last one, cut when the run was killed) is skipped: its domain is
 * audited again. A missing file means nothing was done yet.
 */
export async function readResumeFile(path: string): Promise<ResumeState> {
  const state: ResumeState = { done: new Set(), lines: 0, skipped: 0, unterminated: false };
  const stream = createReadStream(path, { encoding: 'utf8' });
  let last = '';
  stream.on('data', (chunk) => {
    if (chunk.length) last = (chunk as string).slice(-1);
  });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let domain: unknown;
      try {
        domain = (JSON.parse(line) as { domain?: unknown }).domain;
      } catch {
        domain = undefined;
      }
      if (typeof domain === 'string' && domain !== '') {
        state.done.add(nameDigest(domain));
        state.lines++;
      } else state.skipped++;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return state;
    throw new InputError(`cannot read --resume file ${path}: ${code ?? (err as Error).message}`);
  }
  state.unterminated = last !== '' && last !== '\n';
  return state;
}
