import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { audit, DEFAULT_STREAM_CONCURRENCY, type AuditOptions } from './audit.js';
import { runBulk, STREAMING_FORMATS } from './bulk/run.js';
import { runInWorker, workerTerminal } from './bulk/worker.js';
import { CONFIG_FILE_NAME, loadConfig, type Config } from './config.js';
import type { Rule } from './engine/rule.js';
import { renderExplain, renderRuleList, ruleSummary } from './report/rules.js';
import { DEFAULT_DNS_IN_FLIGHT, DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES, parseDnsServer } from './dns/live.js';
import { builtinRules, RuleLoadError } from './engine/load.js';
import { InputError, parseDomainName } from './input/domain.js';
import { parseShard, type Shard } from './input/shard.js';
import { DEFAULT_SMTP_PORT, DEFAULT_SMTP_TIMEOUT_MS } from './probe/prober.js';
import { VERSION } from './paths.js';
import { SEVERITY_RANK } from './report/counts.js';
import { renderJson } from './report/json.js';
import { renderSarif } from './report/sarif.js';
import { renderText } from './report/text.js';
import type { Report, Severity } from './types.js';

const FORMATS = ['text', 'json', 'sarif', 'ndjson', 'csv'] as const;
type Format = (typeof FORMATS)[number];
const FAIL_ON = ['error', 'warning', 'note', 'none'] as const;

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** Stops the CLI with exit code 2 and one line on stderr. */
export class UsageError extends Error {}

