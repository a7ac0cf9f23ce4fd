import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { audit } from './audit.js';
import { DEFAULT_DNS_TIMEOUT_MS, DEFAULT_DNS_TRIES, parseDnsServer } from './dns/live.js';
import { builtinRules, RuleLoadError } from './engine/load.js';
import { InputError } from './input/domain.js';
import { DEFAULT_SMTP_PORT, DEFAULT_SMTP_TIMEOUT_MS } from './probe/prober.js';
import { VERSION } from './paths.js';
import { SEVERITY_RANK } from './report/counts.js';
import { renderJson } from './report/json.js';
import { renderSarif } from './report/sarif.js';
import { renderText } from './report/text.js';
import type { Report, Severity } from './types.js';

const FORMATS = ['text', 'json', 'sarif'] as const;
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
    .option('https-port', { type: 'number', default: 443, describe: 'port for HTTPS fetches of MTA-STS policies and BIMI logos' })
    .option('ca-file', { type: 'string', describe: 'PEM file of extra trusted CA certificates (HTTPS and SMTP certificate checks)', defaultDescription: "node's bundled roots only" })
    .option('http-timeout', { type: 'number', default: 10000, describe: 'timeout per HTTPS fetch in ms (connect, TLS, response)' })
    .option('dkim-selector', { type: 'string', array: true, describe: 'also look for a DKIM key under this selector (repeatable)', defaultDescription: 'the built-in list of common selectors' })
    .option('sender-ip', { type: 'string', array: true, describe: 'evaluate SPF for mail from this IPv4/IPv6 address, as a receiver would (repeatable)', defaultDescription: 'none' })
    .option('smtp', { type: 'boolean', default: true, describe: 'probe each MX host over SMTP (--no-smtp to skip)' })
    .option('smtp-port', { type: 'number', default: DEFAULT_SMTP_PORT, describe: 'port of the MX probe' })
    .option('smtp-timeout', { type: 'number', default: DEFAULT_SMTP_TIMEOUT_MS, describe: 'timeout in ms of each SMTP step (connect, each reply, the TLS handshake)' })
    .option('ehlo-name', { type: 'string', describe: 'name the probe sends with EHLO', defaultDescription: "this machine's host name" })
    .option('submission', { type: 'string', describe: 'also probe HOST on the submission ports 465 (implicit TLS) and 587 (STARTTLS)', defaultDescription: 'none' })
    .example('$0 example.com', 'audit a live domain')
    .example('$0 --zone fixtures/clean/zone.db', 'lint a zone file before deploying it')
    .example('$0 -f sarif -o mailaudit.sarif example.com', 'SARIF for GitHub code scanning')
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

function port(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new UsageError(`--${name} must be a port number 1-65535, got ${value}`);
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

async function run(argv: string[]): Promise<number> {
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
  const rules = builtinRules();
  // Names after `--` land in `_`: they are domains too, validated like the others.
  const domains = [...(args.domains ?? []), ...args._].map(String);
  const report = await audit(domains, {
    dnsServers,
    timeoutMs: positiveNumber('timeout', args.timeout),
    tries: positiveNumber('tries', args.tries),
    zoneFile: args.zone,
    disable: (args.disable ?? []).map(String),
    httpsPort: port('https-port', args['https-port']),
    caFile: args['ca-file'],
    httpTimeoutMs: positiveNumber('http-timeout', args['http-timeout']),
    dkimSelectors: (args['dkim-selector'] ?? []).map(String),
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
  });
  const text =
    args.format === 'json'
      ? renderJson(report)
      : args.format === 'sarif'
        ? renderSarif(report, { rules })
        : renderText(report, { rules, color: !args.output && useColor() });
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
