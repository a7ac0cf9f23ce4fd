import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Writable } from 'node:stream';
import { auditStream, buildReport, type AuditOptions } from '../audit.js';
import { InputError, type DomainName } from '../input/domain.js';
import { linesOf, nameDigest, openList, readDomainList, type BadLine } from '../input/list.js';
import { readResumeFile, type ResumeState } from '../input/resume.js';
import { inShard, type Shard } from '../input/shard.js';
import { SEVERITY_RANK } from '../report/counts.js';
import { renderCsvHeader, renderCsvRow } from '../report/csv.js';
import { renderNdjsonLine } from '../report/ndjson.js';
import type { DomainReport, Report, Severity } from '../types.js';
import { heapKeeper } from './gc.js';
import { ProgressBar } from './progress.js';

/** What the CLI hands over for a list run (`--input`, or `--format ndjson|csv`). */
export interface BulkOptions {
  /** Names from the command line, already validated. */
  domains: DomainName[];
  /** `--input`: a file, or `-` for standard input. */
  input?: string;
  format: 'ndjson' | 'csv' | 'text' | 'json' | 'sarif' | 'html';
  /** For text, json and sarif: renders the whole report once every domain is done. */
  renderWhole?: (report: Report) => string;
  output?: string;
  shard?: Shard;
  resume?: string;
  quiet: boolean;
  failOn: Severity | 'none';
  audit: AuditOptions;
  /** Where bad lines and notices go (default process.stderr). */
  stderr?: NodeJS.WriteStream;
  /** In a worker thread, stdio are pipes to the main thread: what the terminal really is. */
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  columns?: number;
}

export const STREAMING_FORMATS: ReadonlySet<string> = new Set(['ndjson', 'csv']);

/** The domains to audit, lazily: command-line names, then the list, minus duplicates, other shards and resumed ones. */
async function* domainsToAudit(
  options: BulkOptions,
  resume: ResumeState | undefined,
  onBadLine: (bad: BadLine) => void,
): AsyncGenerator<DomainName> {
  const keep = (d: DomainName) => (!options.shard || inShard(d.name, options.shard)) && !resume?.done.has(nameDigest(d.name));
  const seen = new Set<number>();
  for (const d of options.domains) {
    const digest = nameDigest(d.name);
    if (seen.has(digest)) continue;
    seen.add(digest);
    if (keep(d)) yield d;
  }
  if (options.input === undefined) return;
  const stream = await openList(options.input);
  try {
    for await (const d of readDomainList(linesOf(stream), { seen, onBadLine })) if (keep(d)) yield d;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read input list ${options.input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    stream.destroy();
  }
}

/** For the progress bar: how many domains the list will give (a second, counting pass over a regular file). */
async function countDomains(options: BulkOptions, resume: ResumeState | undefined): Promise<number | undefined> {
  if (options.input !== undefined && (options.input === '-' || !statSync(options.input, { throwIfNoEntry: false })?.isFile())) {
    return undefined;
  }
  let n = 0;
  for await (const _ of domainsToAudit(options, resume, () => {})) n++;
  return n;
}

/**
 * Writes lines in batches of up to 64 KiB (a system call per line costs more than the line), flushed
 * as soon as the event loop would wait, and waits for the stream to drain when it is full.
 */
class BatchedWriter {
  private pending: string[] = [];
  private size = 0;
  private scheduled = false;
  /** Set while the stream is full: resolves on its next 'drain'. */
  private drained: Promise<unknown> | undefined;
  constructor(
    private readonly out: Writable,
    /** Called before each batch is written (clears the progress line when both share a terminal). */
    private readonly beforeFlush?: () => void,
  ) {}

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= 65536) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (this.drained) {
      await this.drained;
      this.drained = undefined;
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.size === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.size = 0;
    this.beforeFlush?.();
    if (!this.out.write(text)) this.drained ??= once(this.out, 'drain').catch(() => undefined);
  }
}

/**
 * Audits a list as a stream and writes the output. NDJSON and CSV are written domain by domain as they
 * finish (or in input order with --ordered), waiting for the output to drain; text, JSON and SARIF are
 * rendered once at the end. Returns the exit code.
 */