function parser(argv: string[]) {
  return yargs(argv)
    .scriptName('mailaudit')
    .usage('$0 [domain..]\n\nAudit the mail setup of each domain: MX, SPF, DMARC and more, with the RFC behind each finding and its fix.')
    .command('$0 [domains..]', 'audit domains (the default command)', (y) =>
      y.positional('domains', { type: 'string', array: true, describe: 'domains to audit' }),
    )
    .command('rules', 'list every rule: id, default severity, summary')
    .command('explain <id>', "explain a rule: why it matters, its references, a bad and a good example, the fix", (y) =>
      y.positional('id', { type: 'string', describe: 'rule id, as `mailaudit rules` lists it' }),
    )
    .option('format', { alias: 'f', choices: FORMATS, default: 'text' as const, describe: 'output format' })
    .option('output', { alias: 'o', type: 'string', describe: 'write the report to FILE instead of stdout' })
    .option('dns-server', { type: 'string', array: true, describe: 'DNS server IP[:PORT] (repeatable)', defaultDescription: "the system's resolvers" })
    .option('timeout', { type: 'number', default: DEFAULT_DNS_TIMEOUT_MS, describe: 'timeout per DNS query in ms' })
    .option('tries', { type: 'number', default: DEFAULT_DNS_TRIES, describe: 'tries per DNS query and server' })
    .option('fail-on', { choices: FAIL_ON, default: 'error' as const, describe: 'exit 1 when a finding is at or above this severity' })
    .option('disable', { type: 'string', array: true, describe: 'rule id not to check (repeatable; adds to the config file\'s "off" rules)', defaultDescription: 'none' })
    .option('zone', {
      type: 'string',
      array: true,
      describe: 'audit the records of this zone file before it is deployed (repeatable: each zone is audited for its origin)',
    })
    .option('dkim-selector', {
      type: 'string',
      array: true,
      describe: 'DKIM selector to try besides the built-in list (repeatable; replaces the config file\'s dkimSelectors)',
      defaultDescription: 'none',
    })
    .option('https-port', { type: 'number', default: 443, describe: 'port for HTTPS fetches of MTA-STS policies and BIMI logos' })
    .option('ca-file', { type: 'string', describe: 'PEM file of extra trusted CA certificates (HTTPS and SMTP certificate checks)', defaultDescription: "node's bundled roots only" })
    .option('http-timeout', { type: 'number', default: 10000, describe: 'timeout per HTTPS fetch in ms (connect, TLS, response)' })
    .option('sender-ip', { type: 'string', array: true, describe: 'evaluate SPF for mail from this IPv4/IPv6 address, as a receiver would (repeatable)', defaultDescription: 'none' })
    .option('mail-from', { type: 'string', describe: 'with --sender-ip: the MAIL FROM address checked (<> for the null sender)', defaultDescription: 'postmaster@<domain>' })
    .option('helo', { type: 'string', describe: 'with --sender-ip: the HELO name (%{h}); the HELO identity is checked too', defaultDescription: '<domain>, HELO not checked' })
    .option('config', { type: 'string', describe: `read settings from FILE (JSON, see schemas/config.schema.json)`, defaultDescription: `${CONFIG_FILE_NAME} in the working directory, if any` })
    .option('smtp', { type: 'boolean', default: true, describe: 'probe each MX host over SMTP (--no-smtp to skip)' })
    .option('smtp-port', { type: 'number', default: DEFAULT_SMTP_PORT, describe: 'port of the MX probe' })
    .option('smtp-timeout', { type: 'number', default: DEFAULT_SMTP_TIMEOUT_MS, describe: 'timeout in ms of each SMTP step (connect, each reply, the TLS handshake)' })
    .option('ehlo-name', { type: 'string', describe: 'name the probe sends with EHLO', defaultDescription: "this machine's host name" })
    .option('submission', { type: 'string', describe: 'also probe HOST on the submission ports 465 (implicit TLS) and 587 (STARTTLS)', defaultDescription: 'none' })
    // Lists of domains (issue 7)
    .option('input', { alias: 'i', type: 'string', describe: 'audit the domains in FILE, one per line (- for stdin; # comments)' })
    .option('concurrency', { type: 'number', default: DEFAULT_STREAM_CONCURRENCY, describe: 'domains audited at once' })
    .option('ordered', { type: 'boolean', default: false, describe: 'ndjson/csv: write domains in input order, not as they finish' })
    .option('qps', { type: 'number', describe: 'at most N DNS queries per second', defaultDescription: 'no limit' })
    .option('dns-in-flight', { type: 'number', default: DEFAULT_DNS_IN_FLIGHT, describe: 'DNS questions outstanding at once (raise it for a fast resolver far away)' })
    .option('shard', { type: 'string', describe: 'audit only shard K of N of the list (K/N, by a hash of each name)' })
    .option('resume', { type: 'string', describe: 'skip domains already in this earlier ndjson output' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar on stderr' })
    .example('$0 example.com', 'audit a live domain')
    .example('$0 --zone fixtures/clean/zone.db', 'lint a zone file before deploying it')
    .example('$0 -f sarif -o mailaudit.sarif example.com', 'SARIF for GitHub code scanning')
    .example('$0 explain spf-missing', 'why a rule matters and how to fix it')
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

function port(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new UsageError(`--${name} must be a port number 1-65535, got ${value}`);
  return value;
}

export function exitCodeFor(report: Report, failOn: Severity | 'none'): number {
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

/** What the command line asks for, resolved against the config file. */
export type Invocation =
  | { command: 'help' }
  | { command: 'rules'; format: Format }
  | { command: 'explain'; id: string }
  | {
      command: 'audit';
      domains: string[];
      options: AuditOptions;
      format: Format;
      output?: string;
      failOn: Severity | 'none';
      rules: Rule[];
      config: Config;
      /** Lists of domains (issue 7). */
      list: ListInvocation;
    };

/** `--input`, `--shard`, `--resume`, `--quiet`: how a list run reads and reports. */
export interface ListInvocation {
  input?: string;
  shard?: Shard;
  resume?: string;
  quiet: boolean;
}

/** Parses the arguments (and reads the config file); throws UsageError/InputError for bad input. */
export async function parseInvocation(argv: string[], cwd: string = process.cwd()): Promise<Invocation> {
  let helpShown = false;
  const args = await parser(argv)
    .showHelpOnFail(false)
    .parseAsync(argv, {}, (err, _argv, output) => {
      if (output && !err) {
        process.stdout.write(`${output}\n`);
        helpShown = true;
      }
    });
  if (helpShown) return { command: 'help' };
  const [first] = args._;
  if (first === 'rules' && !argv.includes('--')) return { command: 'rules', format: args.format };
  if (first === 'explain' && typeof args.id === 'string') return { command: 'explain', id: args.id };
  const dnsServers = (args['dns-server'] ?? []).map((s) => {
    try {
      return parseDnsServer(String(s));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const rules = builtinRules();
  const config = loadConfig(args.config, cwd, new Set(rules.map((r) => r.id)));
  // Names after `--` land in `_`: they are domains too, validated like the others.
  const domains = [...((args.domains as string[] | undefined) ?? []), ...args._].map(String);
  const selectors = (args['dkim-selector'] ?? []).map(String);
  const options: AuditOptions = {
    dnsServers,
    timeoutMs: positiveNumber('timeout', args.timeout),
    tries: positiveNumber('tries', args.tries),
    zoneFiles: (args.zone ?? []).map(String),
    disable: [...new Set([...config.disable, ...(args.disable ?? []).map(String)])],
    severity: config.severity,
    policies: config.policies,
    httpsPort: port('https-port', args['https-port']),
    caFile: args['ca-file'],
    httpTimeoutMs: positiveNumber('http-timeout', args['http-timeout']),
    smtp: args.smtp,
    smtpPort: args['smtp-port'],
    smtpTimeoutMs: args['smtp-timeout'],
    ehloName: args['ehlo-name'],
    submission: args.submission,
    senderIps: (args['sender-ip'] ?? []).map((s) => {
      const ip = String(s);
      if (!isIP(ip)) throw new UsageError(`invalid --sender-ip ${JSON.stringify(ip)}: expected an IPv4 or IPv6 address`);
      return ip;
    }),
    mailFrom: args['mail-from'] === undefined ? undefined : String(args['mail-from']),
    helo: args.helo === undefined ? undefined : String(args.helo),
    concurrency: positiveInteger('concurrency', args.concurrency),
    ordered: args.ordered,
    qps: args.qps === undefined ? undefined : positiveNumber('qps', args.qps),
    dnsInFlight: positiveInteger('dns-in-flight', args['dns-in-flight']),
  };
  const list: ListInvocation = {
    input: args.input,
    shard: args.shard === undefined ? undefined : parseShard(args.shard),
    resume: args.resume,
    quiet: args.quiet,
  };
  const dkimSelectors = selectors.length ? selectors : config.dkimSelectors;
  if (dkimSelectors) options.dkimSelectors = dkimSelectors;
  const inv: Invocation = { command: 'audit', domains, options, format: args.format, failOn: args['fail-on'], rules, config, list };
  if (args.output) inv.output = args.output;
  return inv;
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

async function run(argv: string[]): Promise<number> {
  const inv = await parseInvocation(joinStdinInput(argv));
  if (inv.command === 'help') return EXIT_OK;
  if (inv.command === 'rules') {
    process.stdout.write(inv.format === 'text' ? renderRuleList(builtinRules()) : `${JSON.stringify(builtinRules().map(ruleSummary), null, 2)}\n`);
    return EXIT_OK;
  }
  if (inv.command === 'explain') {
    const rule = builtinRules().find((r) => r.id === inv.id);
    if (!rule) throw new UsageError(`unknown rule id ${JSON.stringify(inv.id)}: \`mailaudit rules\` lists them`);
    process.stdout.write(renderExplain(rule));
    return EXIT_OK;
  }
  const severityOf = (r: Rule) => inv.options.severity?.[r.id] ?? r.severity;
  const render = (report: Report) =>
    inv.format === 'json'
      ? renderJson(report)
      : inv.format === 'sarif'
        ? renderSarif(report, { rules: inv.rules, severityOf, cwd: process.env.GITHUB_WORKSPACE || process.cwd() })
        : renderText(report, { rules: inv.rules, color: !inv.output && useColor() });
  const { list } = inv;
  if (list.input !== undefined || STREAMING_FORMATS.has(inv.format) || list.shard || list.resume !== undefined) {
    // A streaming run goes on in a worker thread whose heap is capped (see bulk/worker.ts).
    if (STREAMING_FORMATS.has(inv.format) && isMainThread) return runInWorker(argv, { stdin: list.input === '-' });
    const terminal = workerTerminal();
    return runBulk({
      stdoutIsTTY: terminal?.stdoutIsTTY,
      stderrIsTTY: terminal?.stderrIsTTY,
      columns: terminal?.columns,
      domains: inv.domains.map(parseDomainName),
      input: list.input,
      format: inv.format,
      renderWhole: render,
      output: inv.output,
      shard: list.shard,
      resume: list.resume,
      quiet: list.quiet,
      failOn: inv.failOn,
      audit: inv.options,
    });
  }
  const report = await audit(inv.domains, inv.options);
  const text = render(report);
  if (inv.output) {
    try {
      await writeFile(inv.output, text);
    } catch (err) {
      throw new InputError(`cannot write ${inv.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else process.stdout.write(text);
  return exitCodeFor(report, inv.failOn);
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
