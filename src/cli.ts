import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_STREAM_CONCURRENCY, type AuditOptions } from './audit.js';
import { runBulk, STREAMING_FORMATS } from './bulk/run.js';
import { requestStdin, runInWorker, workerTerminal } from './bulk/worker.js';
import { CONFIG_FILE_NAME, loadConfig, type Config } from './config.js';
import type { Rule } from './engine/rule.js';
import { renderExplain, renderRuleList, ruleSummary } from './report/rules.js';
import { DEFAULT_DNS_IN_FLIGHT, DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES, parseDnsServer } from './dns/live.js';
import { builtinRules, RuleLoadError } from './engine/load.js';
import { declareOptions, joinDashValues, MAX_TIMEOUT_MS, OptionValueError, OptionValues, usageMessage, type OptionSpec } from './cli-options.js';
import { InputError, parseDomainName } from './input/domain.js';
import { parseShard, type Shard } from './input/shard.js';
import { explainBounce, MAX_BOUNCE_CHARS } from './bounce/explain.js';
import { renderBounceText } from './bounce/text.js';
import { DEFAULT_CERT_EXPIRY_DAYS, DEFAULT_SMTP_INTERVAL_MS, DEFAULT_SMTP_PORT, DEFAULT_SMTP_TIMEOUT_MS } from './probe/prober.js';
import { VERSION } from './paths.js';
import { SEVERITY_RANK } from './report/counts.js';
import { renderHtml } from './report/html.js';
import { renderJson } from './report/json.js';
import { DEFAULT_SARIF_CATEGORY, renderSarif, type SarifOptions } from './report/sarif.js';
import { renderText, textWriter } from './report/text.js';
import { renderCompact } from './report/compact.js';
import { escapeControls } from './report/text-escape.js';
import type { Report, Severity } from './types.js';

const FORMATS = ['text', 'compact', 'json', 'sarif', 'ndjson', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];
const FAIL_ON = ['error', 'warning', 'note', 'none'] as const;

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** Stops the CLI with exit code 2 and one line on stderr. */
export class UsageError extends Error {}

/**
 * Every option, declared once: its kind decides how it is parsed and checked (see cli-options.ts).
 * A new option is one entry here, then read with `values.strings/string/number/flag(name)`.
 */
