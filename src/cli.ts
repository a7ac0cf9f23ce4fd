import { writeFile } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { audit, DEFAULT_STREAM_CONCURRENCY, type AuditOptions } from './audit.js';
import { runBulk, STREAMING_FORMATS } from './bulk/run.js';
import { runInWorker, workerTerminal } from './bulk/worker.js';
import { DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES, parseDnsServer } from './dns/live.js';
import { builtinRules, RuleLoadError } from './engine/load.js';
import { InputError, parseDomainName } from './input/domain.js';
import { parseShard } from './input/shard.js';
import { VERSION } from './paths.js';
import { SEVERITY_RANK } from './report/counts.js';
import { renderJson } from './report/json.js';
import { renderSarif } from './report/sarif.js';
import { renderText } from './report/text.js';
import type { Report, Severity } from './types.js';

const FORMATS = ['text', 'json', 'sarif', 'ndjson', 'csv'] as const;
const FAIL_ON = ['error', 'warning', 'note', 'none'] as const;

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** Stops the CLI with exit code 2 and one line on stderr. */
class UsageError extends Error {}

function parser(argv: string[]) {
  return yargs(argv)
    .scriptName('mailaudit')
    .usage('$0 [domain..]\n\nAudit the mail setup of each domain: MX, SPF, DMARC and more, with the RFC behind each finding and its fix.')
    .command('$0 [domains..]', false as unknown as string)
    .positional('domains', { type: 'string', array: true, describe: 'domains to audit' })
    .option('format', { alias: 'f', choices: FORMATS, default: 'text' as const, describe: 'output format' })
    .option('output', { alias: 'o', type: 'string', describe: 'write the report to FILE instead of stdout' })
    .option('dns-server', { type: 'string', array: true, describe: 'DNS server IP[:PORT] (repeatable)', defaultDescription: "the system's resolvers" })
    .option('timeout', { type: 'number', default: DEFAULT_DNS_TIMEOUT_MS, describe: 'timeout per DNS query in ms' })
    .option('tries', { type: 'number', default: DEFAULT_DNS_TRIES, describe: 'tries per DNS query and server' })
    .option('fail-on', { choices: FAIL_ON, default: 'error' as const, describe: 'exit 1 when a finding is at or above this severity' })
    .option('disable', { type: 'string', array: true, describe: 'rule id not to check (repeatable)', defaultDescription: 'none' })
    .option('zone', { type: 'string', describe: 'audit the records of this zone file before it is deployed' })
    .option('smtp', { type: 'boolean', default: true, describe: 'probe each MX host over SMTP (--no-smtp to skip)' })
    // Lists of domains (issue 7)
    .option('input', { alias: 'i', type: 'string', describe: 'audit the domains in FILE, one per line (- for stdin; # comments)' })
    .option('concurrency', { type: 'number', default: DEFAULT_STREAM_CONCURRENCY, describe: 'domains audited at once' })
    .option('ordered', { type: 'boolean', default: false, describe: 'ndjson/csv: write domains in input order, not as they finish' })
    .option('qps', { type: 'number', describe: 'at most N DNS queries per second', defaultDescription: 'no limit' })
    .option('shard', { type: 'string', describe: 'audit only shard K of N of the list (K/N, by a hash of each name)' })
    .option('resume', { type: 'string', describe: 'skip domains already in this earlier ndjson output' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar on stderr' })
    .example('$0 example.com', 'audit a live domain')
    .example('$0 --zone fixtures/clean/zone.db', 'lint a zone file before deploying it')
    .example('$0 -f sarif -o mailaudit.sarif example.com', 'SARIF for GitHub code scanning')
    .example('$0 -i domains.txt -f ndjson -o out.ndjson --resume out.ndjson', 'audit a list, resuming an earlier run')
    .epilog('Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or input error.')
    .strict()
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UsageError((msg || err?.message || 'invalid arguments').replace(/\s*\n\s*/g, ' '));
    });
}

