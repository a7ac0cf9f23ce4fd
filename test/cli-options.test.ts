/**
 * Every option that takes a value works before and after the domains, as `--opt value` and
 * `--opt=value`, through the real binary against the test DNS server; repeated single options: the
 * last one wins; every numeric option refuses what is outside its range in one line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { OPTIONS, parseInvocation, UsageError } from '../src/cli.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { runCli as runCliNow, type CliResult } from './helpers/cli.js';
import { startFixtureDns } from './helpers/fixtures.js';

let dns: TestDnsServer;

// Over a hundred runs of the binary: a few at a time, so that a loaded machine does not turn DNS
// answers into timeouts.
const MAX_RUNNING = 4;
let running = 0;
const waiting: (() => void)[] = [];
async function runCli(args: string[]): Promise<CliResult> {
  while (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await runCliNow(args);
  } finally {
    running--;
    waiting.shift()?.();
  }
}
const dir = mkdtempSync(join(tmpdir(), 'cli-options-'));

test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

const QUIET = ['--disable', 'mta-sts-missing', '--disable', 'tlsrpt-missing', '--disable', 'dnssec-unsigned'];
const base = () => [...QUIET, '--dns-server', dns.address, '--timeout', '3000', '--tries', '1', '--no-smtp'];

interface Report {
  domains: {
    domain: string;
    findings: { ruleId: string; location: { file?: string } }[];
    records: Record<string, any>;
  }[];
}

interface Case {
  /** The value; `variant` makes file names unique per run. */
  value: (variant: string) => string;
  domain?: string;
  /** Arguments the case needs besides the option (placed first). */
  extra?: (variant: string) => string[];
  /** Add `-f json` at the end (default true). */
  json?: boolean;
  /** What shows that the option took effect and the domain was audited. */
  check: (t: import('ava').ExecutionContext, r: CliResult, variant: string) => void;
}

const audited = (domains: string[]) => (t: import('ava').ExecutionContext, r: CliResult) => {
  t.not(r.code, 2, r.stderr);
  t.deepEqual((JSON.parse(r.stdout) as Report).domains.map((d) => d.domain), domains);
};
const only = audited(['nospf.test']);
const report = (r: CliResult) => JSON.parse(r.stdout) as Report;
const ids = (r: CliResult) => report(r).domains.flatMap((d) => d.findings.map((f) => f.ruleId));

writeFileSync(join(dir, 'origin-less.zone'), '@ IN MX 10 mx1\nmx1 IN A 127.0.0.25\n');
writeFileSync(join(dir, 'config.json'), JSON.stringify({ rules: { 'spf-missing': 'off' } }));
writeFileSync(join(dir, 'list.txt'), 'clean.test\n');