export const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  format: { kind: 'choice', alias: 'f', choices: FORMATS, default: 'text', describe: 'output format (compact: one line per finding)' },
  output: { kind: 'string', alias: 'o', describe: 'write the report to FILE instead of stdout (- for stdout)' },
  'sarif-category': { kind: 'string', default: DEFAULT_SARIF_CATEGORY, describe: "--format sarif: code-scanning category (automationDetails.id is NAME/); keep it stable, as the Action's category input" },
  'dns-server': { kind: 'strings', describe: 'DNS server to ask, as IP[:PORT]', defaultDescription: "the system's resolvers" },
  timeout: { kind: 'integer', min: 1, max: MAX_TIMEOUT_MS, unit: 'ms', default: DEFAULT_DNS_TIMEOUT_MS, describe: 'timeout of each DNS query' },
  tries: { kind: 'integer', min: 1, max: 10, default: DEFAULT_DNS_TRIES, describe: 'tries per DNS query and server' },
  'fail-on': { kind: 'choice', choices: FAIL_ON, default: 'error', describe: 'exit 1 when a finding is at or above this severity' },
  disable: { kind: 'strings', describe: 'rule id not to check (adds to the config file\'s "off" rules)', defaultDescription: 'none' },
  zone: { kind: 'strings', describe: 'audit the records of this zone file before it is deployed (- for stdin; each zone is audited for its origin)' },
  origin: { kind: 'string', describe: "origin of a --zone file that has no $ORIGIN or SOA (as named-checkzone's ZONE)", defaultDescription: 'the domain given, if one' },
  'dkim-discovery': { kind: 'choice', choices: ['auto', 'full'], default: 'auto', describe: 'DKIM selectors: auto asks _domainkey first (RFC 8020: NXDOMAIN there means no selector exists, so only the common and given ones are asked); full asks every one' },
  'dkim-selector': { kind: 'strings', describe: "DKIM selector to try besides the built-in list (replaces the config file's dkimSelectors)", defaultDescription: 'none' },
  'https-port': { kind: 'integer', min: 1, max: 65535, default: 443, describe: 'port for HTTPS fetches of MTA-STS policies and BIMI logos' },
  'ca-file': { kind: 'string', describe: 'PEM file of extra trusted CA certificates (HTTPS and SMTP certificate checks)', defaultDescription: "node's bundled roots only" },
  'http-timeout': { kind: 'integer', min: 1, max: MAX_TIMEOUT_MS, unit: 'ms', default: 10000, describe: 'timeout per HTTPS fetch (connect, TLS, response)' },
  'mail-from': { kind: 'string', describe: 'with --sender-ip: the MAIL FROM identity evaluated (an address, a local-part for each domain, or <> for the null sender)', defaultDescription: 'postmaster@<domain>' },
  helo: { kind: 'string', describe: 'with --sender-ip: the HELO name evaluated too (RFC 7208 §2.3)', defaultDescription: 'the domain, not checked as an identity' },
  'sender-ip': { kind: 'strings', describe: 'evaluate SPF for mail from this IPv4/IPv6 address, as a receiver would', defaultDescription: 'none' },
  config: { kind: 'string', describe: 'read settings from FILE (JSON, see schemas/config.schema.json)', defaultDescription: `${CONFIG_FILE_NAME} in the working directory, if any` },
  smtp: { kind: 'boolean', default: true, describe: 'probe each MX host over SMTP (--no-smtp to skip)' },
  'smtp-port': { kind: 'integer', min: 1, max: 65535, default: DEFAULT_SMTP_PORT, describe: 'port of the MX probe' },
  'smtp-timeout': { kind: 'integer', min: 1, max: MAX_TIMEOUT_MS, unit: 'ms', default: DEFAULT_SMTP_TIMEOUT_MS, describe: 'timeout of each SMTP step (connect, each reply, the TLS handshake)' },
  'ehlo-name': { kind: 'string', describe: 'host name the probe sends with EHLO', defaultDescription: "this machine's host name" },
  submission: { kind: 'string', describe: 'also probe HOST on the submission ports 465 (implicit TLS) and 587 (STARTTLS)', defaultDescription: 'none' },
  'smtp-interval': { kind: 'integer', min: 0, max: 600_000, unit: 'ms', default: DEFAULT_SMTP_INTERVAL_MS, describe: 'minimum time between two connections to one SMTP address, across the run' },
  'cert-expiry-days': { kind: 'integer', min: 0, max: 3650, default: DEFAULT_CERT_EXPIRY_DAYS, describe: 'report certificates (SMTP, submission, MTA-STS policy host) expiring within this many days' },
  color: { kind: 'boolean', describe: 'colour the text report (--no-color: never; FORCE_COLOR=0/1 and NO_COLOR work too)', defaultDescription: 'when stdout is a terminal' },
  // Lists of domains (issue 7)
  input: { kind: 'string', alias: 'i', describe: 'audit the domains in FILE, one per line (- for stdin; # comments)' },
  concurrency: { kind: 'integer', min: 1, max: 1024, default: DEFAULT_STREAM_CONCURRENCY, describe: 'domains audited at once' },
  ordered: { kind: 'boolean', default: false, describe: 'ndjson/csv: write domains in input order, not as they finish' },
  qps: { kind: 'number', min: 0.01, max: 1_000_000, describe: 'at most N DNS queries per second', defaultDescription: 'no limit' },
  'dns-in-flight': { kind: 'integer', min: 1, max: 4096, default: DEFAULT_DNS_IN_FLIGHT, describe: 'DNS questions outstanding at once (raise it for a fast resolver far away)' },
  shard: { kind: 'string', describe: 'audit only shard K of N of the list (K/N, by a hash of each name; auto: from the environment of a Kubernetes Indexed Job or a CI matrix)' },
  'shard-count': { kind: 'integer', min: 1, max: 1_000_000, describe: 'with --shard auto: how many shards', defaultDescription: '$MAILAUDIT_SHARD_COUNT' },
  resume: { kind: 'string', describe: 'skip domains already in this earlier ndjson or csv output' },
  quiet: { kind: 'boolean', alias: 'q', default: false, describe: 'no progress bar on stderr' },
};