function positiveNumber(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} must be a positive number, got ${value}`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive integer, got ${value}`);
  return value;
}

function exitCodeFor(report: Report, failOn: Severity | 'none'): number {
  if (failOn === 'none') return EXIT_OK;
  const threshold = SEVERITY_RANK[failOn];
  const failing = report.domains.some((d) => d.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold));
  return failing ? EXIT_FINDINGS : EXIT_OK;
}

function useColor(): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(process.stdout.isTTY);
}

/** yargs reads `--input -` as an empty value and a positional "-": make it `--input=-`. */
function joinStdinInput(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return [...out, ...argv.slice(i)];
    if (argv[i] === '--input' && argv[i + 1] === '-') {
      out.push('--input=-');
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

async function run(rawArgv: string[]): Promise<number> {
  const argv = joinStdinInput(rawArgv);
  let helpShown = false;
  const args = await parser(argv)
    .showHelpOnFail(false)
    .middleware(() => undefined)
    .parseAsync(argv, {}, (err, _argv, output) => {
      if (output && !err) {
        process.stdout.write(`${output}\n`);
        helpShown = true;
      }
    });
  if (helpShown) return EXIT_OK;
  const dnsServers = (args['dns-server'] ?? []).map((s) => {
    try {
      return parseDnsServer(String(s));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  // Loaded when first needed: a streaming run hands over to its worker before (see bulk/worker.ts).
  const rules = () => builtinRules();
  // Names after `--` land in `_`: they are domains too, validated like the others.
  const domains = [...(args.domains ?? []), ...args._].map(String);
  const auditOptions: AuditOptions = {
    dnsServers,
    timeoutMs: positiveNumber('timeout', args.timeout),
    tries: positiveNumber('tries', args.tries),
    zoneFile: args.zone,
    disable: (args.disable ?? []).map(String),
    concurrency: positiveInteger('concurrency', args.concurrency),
    ordered: args.ordered,
    qps: args.qps === undefined ? undefined : positiveNumber('qps', args.qps),
  };
  const render = (report: Report) =>
    args.format === 'json'
      ? renderJson(report)
      : args.format === 'sarif'
        ? renderSarif(report, { rules: rules() })
        : renderText(report, { rules: rules(), color: !args.output && useColor() });
  if (args.input !== undefined || STREAMING_FORMATS.has(args.format) || args.shard !== undefined || args.resume !== undefined) {
    const shard = args.shard === undefined ? undefined : parseShard(args.shard);
    // A streaming run goes on in a worker thread whose heap is capped (see bulk/worker.ts).
    if (STREAMING_FORMATS.has(args.format) && isMainThread) return runInWorker(rawArgv, { stdin: args.input === '-' });
    const terminal = workerTerminal();
    return runBulk({
      stdoutIsTTY: terminal?.stdoutIsTTY,
      stderrIsTTY: terminal?.stderrIsTTY,
      columns: terminal?.columns,
      domains: domains.map(parseDomainName),
      input: args.input,
      format: args.format,
      renderWhole: render,
      output: args.output,
      shard,
      resume: args.resume,
      quiet: args.quiet,
      failOn: args['fail-on'],
      audit: auditOptions,
    });
  }
  const report = await audit(domains, auditOptions);
  const text = render(report);
  if (args.output) {
    try {
      await writeFile(args.output, text);
    } catch (err) {
      throw new InputError(`cannot write ${args.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else process.stdout.write(text);
  return exitCodeFor(report, args['fail-on']);
}

/** Runs the CLI; every error becomes one line on stderr and exit code 2, never a stack trace. */
export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    const known = err instanceof UsageError || err instanceof InputError || err instanceof RuleLoadError;
    const message = (err as Error)?.message ?? String(err);
    process.stderr.write(`mailaudit: ${known ? message : `internal error: ${message}`}\n`);
    return EXIT_USAGE;
  }
}