const CASES: Record<string, Case> = {
  format: {
    value: () => 'compact',
    json: false,
    check: (t, r) => {
      t.is(r.code, 1, r.stderr);
      t.regex(r.stdout, /^nospf\.test: error spf-missing nospf\.test publishes no SPF record.* \[nospf\.test TXT\]$/m);
    },
  },
  output: {
    value: (v) => join(dir, `out-${v}.json`),
    check: (t, r, v) => {
      t.is(r.code, 1, r.stderr);
      t.is(r.stdout, '');
      t.deepEqual(JSON.parse(readFileSync(join(dir, `out-${v}.json`), 'utf8')).domains.map((d: { domain: string }) => d.domain), ['nospf.test']);
    },
  },
  'dns-server': { value: () => dns.address, check: (t, r) => (only(t, r), t.deepEqual(ids(r), ['spf-missing'])) },
  timeout: { value: () => '2500', check: only },
  tries: { value: () => '2', check: only },
  'fail-on': { value: () => 'none', check: (t, r) => (only(t, r), t.is(r.code, 0)) },
  disable: { value: () => 'spf-missing', check: (t, r) => (only(t, r), t.deepEqual(ids(r), []), t.is(r.code, 0)) },
  zone: {
    value: () => 'fixtures/no-spf/zone.db',
    check: (t, r) => (only(t, r), t.is(report(r).domains[0]!.findings[0]!.location.file, 'fixtures/no-spf/zone.db')),
  },
  origin: {
    value: () => 'nospf.test',
    extra: () => ['--zone', join(dir, 'origin-less.zone')],
    check: (t, r) => (only(t, r), t.is(report(r).domains[0]!.findings[0]!.location.file, join(dir, 'origin-less.zone'))),
  },
  'dkim-discovery': { value: () => 'full', check: (t, r) => (only(t, r), t.is(report(r).domains[0]!.records.dkim.discovery.method, 'full')) },
  'mail-from': {
    value: () => 'bob@clean.test',
    domain: 'clean.test',
    extra: () => ['--sender-ip', '192.0.2.1'],
    check: (t, r) => (audited(['clean.test'])(t, r), t.is(report(r).domains[0]!.records.spf.senderResults[0].sender, 'bob@clean.test')),
  },
  helo: {
    value: () => 'mail.clean.test',
    domain: 'clean.test',
    extra: () => ['--sender-ip', '192.0.2.1'],
    check: (t, r) => (
      audited(['clean.test'])(t, r),
      t.true(report(r).domains[0]!.records.spf.senderResults.some((s: { identity: string; helo: string }) => s.identity === 'helo' && s.helo === 'mail.clean.test'))
    ),
  },
  'dkim-selector': { value: () => 'probe1', check: (t, r) => (only(t, r), t.true(report(r).domains[0]!.records.dkim.tried.includes('probe1'))) },
  'https-port': { value: () => '8443', check: only },
  'ca-file': { value: () => 'test/certs/ca.pem', check: only },
  'http-timeout': { value: () => '2000', check: only },
  'sender-ip': {
    value: () => '192.0.2.1',
    domain: 'clean.test',
    check: (t, r) => (audited(['clean.test'])(t, r), t.is(report(r).domains[0]!.records.spf.senderResults[0].ip, '192.0.2.1')),
  },
  config: { value: () => join(dir, 'config.json'), check: (t, r) => (only(t, r), t.deepEqual(ids(r), [])) },
  'smtp-port': { value: () => '2525', check: only },
  'smtp-interval': { value: () => '50', check: only },
  'cert-expiry-days': { value: () => '30', check: only },
  'smtp-timeout': { value: () => '1000', check: only },
  'ehlo-name': { value: () => 'probe.example', check: only },
  submission: { value: () => 'nohost.nospf.test', check: (t, r) => (only(t, r), t.is(report(r).domains[0]!.records.submission.host, 'nohost.nospf.test')) },
  input: { value: () => join(dir, 'list.txt'), check: audited(['nospf.test', 'clean.test']) },
  concurrency: { value: () => '2', check: only },
  qps: { value: () => '500', check: only },
  'dns-in-flight': { value: () => '8', check: only },
  shard: { value: () => '1/1', check: only },
  // The index of `--shard auto` from the environment, as a matrix job sets it (read by the child only).
  'shard-count': { value: () => ((process.env.MAILAUDIT_SHARD_INDEX = '0'), '1'), extra: () => ['--shard', 'auto'], check: only },
  resume: {
    value: (v) => {
      const file = join(dir, `resume-${v}.ndjson`);
      writeFileSync(file, '');
      return file;
    },
    json: false,
    extra: () => ['-f', 'ndjson'],
    check: (t, r) => {
      t.not(r.code, 2, r.stderr);
      t.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l).domain), ['nospf.test']);
    },
  },
  'sarif-category': {
    value: () => 'mail/fleet',
    json: false,
    extra: () => ['-f', 'sarif'],
    check: (t, r) => {
      t.is(r.code, 1, r.stderr);
      const run = JSON.parse(r.stdout).runs[0];
      t.is(run.automationDetails.id, 'mail/fleet/');
      t.deepEqual([...new Set(run.results.map((x: { properties: { domain: string } }) => x.properties.domain))], ['nospf.test']);
    },
  },
};

test('every option that takes a value has a case here (a new option gets one too)', (t) => {
  const takingValue = Object.entries(OPTIONS).filter(([, spec]) => spec.kind !== 'boolean').map(([name]) => name);
  t.deepEqual(takingValue.filter((name) => !CASES[name]).sort(), []);
});

type Place = (opt: string[], domain: string) => string[];
const BEFORE: Place = (opt, domain) => [...opt, domain];
const AFTER: Place = (opt, domain) => [domain, ...opt];
const BEFORE_EQ: Place = (opt, domain) => [`${opt[0]}=${opt[1]}`, domain];
const AFTER_EQ: Place = (opt, domain) => [domain, `${opt[0]}=${opt[1]}`];

Object.entries(CASES).forEach(([name, c], n) => {
  // Both positions with a space; the = form before the domain for half the options, after for the others.
  const variants: [string, Place][] = [
    ['before the domain, --opt value', BEFORE],
    ['after the domain, --opt value', AFTER],
    n % 2 ? ['before the domain, --opt=value', BEFORE_EQ] : ['after the domain, --opt=value', AFTER_EQ],
  ];
  // Serial (its three runs at once): a test's time limit then covers its own runs, not a queue.
  test.serial(`--${name} works before and after the domain, with a space or =`, async (t) => {
    t.timeout(120_000);
    await Promise.all(
      variants.map(async ([, place], i) => {
        const variant = String(i);
        const args = [...base(), ...(c.extra?.(variant) ?? []), ...place([`--${name}`, c.value(variant)], c.domain ?? 'nospf.test'), ...(c.json === false ? [] : ['-f', 'json'])];
        const r = await runCli(args);
        c.check(t, r, variant);
      }),
    );
  });
});

test('the README example: two --dkim-selector before the domain, both tried', async (t) => {
  const r = await runCli([...base(), '--dkim-selector', 's2024', '--dkim-selector', 'mail.eu', 'nospf.test', '-f', 'json']);
  t.not(r.code, 2, r.stderr);
  const d = report(r).domains;
  t.deepEqual(d.map((x) => x.domain), ['nospf.test']);
  t.true(d[0]!.records.dkim.tried.includes('s2024') && d[0]!.records.dkim.tried.includes('mail.eu'));
});