/** The help's examples: each runs in the test suite (test/cli-docs.test.ts) against the test DNS server. */
export const HELP_EXAMPLES: readonly [string, string][] = [
  ['$0 example.com', 'audit a live domain'],
  ['$0 example.com --dns-server 1.1.1.1', 'ask this resolver (options may follow the domains)'],
  ['$0 --zone db.example.com example.com', 'lint a zone file before deploying it (origin from the domain)'],
  ['$0 -f sarif -o mailaudit.sarif example.com', 'SARIF for GitHub code scanning'],
  ['$0 -f compact example.com example.org', 'one line per finding, for grep and editors'],
  ['$0 explain spf-missing', 'why a rule matters and how to fix it'],
  ['$0 -i domains.txt -f ndjson -o out.ndjson --resume out.ndjson', 'audit a list, resuming an earlier run'],
];

function parser(argv: string[]) {
  let y = yargs(argv)
    .scriptName('mailaudit')
    .usage('$0 [domain..] [options]\n\nAudit the mail setup of each domain: MX, SPF, DMARC and more, with the RFC behind each finding and its fix.\nOptions may stand before or after the domains.')
    .command('$0 [domains..]', 'audit domains (the default command)', (y) =>
      y.positional('domains', { type: 'string', array: true, describe: 'domains to audit' }),
    )
    .command('rules', 'list every rule: id, default severity, summary (--format text or json)')
    .command('bounce [text..]', 'explain a bounce: the SMTP reply code, the enhanced status code, what the receiver means, the records to audit (the text on stdin when not given)', (y) =>
      y.positional('text', { type: 'string', array: true, describe: 'the reply, e.g. "550-5.7.26 This mail has been blocked ..."' }),
    )
    .command('report <files..>', 'the fleet view (html, text, json, csv) of --format ndjson results, shards merged; `mailaudit report --help`')
    .command('explain [id]', "explain a rule: why it matters, its references, a bad and a good example, the fix", (y) =>
      y.positional('id', { type: 'string', describe: 'rule id, as `mailaudit rules` lists it' }),
    );
  y = declareOptions(y, OPTIONS);
  for (const [command, description] of HELP_EXAMPLES) y = y.example(command, description);
  return y
    .epilog('Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or input error, 130 or 143 stopped by SIGINT (Ctrl-C) or SIGTERM.')
    .strict()
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UsageError(usageMessage('mailaudit --help', (msg || err?.message || 'invalid arguments').replace(/\s*\n\s*/g, ' '), argv));
    });
}

const COMMANDS = ['rules', 'bounce', 'report', 'explain'];

/** Edit distance of two short words (a transposition counts as one edit, as in a typo). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** `mailaudit explian spf-missing`: a first word with no dot that is a typo of a command. */
function misspeltCommand(word: string | undefined): string | undefined {
  if (word === undefined || word.includes('.')) return undefined;
  const lower = word.toLowerCase();
  return COMMANDS.find((c) => editDistance(lower, c) <= 2);
}

export function exitCodeFor(report: Report, failOn: Severity | 'none'): number {
  if (failOn === 'none') return EXIT_OK;
  const threshold = SEVERITY_RANK[failOn];
  const failing = report.domains.some((d) => d.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold));
  return failing ? EXIT_FINDINGS : EXIT_OK;
}

