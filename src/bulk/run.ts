import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Writable } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { auditStream, buildReport, type AuditOptions } from '../audit.js';
import { builtinRules } from '../engine/load.js';
import { InputError, type DomainName } from '../input/domain.js';
import { checkOptions } from '../run/options.js';
import { linesOf, nameDigest, openList, readDomainList, type BadLine } from '../input/list.js';
import { cutFile, readResumeFile, type ResumeState } from '../input/resume.js';
import { inShard, type Shard } from '../input/shard.js';
import { SEVERITY_RANK } from '../report/counts.js';
import { renderCsvHeader, renderCsvRow } from '../report/csv.js';
import { JsonStreamWriter } from '../report/json-stream.js';
import { renderNdjsonLine } from '../report/ndjson.js';
import { SarifStreamWriter, type SarifOptions } from '../report/sarif.js';
import type { textWriter } from '../report/text.js';
import type { DomainReport, Report, Severity } from '../types.js';
import { heapKeeper } from './gc.js';
import { resumeCommand, SIGNAL_EXIT_CODE, watchSignals, type StopSignal } from './interrupt.js';
import { ProgressBar } from './progress.js';

/** What the CLI hands over for a list run (`--input`, or `--format ndjson|csv`). */
export interface BulkOptions {
  /** Names from the command line, already validated. */
  domains: DomainName[];
  /** `--input`: a file, or `-` for standard input. */
  input?: string;
  format: 'ndjson' | 'csv' | 'text' | 'json' | 'sarif' | 'html';
  /** For html (and text without textWriter, sarif without `sarif`): renders the whole report once every domain is done (json is streamed). */
  renderWhole?: (report: Report) => string;
  /** For sarif: writes each domain's results as it is done, in input order (instead of renderWhole). */
  sarif?: SarifOptions;
  /** For text: writes each domain as it is done, in input order (instead of renderWhole). */
  textWriter?: TextWriter;
  /** The command's arguments: an interrupted run says how to resume with them. */
  argv?: readonly string[];
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

type TextWriter = ReturnType<typeof textWriter>;

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
    for await (const d of readDomainList(linesOf(stream, { what: describeList(options) }), { seen, onBadLine })) if (keep(d)) yield d;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read input list ${options.input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    stream.destroy();
  }
}

