import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import yargs from 'yargs';
import { builtinRules } from '../engine/load.js';
import { usageMessage } from '../cli-options.js';
import { InputError } from '../input/domain.js';
import { VERSION } from '../paths.js';
import { renderFleetHtml } from '../report/fleet-html.js';
import { renderFleetCsvHeader, renderFleetCsvRow, renderFleetText } from '../report/fleet-text.js';
import { BaselineComparer } from './compare.js';
import { FLEET_SCHEMA, type FleetDocument } from './document.js';
import { readReports, type SkippedLine } from './read.js';
import { DEFAULT_ROW_LIMIT, FleetAggregator, toRow } from './summary.js';
import { categoryLookup } from './verdicts.js';

export const REPORT_FORMATS = ['text', 'json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportOptions {
  files: string[];
  format: ReportFormat;
  output?: string;
  baseline?: string[];
  maxRows: number;
  /** Where notes on skipped lines go. */
  stderr?: NodeJS.WritableStream;
}

/** `-o dashboard.html` (or .json, .csv) picks the format when --format is not given. */
function formatFromOutput(output: string | undefined): ReportFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(output ?? '')?.[1]?.toLowerCase();
  return ext === 'html' || ext === 'htm' ? 'html' : ext === 'json' ? 'json' : ext === 'csv' ? 'csv' : undefined;
}

/** Parses `mailaudit report FILE… [--format F] [-o FILE] [--baseline FILE…]`; throws InputError for bad input. */
export async function parseReportArgs(argv: string[]): Promise<ReportOptions | 'help'> {
  let help = false;
  // yargs drops a lone "-": carried through as a placeholder (after "--" everything is a file name).
  const STDIN = '\u0000stdin';
  const end = argv.indexOf('--');
  argv = argv.map((a, i) => (a === '-' && (end < 0 || i < end) ? STDIN : a));
  const args = await yargs(argv)
    .scriptName('mailaudit report')
    .usage('$0 <results.ndjson..>\n\nThe fleet view of list runs (--format ndjson output; one file or many shards), without asking DNS again.')
    .command('$0 [files..]', 'the fleet view', (y) => y.positional('files', { type: 'string', array: true, describe: 'NDJSON files (- for stdin)' }))
    .option('format', { alias: 'f', choices: REPORT_FORMATS, describe: 'output format', defaultDescription: 'from the --output extension, else text' })
    .option('output', { alias: 'o', type: 'string', describe: 'write to FILE instead of stdout' })
    .option('baseline', { type: 'string', array: true, nargs: 1, describe: 'NDJSON of an earlier run (repeatable, for its shards): what got better or worse' })
    .option('max-rows', { type: 'string', default: String(DEFAULT_ROW_LIMIT), defaultDescription: String(DEFAULT_ROW_LIMIT), describe: 'domains listed in the JSON and HTML views (all are counted); a whole number' })
    .example('$0 shard-*.ndjson -o posture.html', 'one dashboard from the shards of a run')
    .example('$0 today.ndjson --baseline yesterday.ndjson', 'what changed since yesterday')
    .strict()
    .help()
    .alias('help', 'h')
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new InputError(usageMessage('mailaudit report --help', (msg || err?.message || 'invalid arguments').replace(/\s*\n\s*/g, ' '), argv));
    })
    .parseAsync(argv, {}, (err, _argv, output) => {
      if (output && !err) {
        process.stdout.write(`${output}\n`);
        help = true;
      }
    });
  if (help) return 'help';
  const files = [...((args.files as string[] | undefined) ?? []), ...args._].map((f) => (String(f) === STDIN ? '-' : String(f)));
  if (files.length === 0) throw new InputError('report: no input given: expected one or more NDJSON files (mailaudit --format ndjson output), or - for stdin');
  // Given twice, the last one wins (as for every single-valued option).
  const given = String([args['max-rows']].flat().at(-1));
  const maxRows = /^\d+$/.test(given) ? Number(given) : NaN;
  if (!Number.isSafeInteger(maxRows)) throw new InputError(`--max-rows must be a whole number ≥ 0, got ${JSON.stringify(given)}`);
  const options: ReportOptions = { files, format: args.format ?? formatFromOutput(args.output) ?? 'text', maxRows };
  if (args.output !== undefined) options.output = args.output;
  if (args.baseline?.length) options.baseline = args.baseline.map((f) => (String(f) === STDIN ? '-' : String(f)));
  return options;
}