/**
 * Colour in the text report: `--color`/`--no-color` first; then NO_COLOR (no-color.org) turns it off
 * and FORCE_COLOR turns it on, or off when 0/false (as chalk and ESLint read it); then a report
 * written to a file has none, and stdout has colour when it is a terminal.
 */
export function useColor(asked: boolean | undefined, toFile: boolean, env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stdout.isTTY)): boolean {
  if (asked !== undefined) return asked;
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !/^(0|false)$/i.test(force);
  return !toFile && isTTY;
}

/** What the command line asks for, resolved against the config file. */
export type Invocation =
  | { command: 'help' }
  | { command: 'rules'; format: Format; output?: string }
  | { command: 'explain'; id: string; output?: string }
  | { command: 'bounce'; text?: string; format: Format; output?: string }
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
      /** `--color` / `--no-color`; undefined: decided by the environment (useColor). */
      color?: boolean;
      /** `--sarif-category`: the code-scanning category of `--format sarif`. */
      sarifCategory: string;
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
  let values: OptionValues;
  try {
    values = new OptionValues(OPTIONS, args as Record<string, unknown>);
  } catch (err) {
    if (err instanceof OptionValueError) throw new UsageError(err.message);
    throw err;
  }
  const format = values.string('format') as Format;
  const [first] = args._;
  // `-o FILE` serves these commands too (`-o -` is standard output).
  const toFile = values.string('output');
  const out = toFile && toFile !== '-' ? { output: toFile } : {};
  if (first === 'rules' && !argv.includes('--')) {
    if (format !== 'text' && format !== 'json') throw new UsageError(`mailaudit rules writes --format text or json, not ${format}`);
    return { command: 'rules', format, ...out };
  }
  if (first === 'explain' && !argv.includes('--')) {
    if (typeof args.id !== 'string' || args.id === '') throw new UsageError('explain needs a rule id, e.g. `mailaudit explain spf-missing`; `mailaudit rules` lists them');
    if (format !== 'text') throw new UsageError(`mailaudit explain writes text only, not ${format}: \`mailaudit rules --format json\` gives every rule as JSON`);
    return { command: 'explain', id: args.id, ...out };
  }
  if (first === 'bounce') {
    const words = ((args.text as unknown[] | undefined) ?? []).map(String);
    if (format !== 'text' && format !== 'json') throw new UsageError(`mailaudit bounce writes --format text or json, not ${format}`);
    return { command: 'bounce', format, ...(words.length ? { text: words.join(' ') } : {}), ...out };
  }
  const dnsServers = values.strings('dns-server').map((s) => {
    try {
      return parseDnsServer(s);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const rules = builtinRules();
  const config = loadConfig(values.string('config'), cwd, new Set(rules.map((r) => r.id)));
  // Names after `--` land in `_`: they are domains too, validated like the others.
  const domains = [...((args.domains as string[] | undefined) ?? []), ...args._].map(String);
  const typo = argv.includes('--') ? undefined : misspeltCommand(domains[0]);
  if (typo) throw new UsageError(`unknown command ${JSON.stringify(domains[0])}: did you mean \`mailaudit ${typo}\`? (a domain to audit needs a dot, such as example.com)`);
  const selectors = values.strings('dkim-selector');
  const num = (name: string) => values.number(name)!;
  const options: AuditOptions = {
    dnsServers,
    timeoutMs: num('timeout'),
    tries: num('tries'),
    zoneFiles: values.strings('zone'),
    disable: [...new Set([...config.disable, ...values.strings('disable')])],
    severity: config.severity,
    policies: config.policies,
    httpsPort: num('https-port'),
    caFile: values.string('ca-file'),
    httpTimeoutMs: num('http-timeout'),
    smtp: values.flag('smtp')!,
    smtpPort: num('smtp-port'),
    smtpTimeoutMs: num('smtp-timeout'),
    ehloName: values.string('ehlo-name'),
    submission: values.string('submission'),
    smtpIntervalMs: num('smtp-interval'),
    certExpiryDays: num('cert-expiry-days'),
    senderIps: values.strings('sender-ip').map((ip) => {
      if (!isIP(ip)) throw new UsageError(`invalid --sender-ip ${JSON.stringify(ip)}: expected an IPv4 or IPv6 address`);
      return ip;
    }),
    mailFrom: values.string('mail-from'),
    helo: values.string('helo'),
    concurrency: num('concurrency'),
    ordered: values.flag('ordered')!,
    qps: values.number('qps'),
    dnsInFlight: num('dns-in-flight'),
  };
  const zoneFromStdin = options.zoneFiles!.includes('-');
  if (zoneFromStdin && values.string('input') === '-') throw new UsageError('--zone - and --input - both read standard input: give one of them a file');
  if (domains.length === 0 && !options.zoneFiles!.length && values.string('input') === undefined && values.string('resume') === undefined) {
    throw new UsageError('no domain given: try `mailaudit example.com`, or `mailaudit --help` for the options');
  }
  const origin = values.string('origin');
  if (origin !== undefined) {
    if (!options.zoneFiles?.length) throw new UsageError('--origin names the origin of a --zone file: give --zone FILE too');
    options.zoneOrigin = parseDomainName(origin).name;
  }
  const shard = values.string('shard');
  const shardCount = values.number('shard-count');
  const list: ListInvocation = {
    input: values.string('input'),
    shard: shard === undefined && shardCount === undefined ? undefined : parseShard(shard ?? '', process.env, shardCount),
    resume: values.string('resume'),
    quiet: values.flag('quiet')!,
  };
  const dkimSelectors = selectors.length ? selectors : config.dkimSelectors;
  if (dkimSelectors) options.dkimSelectors = dkimSelectors;
  if (values.string('dkim-discovery') === 'full') options.dkimDiscovery = 'full';
  const output = values.string('output');
  const failOn = values.string('fail-on') as Severity | 'none';
  const sarifCategory = values.string('sarif-category')!;
  if (!/[^/]/.test(sarifCategory)) throw new UsageError(`--sarif-category needs a name such as mailaudit, got ${JSON.stringify(sarifCategory)}`);
  const inv: Invocation = { command: 'audit', domains, options, format: formatFor(format, output, argv), failOn, rules, config, list, sarifCategory };
  const color = values.flag('color');
  if (color !== undefined) inv.color = color;
  // `-o -` is standard output, as elsewhere.
  if (output && output !== '-') inv.output = output;
  return inv;
}

/** `-o report.html` without `--format` writes HTML (issue 17). */
function formatFor(format: Format, output: string | undefined, argv: string[]): Format {
  const explicit = argv.some((a) => /^(-f|--format)(=|$)/.test(a) || /^-[a-z]*f$/.test(a));
  return !explicit && output !== undefined && /\.html?$/i.test(output) ? 'html' : format;
}

/** Standard input as text, at most `max` characters (the rest is read and dropped). */
async function readBoundedStdin(max: number): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) if (text.length < max) text += String(chunk).slice(0, max - text.length);
  return text;
}