export async function runBulk(options: BulkOptions): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  if (options.input === undefined && options.domains.length === 0 && !options.audit.zoneFile) {
    throw new InputError('no domain given: expected a domain name such as example.com, or --input FILE');
  }
  const streaming = STREAMING_FORMATS.has(options.format);
  const resume = options.resume !== undefined ? await readResumeFile(options.resume) : undefined;
  if (resume && resume.skipped > 1) {
    // More than a last line cut short: probably not an ndjson output at all (csv?).
    stderr.write(`mailaudit: --resume ${options.resume}: ${resume.skipped} lines are not ndjson reports; their domains are audited again\n`);
  }
  const appendToResume =
    resume !== undefined && options.output !== undefined && resolvePath(options.output) === resolvePath(options.resume!);
  const badLines = { count: 0 };
  const onBadLine = (bad: BadLine) => {
    badLines.count++;
    stderr.write(`mailaudit: ${options.input === '-' ? 'stdin' : options.input}:${bad.line}: ${bad.reason}; skipped\n`);
  };

  const stderrIsTTY = options.stderrIsTTY ?? Boolean(stderr.isTTY);
  const progress = !options.quiet && stderrIsTTY ? new ProgressBar(stderr, undefined, options.columns) : undefined;
  if (progress) {
    const total = await countDomains(options, resume);
    if (total !== undefined) progress.setTotal(total);
  }

  let out: Writable = process.stdout;
  let outputError: Error | undefined;
  if (options.output !== undefined) {
    const file = createWriteStream(options.output, { flags: appendToResume ? 'a' : 'w' });
    await new Promise<void>((resolve, reject) => {
      file.once('open', () => resolve());
      file.once('error', (err: NodeJS.ErrnoException) =>
        reject(new InputError(`cannot write ${options.output}: ${err.code ?? err.message}`)),
      );
    });
    out = file;
  }
  const onOutputError = (err: Error) => (outputError ??= err);
  out.on('error', onOutputError);

  const threshold = options.failOn === 'none' ? Infinity : SEVERITY_RANK[options.failOn];
  let failing = false;
  const whole: DomainReport[] = [];
  const auditOptions: AuditOptions = { ...options.audit, ordered: options.audit.ordered || !streaming };
  const sharedTerminal = progress && out === process.stdout && (options.stdoutIsTTY ?? process.stdout.isTTY);
  const writer = new BatchedWriter(out, sharedTerminal ? () => stderr.write('\r\x1b[K') : undefined);
  const heap = streaming ? heapKeeper() : undefined;
  try {
    if (appendToResume && resume!.unterminated) await writer.write('\n');
    if (options.format === 'csv' && !appendToResume) await writer.write(renderCsvHeader());
    for await (const report of auditStream(domainsToAudit(options, resume, onBadLine), auditOptions)) {
      if (!failing && report.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold)) failing = true;
      progress?.tick(report);
      if (options.format === 'ndjson') await writer.write(renderNdjsonLine(report));
      else if (options.format === 'csv') await writer.write(renderCsvRow(report));
      else whole.push(report);
      if (outputError) break;
      heap?.maybeCollect();
    }
    if (!streaming && !outputError) await writer.write(options.renderWhole!(buildReport(whole)));
  } finally {
    writer.flush();
    progress?.finish();
    if (out !== process.stdout) {
      (out as NodeJS.WritableStream).end();
      if (!outputError) await once(out, 'finish').catch(() => undefined);
    }
  }
  if (outputError) {
    const code = (outputError as NodeJS.ErrnoException).code;
    // The reader went away (`| head`): not an error of ours.
    if (code === 'EPIPE') return failing ? 1 : 0;
    throw new InputError(`cannot write ${options.output ?? 'stdout'}: ${code ?? outputError.message}`);
  }
  if (badLines.count > 0 && !options.quiet) {
    stderr.write(`mailaudit: ${badLines.count} bad line${badLines.count === 1 ? '' : 's'} skipped\n`);
  }
  return failing ? 1 : 0;
}
