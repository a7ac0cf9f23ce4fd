import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '../input/domain.js';
import type { DomainReport } from '../types.js';

/** A line of an NDJSON file that is not a domain report (cut short, or another format). */
export interface SkippedLine {
  file: string;
  line: number;
  reason: string;
}

function isDomainReport(v: unknown): v is DomainReport {
  const o = v as DomainReport;
  return typeof o === 'object' && o !== null && typeof o.domain === 'string' && Array.isArray(o.findings) && typeof o.records === 'object' && o.records !== null;
}

/**
 * The domain reports of NDJSON files (`--format ndjson` output, one file or many shards), one at a time:
 * memory holds one line, never a file. Blank lines are ignored; a line that is not a report is passed
 * to `onSkip` (a run killed mid-write leaves its last line cut short).
 */
export async function* readReports(files: readonly string[], onSkip: (s: SkippedLine) => void): AsyncGenerator<DomainReport> {
  for (const file of files) {
    const stream = file === '-' ? process.stdin : createReadStream(file);
    const opened = new Promise<void>((resolve, reject) => {
      if (file === '-') return resolve();
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) => reject(new InputError(`cannot read ${file}: ${err.code ?? err.message}`)));
    });
    await opened;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const line of lines) {
        n++;
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          onSkip({ file, line: n, reason: 'not JSON' });
          continue;
        }
        if (isDomainReport(value)) yield value;
        else onSkip({ file, line: n, reason: 'not a domain report' });
      }
    } catch (err) {
      throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    } finally {
      lines.close();
      if (file !== '-') (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
    }
  }
}