function describeList(options: BulkOptions): string {
  return options.input === undefined ? 'the command line' : `input list ${options.input === '-' ? 'stdin' : options.input}`;
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
 * finish (or in input order with --ordered), JSON, SARIF and text domain by domain in input order, each
 * waiting for the output to drain; HTML is rendered once at the end. Domains given on the command line are
 * a list too (de-duplicated, streamed). SIGINT/SIGTERM stop the run: what is done is written, the
 * output is closed valid, and stderr says how far the run got and how to resume. Returns the exit code.
 */
export async function runBulk(options: BulkOptions): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  // Bad options first, as audit() reports them (prepareRun checks them again).
  checkOptions(options.audit, options.audit.rules ?? builtinRules());
  if (options.input === undefined && options.domains.length === 0 && !options.audit.zoneFile && !options.audit.zoneFiles?.length) {
    throw new InputError('no domain given: expected a domain name such as example.com, or --input FILE');
  }
  const streaming = STREAMING_FORMATS.has(options.format);
  if (options.resume !== undefined && !streaming) {
    throw new InputError(`--resume needs --format ndjson or csv (a ${options.format} report is written whole), got --format ${options.format}`);
  }
  const resumeFormat = options.format === 'csv' ? 'csv' : 'ndjson';
  const csvHeader = renderCsvHeader().replace(/\r\n$/, '');
  const resume = options.resume !== undefined ? await readResumeFile(options.resume, resumeFormat, csvHeader) : undefined;
  if (resume && resume.skipped > 0) {
    stderr.write(`mailaudit: --resume ${options.resume}: ${resume.skipped} line${resume.skipped === 1 ? ' is' : 's are'} not ${resumeFormat} reports; their domains are audited again\n`);
  }
  const appendToResume =
    resume !== undefined && options.output !== undefined && resolvePath(options.output) === resolvePath(options.resume!);
  // A last line cut short (a short write): dropped before appending, its domain audited again.
  if (appendToResume && resume!.cutAt !== undefined) await cutFile(options.output!, resume!.cutAt);
  const badLines = { count: 0 };
  const onBadLine = (bad: BadLine) => {
    badLines.count++;
    stderr.write(`mailaudit: ${options.input === '-' ? 'stdin' : options.input}:${bad.line}: ${bad.reason}; skipped\n`);
  };

  const stderrIsTTY = options.stderrIsTTY ?? Boolean(stderr.isTTY);
  const isList = options.input !== undefined || streaming || options.domains.length > 1;
  const progress = !options.quiet && stderrIsTTY && isList ? new ProgressBar(stderr, undefined, options.columns) : undefined;
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
  // The exit code reflects the whole file: the reports an earlier run wrote count too.
  let failing = resume !== undefined && resume.worst >= threshold;
  const whole: DomainReport[] = [];
  const auditOptions: AuditOptions = { ...options.audit, ordered: options.audit.ordered || !streaming };
  const sharedTerminal = progress && out === process.stdout && (options.stdoutIsTTY ?? process.stdout.isTTY);
  const writer = new BatchedWriter(out, sharedTerminal ? () => stderr.write('\r\x1b[K') : undefined);
  const sarif =
    options.format === 'sarif' && options.sarif ? new SarifStreamWriter((text) => writer.write(text), options.sarif, buildReport([]).tool.version) : undefined;
  // json and sarif on the main thread hold the domains done but not yet written in input order: a
  // headroom of the live size halves their time (3,000 domains: 21–34 s → 11–14 s) for ~40 MB of RSS.
  const heap = streaming ? heapKeeper() : options.format === 'json' || sarif ? heapKeeper({ growth: 1 }) : undefined;
  const json = options.format === 'json' ? new JsonReportWriter((text) => writer.write(text)) : undefined;
  const text = options.format === 'text' ? options.textWriter : undefined;
  const textSummary = { domains: 0, error: 0, warning: 0, note: 0 };
  const signals = watchSignals();
  let stoppedBy: StopSignal | undefined;
  // Ends the wait for the next report when a signal comes. One slot, replaced at each wait: racing
  // each wait against `signals.stopped` (Promise.race) leaves a reaction on that promise per domain,
  // and each one keeps its domain's report alive until the run ends.
  let wake: (() => void) | undefined;
  void signals.stopped.then((s) => {
    stoppedBy = s;
    wake?.();
  });
  let written = 0;
  try {
    if (appendToResume && resume!.unterminated && resume!.cutAt === undefined) await writer.write('\n');
    if (options.format === 'csv' && !(appendToResume && resume!.header)) await writer.write(renderCsvHeader());
    const reports = auditStream(domainsToAudit(options, resume, onBadLine), auditOptions)[Symbol.asyncIterator]();
    for (;;) {
      // A signal does not wait for the domains in flight (an SMTP step may take a minute).
      const next = await new Promise<IteratorResult<DomainReport> | undefined>((resolve, reject) => {
        if (stoppedBy) return resolve(undefined);
        wake = () => resolve(undefined);
        reports.next().then(resolve, reject);
      });
      wake = undefined;
      if (next === undefined || next.done) break;
      const report = next.value;
      if (!failing && report.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold)) failing = true;
      progress?.tick(report);
      if (options.format === 'ndjson') await writer.write(renderNdjsonLine(report));
      else if (options.format === 'csv') await writer.write(renderCsvRow(report));
      else if (json) await json.add(report);
      else if (sarif) await sarif.add(report);
      else if (text) {
        addCounts(textSummary, report);
        await writer.write(text.domain(report));
      } else whole.push(report);
      written++;
      if (outputError || stoppedBy) break;
      heap?.maybeCollect();
    }
    // Stopped early: stop pulling the list (the domains in flight are not waited for).
    if (stoppedBy || outputError) void reports.return?.(undefined).catch(() => undefined);
    if (json && !outputError) await json.finish();
    // The run's end time, as buildReport stamps a whole report once every domain is done.
    else if (sarif && !outputError) await sarif.finish(buildReport([]).generatedAt);
    else if (text && !outputError) await writer.write(text.end(textSummary));
    else if (!streaming && !outputError) await writer.write(options.renderWhole!(buildReport(whole)));
  } finally {
    signals.dispose();
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
  if (stoppedBy) {
    await reportStop(options, resume, stoppedBy, written, stderr);
    const code = SIGNAL_EXIT_CODE[stoppedBy];
    // The output is complete: exit without waiting for the domains still in flight (their sockets
    // and timers would keep the process alive until their timeouts). A worker thread is ended by
    // worker-main.ts, which sees stoppedBySignal().
    if (isMainThread) setImmediate(() => process.exit(code));
    return code;
  }
  return failing ? 1 : 0;
}

/** After a signal: how far the run got, and the command that resumes it. */
async function reportStop(options: BulkOptions, resume: ResumeState | undefined, signal: StopSignal, written: number, stderr: NodeJS.WritableStream) {
  // The list is counted again only when that is cheap and certain to end (a file, or the command line).
  const total = await countDomains(options, resume).catch(() => undefined);
  const where = options.output ?? 'stdout';
  const earlier = resume?.lines ? ` (after the ${resume.lines} an earlier run wrote)` : '';
  stderr.write(`mailaudit: stopped by ${signal}: ${written} of ${total ?? 'an unknown number of'} domains written to ${where}${earlier}\n`);
  if (STREAMING_FORMATS.has(options.format) && options.output !== undefined && options.argv) {
    stderr.write(`mailaudit: to audit the rest: ${resumeCommand(options.argv, options.output)}\n`);
  } else if (STREAMING_FORMATS.has(options.format)) {
    stderr.write(`mailaudit: to audit the rest, run the same command with --resume FILE, FILE being where this output went\n`);
  } else {
    stderr.write(`mailaudit: the report lists the domains done; only --format ndjson or csv can be resumed\n`);
  }
}

function addCounts(summary: Report['summary'], report: DomainReport): void {
  summary.domains++;
  summary.error += report.summary.error;
  summary.warning += report.summary.warning;
  summary.note += report.summary.note;
}

/** `--format json`, domain by domain: the same text as renderJson(buildReport(domains)), never held whole. */
class JsonReportWriter {
  private readonly doc: JsonStreamWriter;
  private opened = false;
  private readonly head = buildReport([]);
  private readonly summary = { domains: 0, error: 0, warning: 0, note: 0 };

  constructor(write: (text: string) => Promise<void>) {
    this.doc = new JsonStreamWriter(write);
  }

  private async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    const { schemaVersion, tool, generatedAt } = this.head;
    await this.doc.open({ schemaVersion, tool, generatedAt }, 'domains');
  }

  async add(report: DomainReport): Promise<void> {
    await this.open();
    addCounts(this.summary, report);
    await this.doc.item(report);
  }

  async finish(): Promise<void> {
    await this.open();
    await this.doc.close({ summary: this.summary }, '\n');
  }
}