async function openOutput(path: string | undefined): Promise<Writable> {
  if (path === undefined) return process.stdout;
  const file = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (err: NodeJS.ErrnoException) => reject(new InputError(`cannot write ${path}: ${err.code ?? err.message}`)));
  });
  return file;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'close')]).catch(() => undefined);
}

/** Reads the NDJSON inputs (and baseline), writes the fleet view; returns the exit code. */
export async function runReport(options: ReportOptions): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  const rules = builtinRules();
  const categoryOf = categoryLookup(rules);
  const skipped: SkippedLine[] = [];
  const onSkip = (s: SkippedLine) => {
    skipped.push(s);
    if (skipped.length <= 5) stderr.write(`mailaudit: ${s.file}:${s.line}: ${s.reason}; skipped\n`);
  };
  let comparer: BaselineComparer | undefined;
  if (options.baseline) {
    comparer = new BaselineComparer(categoryOf);
    for await (const r of readReports(options.baseline, onSkip)) comparer.addBaseline(r);
  }
  const streamingCsv = options.format === 'csv';
  // csv writes each row as it is read, and text lists no domain: neither keeps rows.
  const aggregator = new FleetAggregator(categoryOf, streamingCsv || options.format === 'text' ? 0 : options.maxRows);
  const out = await openOutput(options.output);
  let outputError: NodeJS.ErrnoException | undefined;
  const onOutputError = (err: NodeJS.ErrnoException) => (outputError ??= err);
  out.on('error', onOutputError);
  try {
    if (streamingCsv) await write(out, renderFleetCsvHeader());
    for await (const r of readReports(options.files, (s) => (aggregator.skipLine(), onSkip(s)))) {
      const verdicts = aggregator.add(r);
      if (!verdicts) continue;
      comparer?.compare(r, verdicts);
      if (streamingCsv) await write(out, renderFleetCsvRow(toRow(r, verdicts)));
      if (outputError) break;
    }
    if (skipped.length > 5) stderr.write(`mailaudit: ${skipped.length} lines skipped in all\n`);
    if (!streamingCsv && !outputError) {
      const summary = aggregator.finish();
      if (summary.domains === 0 && skipped.length > 0) throw new InputError(`no domain report in ${options.files.join(', ')}: expected mailaudit --format ndjson output`);
      const doc: FleetDocument = {
        schema: FLEET_SCHEMA,
        tool: { name: 'mailaudit', version: VERSION },
        generatedAt: new Date().toISOString(),
        inputs: options.files,
        ...(options.baseline ? { baseline: options.baseline } : {}),
        ...summary,
        ...(comparer ? { comparison: comparer.finish() } : {}),
      };
      const text =
        options.format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : options.format === 'html' ? renderFleetHtml(doc, { rules }) : renderFleetText(doc);
      await write(out, text);
    }
  } finally {
    if (out !== process.stdout) {
      out.end();
      await once(out, 'finish').catch(() => undefined);
    }
  }
  // The reader went away (`| head`): not an error of ours.
  if (outputError && outputError.code !== 'EPIPE') throw new InputError(`cannot write ${options.output ?? 'stdout'}: ${outputError.code ?? outputError.message}`);
  return 0;
}

/** The `report` command from its arguments (after the word `report`). */
export async function reportCommand(argv: string[]): Promise<number> {
  const options = await parseReportArgs(argv);
  if (options === 'help') return 0;
  return runReport(options);
}