/** The few kilobytes of `rules`, `explain` and `bounce`: to `-o FILE`, else standard output. */
function writeSmall(text: string, output: string | undefined): void {
  if (output === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(output, text);
  } catch (err) {
    throw new InputError(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function run(argv: string[]): Promise<number> {
  // Loaded only for this command: an audit starts no slower for it.
  if (argv[0] === 'report') return (await import('./fleet/command.js')).reportCommand(argv.slice(1));
  const inv = await parseInvocation(joinDashValues(argv, OPTIONS));
  if (inv.command === 'help') return EXIT_OK;
  if (inv.command === 'rules') {
    writeSmall(inv.format === 'text' ? renderRuleList(builtinRules()) : `${JSON.stringify(builtinRules().map(ruleSummary), null, 2)}\n`, inv.output);
    return EXIT_OK;
  }
  if (inv.command === 'bounce') {
    const text = inv.text ?? (await readBoundedStdin(MAX_BOUNCE_CHARS));
    if (text.trim() === '') throw new UsageError('bounce needs the text of the bounce: `mailaudit bounce "550 5.7.26 ..."`, or the text on standard input');
    const explanation = explainBounce(text);
    writeSmall(inv.format === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : renderBounceText(explanation), inv.output);
    return EXIT_OK;
  }
  if (inv.command === 'explain') {
    const rule = builtinRules().find((r) => r.id === inv.id);
    if (!rule) throw new UsageError(`unknown rule id ${JSON.stringify(inv.id)}: \`mailaudit rules\` lists them`);
    writeSmall(renderExplain(rule), inv.output);
    return EXIT_OK;
  }
  const severityOf = (r: Rule) => inv.options.severity?.[r.id] ?? r.severity;
  // A list run renders in a worker thread, whose stdout is a pipe: the main thread says what it is.
  const stdoutIsTTY = workerTerminal()?.stdoutIsTTY ?? Boolean(process.stdout.isTTY);
  // Wrapped to the terminal's width; never when piped or written to a file.
  const width = !inv.output && stdoutIsTTY ? (workerTerminal()?.columns ?? process.stdout.columns) || undefined : undefined;
  const sarif: SarifOptions = { rules: inv.rules, severityOf, cwd: process.env.GITHUB_WORKSPACE || process.cwd(), category: inv.sarifCategory };
  const render = (report: Report) =>
    inv.format === 'json'
      ? renderJson(report)
      : inv.format === 'sarif'
        ? renderSarif(report, sarif)
        : inv.format === 'html'
          ? renderHtml(report, { rules: inv.rules })
          : inv.format === 'compact'
            ? renderCompact(report)
            : renderText(report, { rules: inv.rules, color: useColor(inv.color, Boolean(inv.output), process.env, stdoutIsTTY), width });
  const { list } = inv;
  // Every audit is a list run (issue 12): names on the command line too are de-duplicated and streamed.
  {
    // A streaming run goes on in a worker thread whose heap is capped (see bulk/worker.ts).
    if (STREAMING_FORMATS.has(inv.format) && isMainThread) return runInWorker(argv);
    const terminal = workerTerminal();
    if (list.input === '-' || inv.options.zoneFiles?.includes('-')) requestStdin();
    return runBulk({
      argv,
      stdoutIsTTY: terminal?.stdoutIsTTY,
      stderrIsTTY: terminal?.stderrIsTTY,
      columns: terminal?.columns,
      domains: inv.domains.map(parseDomainName),
      input: list.input,
      // Not streamed: a whole-report format is rendered by renderWhole, whichever it is.
      format: inv.format === 'compact' ? 'text' : inv.format,
      renderWhole: render,
      // sarif is written domain by domain, as renderSarif would write the whole report.
      sarif: inv.format === 'sarif' ? sarif : undefined,
      // compact is rendered whole (renderWhole); text is written domain by domain.
      textWriter: inv.format !== 'text' ? undefined : textWriter({ rules: inv.rules, color: useColor(inv.color, Boolean(inv.output), process.env, stdoutIsTTY), width }),
      output: inv.output,
      shard: list.shard,
      resume: list.resume,
      quiet: list.quiet,
      failOn: inv.failOn,
      audit: inv.options,
    });
  }
}

/** Runs the CLI; every error becomes one line on stderr and exit code 2, never a stack trace. */
export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    const known = err instanceof UsageError || err instanceof InputError || err instanceof RuleLoadError;
    const message = (err as Error)?.message ?? String(err);
    // One line, and nothing a terminal acts on: a config key, a path or a name may carry ESC or a newline.
    process.stderr.write(`mailaudit: ${escapeControls(known ? message : `internal error: ${message}`)}\n`);
    return EXIT_USAGE;
  }
}