test('a selector, a domain, then --zone: the domain is audited, not taken for a selector', async (t) => {
  const r = await runCli([...base(), '--dkim-selector', 's1', 'nospf.test', '--zone', 'fixtures/no-spf/zone.db', '-f', 'json']);
  t.not(r.code, 2, r.stderr);
  const d = report(r).domains;
  t.deepEqual(d.map((x) => x.domain), ['nospf.test']);
  t.true(d[0]!.records.dkim.tried.includes('s1'));
  t.false(d[0]!.records.dkim.tried.includes('nospf.test'));
});

test('repeated single-valued options: the last one wins', async (t) => {
  const [sarif, json, timeouts] = await Promise.all([
    runCli([...base(), 'nospf.test', '-f', 'json', '-f', 'sarif']),
    runCli([...base(), '-f', 'sarif', 'nospf.test', '--format=json']),
    runCli([...base(), '--timeout', '2000', '--timeout', '2000', 'nospf.test', '--timeout', '3000', '-f', 'json']),
  ]);
  t.is(JSON.parse(sarif.stdout).version, '2.1.0', sarif.stderr);
  t.deepEqual(report(json).domains.map((d) => d.domain), ['nospf.test']);
  t.is(timeouts.code, 1, timeouts.stderr);
  const failOn = await runCli([...base(), '--fail-on', 'none', 'nospf.test', '--fail-on', 'error']);
  t.is(failOn.code, 1);
  const smtp = await runCli([...base(), '--smtp', '--no-smtp', 'nospf.test', '-f', 'json']);
  t.is(report(smtp).domains[0]!.records.smtp, undefined, 'the last of --smtp/--no-smtp wins');
});

/** Every numeric option: what it must refuse, in one line naming the option and the text given. */
test('numeric options out of range or not numbers: an error naming the option and the value', async (t) => {
  const cases: [string, string][] = [];
  for (const [name, spec] of Object.entries(OPTIONS)) {
    if (spec.kind !== 'integer' && spec.kind !== 'number') continue;
    cases.push([name, 'abc'], [name, '1e10'], [name, String(spec.max + 1)], [name, spec.min > 0 ? '0' : '-1'], [name, '']);
    if (spec.kind === 'integer') cases.push([name, '1.5']);
  }
  t.true(cases.some(([n, v]) => n === 'timeout' && v === '1.5'));
  for (const [name, value] of cases) {
    const err = await t.throwsAsync(parseInvocation([`--${name}=${value}`, 'nospf.test']), { instanceOf: UsageError }, `${name} ${value}`);
    t.true(err?.message.startsWith(`--${name} must be `), err?.message);
    t.true(err?.message.includes(`got ${JSON.stringify(value)}`), err?.message);
  }
  // Through the binary: exit 2, one line on stderr, nothing on stdout.
  for (const args of [['--timeout', 'abc'], ['--tries', '1e10'], ['--timeout', '1.5']]) {
    const r = await runCli([...args, 'nospf.test']);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.is(r.stderr, `mailaudit: ${args[0]} must be an integer from 1 to ${args[0] === '--tries' ? 10 : '2147483647 (ms)'}, got "${args[1]}"\n`);
  }
});

test('timeouts above 2^31-1 ms are refused, not turned into 1 ms', async (t) => {
  for (const name of ['timeout', 'http-timeout', 'smtp-timeout']) {
    const r = await runCli([`--${name}`, '2147483648', 'nospf.test']);
    t.is(r.code, 2);
    t.regex(r.stderr, new RegExp(`--${name} must be an integer from 1 to 2147483647`));
  }
  const ok = await runCli([...base(), '--timeout', '2147483647', 'nospf.test', '-f', 'json']);
  t.is(ok.code, 1, ok.stderr);
});

test('errors that say how to fix them', async (t) => {
  const [bare, explain, rulesSarif, missingValue] = await Promise.all([runCli([]), runCli(['explain']), runCli(['rules', '--format', 'sarif']), runCli(['nospf.test', '--timeout'])]);
  t.is(bare.code, 2);
  t.regex(bare.stderr, /^mailaudit: no domain given: .*mailaudit --help/);
  t.is(explain.code, 2);
  t.regex(explain.stderr, /^mailaudit: explain needs a rule id, e\.g\. `mailaudit explain spf-missing`/);
  t.is(rulesSarif.code, 2);
  t.is(rulesSarif.stdout, '');
  t.regex(rulesSarif.stderr, /rules writes --format text or json, not sarif/);
  t.is(missingValue.code, 2);
  t.regex(missingValue.stderr, /timeout/);
});

test('-o - writes to standard output; --zone - and -i - read standard input', async (t) => {
  const r = await runCli([...base(), 'nospf.test', '-o', '-', '-f', 'json']);
  t.deepEqual(report(r).domains.map((d) => d.domain), ['nospf.test'], r.stderr);
  const both = await runCli([...base(), '--zone', '-', '-i', '-']);
  t.is(both.code, 2);
  t.regex(both.stderr, /--zone - and --input - both read standard input/);
});
