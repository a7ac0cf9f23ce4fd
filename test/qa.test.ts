/**
 * Defects found by trying mailaudit as a new user would (the QA pass after issues 11–17), each with
 * the real CLI against the loopback fixture DNS server or a fixture zone.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { FleetDocument } from '../src/fleet/document.js';
import { runCli } from './helpers/cli.js';
import { startFixtureDns } from './helpers/fixtures.js';
import type { TestDnsServer } from './helpers/dns-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mailaudit-qa-'));
let dns: TestDnsServer;
const dnsArgs = () => ['--dns-server', dns.address, '--timeout', '3000', '--tries', '1', '--no-smtp', '--quiet'];

test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(() => dns?.close());

test('a domain that does not exist is failing in the fleet view and the HTML page, not "not checked"', async (t) => {
  const results = join(dir, 'nx.ndjson');
  const run = await runCli(['does-not-exist.test', 'clean.test', '-f', 'ndjson', '-o', results, ...dnsArgs()]);
  t.is(run.code, 1, run.stderr);
  const fleet = await runCli(['report', results, '-f', 'json']);
  t.is(fleet.code, 0, fleet.stderr);
  const doc = JSON.parse(fleet.stdout) as FleetDocument;
  const row = doc.rows.find((r) => r.domain === 'does-not-exist.test')!;
  t.is(row.summary.error, 1);
  t.is(row.level, 'bad');
  t.is(doc.levels.bad, 1);
  t.is(doc.levels.off, 0);
  const text = await runCli(['report', results]);
  t.notRegex(text.stdout, /^\s+off\s/m, 'every area key has its words');
  const page = await runCli(['does-not-exist.test', '-f', 'html', ...dnsArgs()]);
  const heading = /<h2>does-not-exist\.test(.*?)<\/h2>/.exec(page.stdout)?.[1] ?? '';
  t.regex(heading, /Failing/);
});

test('a misspelt command is named as one, with the command meant', async (t) => {
  for (const [word, meant] of [['explian', 'explain'], ['rulez', 'rules'], ['bounse', 'bounce'], ['REPORT2', 'report']]) {
    const r = await runCli([word, 'spf-missing']);
    t.is(r.code, 2);
    t.is(r.stderr, `mailaudit: unknown command "${word}": did you mean \`mailaudit ${meant}\`? (a domain to audit needs a dot, such as example.com)\n`);
  }
  // A single label that is no near-miss keeps the domain error.
  t.regex((await runCli(['localhost'])).stderr, /single label/);
});

test('an unknown option is named as typed, with where to look', async (t) => {
  const r = await runCli(['--frobnicate', '-y', 'example.com']);
  t.is(r.code, 2);
  t.is(r.stderr, 'mailaudit: unknown options --frobnicate, -y: `mailaudit --help` lists the options\n');
  const report = await runCli(['report', 'x.ndjson', '--bogus']);
  t.is(report.code, 2);
  t.is(report.stderr, 'mailaudit: unknown option --bogus: `mailaudit report --help` lists the options\n');
});

test('bounce with no text is a usage error, not an explanation of nothing', async (t) => {
  for (const [args, stdin] of [[['bounce', ''], ''], [['bounce'], ''], [['bounce'], '  \n\t\n'], [['bounce', ' '], undefined]] as const) {
    const r = await runCli([...args], {}, stdin);
    t.is(r.code, 2, JSON.stringify(args));
    t.is(r.stdout, '');
    t.regex(r.stderr, /^mailaudit: bounce needs the text of the bounce: .*standard input\n$/);
  }
});

test('report --baseline takes one file per occurrence: the results after it are not swallowed', async (t) => {
  const results = join(dir, 'base.ndjson');
  const run = await runCli(['clean.test', 'nospf.test', '-f', 'ndjson', '--ordered', '-o', results, ...dnsArgs()]);
  t.is(run.code, 1, run.stderr);
  const old = join(dir, 'old.ndjson');
  writeFileSync(old, readFileSync(results, 'utf8').split('\n')[0] + '\n');
  const r = await runCli(['report', '--baseline', old, results, '-f', 'json']);
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as FleetDocument & { comparison?: unknown };
  t.is(doc.domains, 2);
  t.truthy(doc.comparison);
});

test('report --max-rows names the value given, not NaN; the last one wins', async (t) => {
  const r = await runCli(['report', 'x.ndjson', '--max-rows', 'abc']);
  t.is(r.code, 2);
  t.is(r.stderr, 'mailaudit: --max-rows must be a whole number ≥ 0, got "abc"\n');
  const results = join(dir, 'rows.ndjson');
  await runCli(['clean.test', 'nospf.test', '-f', 'ndjson', '-o', results, ...dnsArgs()]);
  const twice = await runCli(['report', results, '--max-rows', '5', '--max-rows', '1', '-f', 'json']);
  t.is(twice.code, 0, twice.stderr);
  t.is((JSON.parse(twice.stdout) as FleetDocument).rows.length, 1);
});

test('--help: no unit said twice, each bracket set apart, every exit code listed', async (t) => {
  const { stdout, code } = await runCli(['--help'], { COLUMNS: '100' });
  t.is(code, 0);
  t.notRegex(stdout, /in ms\b.*\(ms\)/);
  t.notRegex(stdout, /\S\[(string|array|boolean|default|choices)/, 'yargs glued a bracket to the text before it');
  for (const exit of ['0', '1', '2', '130', '143']) t.regex(stdout, new RegExp(`Exit codes:[^]*\\b${exit}\\b`));
});

test('HTML pages show control characters and bidi overrides of a record visibly, as the text report does', async (t) => {
  const zone = join(dir, 'esc.zone');
  writeFileSync(
    zone,
    [
      '$ORIGIN esc.test.',
      '$TTL 300',
      '@ IN SOA ns.esc.test. host.esc.test. 1 3600 600 86400 300',
      '@ IN NS ns.esc.test.',
      '@ IN MX 10 mx.esc.test.',
      'mx IN A 192.0.2.1',
      '@ IN TXT "v=spf1 ip4:192.0.2.1 \\027[2J\\027]0;title\\007 -all"',
      '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:a@esc.test; x=\\027[8m\\226\\128\\174hidden"',
      '',
    ].join('\n'),
  );
  const page = await runCli(['--zone', zone, '--no-smtp', '-f', 'html', 'esc.test']);
  t.is(page.code, 1, page.stderr);
  t.notRegex(page.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
  t.regex(page.stdout, /x=\\x1b\[8m\\u202ehidden/);
  t.regex(page.stdout, /\\x1b\[2J\\x1b\]0;title\\x07/);
  const results = join(dir, 'esc.ndjson');
  await runCli(['--zone', zone, '--no-smtp', '-f', 'ndjson', '-o', results, 'esc.test']);
  const fleet = await runCli(['report', results, '-f', 'html']);
  t.is(fleet.code, 0, fleet.stderr);
  t.notRegex(fleet.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
  t.regex(fleet.stdout, /\\x1b\[8m/);
});

test('a value outside an option\'s choices names the option, its choices and the value given', async (t) => {
  const r = await runCli(['--fail-on', 'bogus', 'example.com']);
  t.is(r.code, 2);
  t.is(r.stderr, 'mailaudit: --fail-on must be one of error, warning, note, none, got "bogus"\n');
  const report = await runCli(['report', 'x.ndjson', '-f', 'sarif']);
  t.is(report.stderr, 'mailaudit: --format must be one of text, json, csv, html, got "sarif"\n');
});

test('mailaudit rules: the summaries start in the column of their heading', async (t) => {
  const { stdout, code } = await runCli(['rules']);
  t.is(code, 0);
  const [head, ...rows] = stdout.split('\n').filter((l) => / {2}(error|warning|note) +\S/.test(l) || l.startsWith('id '));
  const column = head!.indexOf('summary');
  t.true(rows.length > 0);
  const severity = head!.indexOf('severity');
  for (const row of rows) {
    t.regex(row.slice(severity, column), /^(error|warning|note) +$/, row);
    t.not(row[column], ' ', row);
  }
});

test('rules, explain and bounce honour -o FILE; explain refuses a format it does not write', async (t) => {
  const explained = join(dir, 'explain.txt');
  const e = await runCli(['explain', 'spf-missing', '-o', explained]);
  t.is(e.code, 0, e.stderr);
  t.is(e.stdout, '');
  t.regex(readFileSync(explained, 'utf8'), /^spf-missing \(error, spf\)/);
  const rules = join(dir, 'rules.json');
  t.is((await runCli(['rules', '-f', 'json', '-o', rules])).code, 0);
  t.true((JSON.parse(readFileSync(rules, 'utf8')) as unknown[]).length > 0);
  const bounce = join(dir, 'bounce.json');
  t.is((await runCli(['bounce', '550 5.7.26 unauthenticated', '-f', 'json', '-o', bounce])).code, 0);
  t.regex(readFileSync(bounce, 'utf8'), /5\.7\.26/);
  const missing = await runCli(['rules', '-o', join(dir, 'no-such-dir', 'rules.txt')]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^mailaudit: cannot write .*no-such-dir.*ENOENT\n$/);
  const json = await runCli(['explain', 'spf-missing', '-f', 'json']);
  t.is(json.code, 2);
  t.is(json.stdout, '');
  t.regex(json.stderr, /^mailaudit: mailaudit explain writes text only, not json/);
});

test('an extra word is an unexpected argument, not an unknown option', async (t) => {
  const r = await runCli(['explain', 'spf-missing', 'extra']);
  t.is(r.code, 2);
  t.is(r.stderr, 'mailaudit: unexpected argument "extra": `mailaudit --help` says what the command takes\n');
  t.is((await runCli(['-qy', 'example.com'])).stderr, 'mailaudit: unknown option -y: `mailaudit --help` lists the options\n');
});

test('a list line or argument with control characters is echoed escaped on stderr, never raw', async (t) => {
  const list = join(dir, 'controls.txt');
  writeFileSync(list, 'ab\x1b]0;title\x07c.test\nclean.test\x00evil\n');
  const r = await runCli(['-i', list, '-f', 'csv', ...dnsArgs()]);
  t.is(r.code, 0, r.stderr);
  t.notRegex(r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/);
  t.regex(r.stderr, /controls\.txt:1: "ab\\u001b\]0;title\\u0007c\.test" has the label "ab\\u001b\]0;title\\u0007c": host names use/);
  const arg = await runCli(['ab\x1b[2Jc.test']);
  t.is(arg.code, 2);
  t.notRegex(arg.stderr, /[\x00-\x08\x0b-\x1f\x7f]/);
});

test('an error about a config file keeps its control characters off the terminal, on one line', async (t) => {
  const config = join(dir, 'controls.json');
  writeFileSync(config, JSON.stringify({ '\x1b]0;title\x07': 1, rules: { 'spf-missing': 'off' }, 'x\ny': 2 }));
  const r = await runCli(['--config', config, 'example.com']);
  t.is(r.code, 2);
  t.notRegex(r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/);
  t.is(r.stderr.split('\n').length, 2, 'one line');
  t.regex(r.stderr, /unknown property "\\x1b\]0;title\\x07"/);
});
