import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import test from 'ava';
import type { TestDnsServer } from './helpers/dns-server.js';
import { runCli } from './helpers/cli.js';
import { QUIET_RULES, startFixtureDns } from './helpers/fixtures.js';

let dns: TestDnsServer;
// These tests are about the config file: the probe is off and the notes every fixture domain gets are too.
const dnsArgs = () => ['--dns-server', dns.address, '--timeout', '10000', '--tries', '2', '--no-smtp', ...QUIET_RULES.flatMap((id) => ['--disable', id])];

test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

function configFile(content: unknown, name = 'mailaudit.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'config-'));
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

type F = { ruleId: string; severity: string; location: { name: string; type: string; line?: number }; args: Record<string, unknown> };
const findingsOf = (stdout: string, i = 0): F[] => JSON.parse(stdout).domains[i].findings;

test('expected MX hosts and SPF includes: findings where DNS differs', async (t) => {
  const file = configFile({
    domains: { 'Clean.Test.': { mx: ['mx1.clean.test', 'mx3.clean.test.'], spfIncludes: ['_spf.provider.example'] } },
  });
  const r = await runCli(['clean.test', '--config', file, '--format', 'json', ...dnsArgs()]);
  t.is(r.code, 1, r.stderr);
  const found = findingsOf(r.stdout).map((f) => [f.ruleId, f.args]);
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', (x: string) => !Number.isNaN(Date.parse(x)));
  const validate = ajv.compile(JSON.parse(readFileSync('schemas/report.schema.json', 'utf8')));
  t.true(validate(JSON.parse(r.stdout)), JSON.stringify(validate.errors));
  t.deepEqual(found, [
    ['policy-mx-expected-missing', { exchange: 'mx3.clean.test', expected: ['mx1.clean.test', 'mx3.clean.test'] }],
    ['policy-mx-unexpected', { exchange: 'mx2.clean.test', expected: ['mx1.clean.test', 'mx3.clean.test'] }],
    ['policy-spf-include-missing', { include: '_spf.provider.example', record: 'v=spf1 mx -all' }],
  ]);
});

test('a parked domain must publish null MX, v=spf1 -all and DMARC p=reject', async (t) => {
  const file = configFile({ domains: { 'parked.test': { parked: true }, 'dmarcnone.test': { parked: true } } });
  const r = await runCli(['parked.test', 'dmarcnone.test', '--config', file, '--format', 'json', ...dnsArgs()]);
  t.deepEqual(findingsOf(r.stdout, 0).map((f) => f.ruleId), ['mx-null'], 'a proper parked domain: only the null MX note');
  const policy = findingsOf(r.stdout, 1).filter((f) => f.ruleId.startsWith('policy-'));
  t.deepEqual(
    policy.map((f) => [f.ruleId, f.args['found']]),
    [
      ['policy-parked-dmarc', 'p=none (from _dmarc.dmarcnone.test)'],
      ['policy-parked-mx', '10 mx1.dmarcnone.test'],
      ['policy-parked-spf', 'v=spf1 mx -all'],
    ],
  );
});

test('policy findings from a zone file point at the records', async (t) => {
  const file = configFile({ domains: { 'dmarcnone.test': { parked: true } } });
  const r = await runCli(['--zone', 'fixtures/dmarc-none/zone.db', '--config', file, '--format', 'json', ...dnsArgs()]);
  const lines = Object.fromEntries(findingsOf(r.stdout).map((f) => [f.ruleId, f.location.line]));
  t.like(lines, { 'policy-parked-mx': 5, 'policy-parked-spf': 6, 'policy-parked-dmarc': 7 });
});

test('severity per rule and rules off; .mailauditrc.json is found in the working directory', async (t) => {
  const file = configFile({ rules: { 'spf-missing': 'note', 'dmarc-policy-none': 'off' } }, '.mailauditrc.json');
  const dir = resolve(file, '..');
  const r = await runCli(['nospf.test', 'dmarcnone.test', '--format', 'json', ...dnsArgs()], {}, undefined, dir);
  t.is(r.code, 0, 'spf-missing is only a note now');
  t.deepEqual(findingsOf(r.stdout, 0).map((f) => [f.ruleId, f.severity]), [['spf-missing', 'note']]);
  t.deepEqual(findingsOf(r.stdout, 1), []);
  const sarif = await runCli(['nospf.test', '--format', 'sarif', ...dnsArgs()], {}, undefined, dir);
  const rule = JSON.parse(sarif.stdout).runs[0].tool.driver.rules.find((x: { id: string }) => x.id === 'spf-missing');
  t.is(rule.defaultConfiguration.level, 'note', 'SARIF carries the configured severity');
});

test('flags override the config file: --config replaces the one found, --disable adds to it', async (t) => {
  const found = configFile({ rules: { 'spf-missing': 'off' } }, '.mailauditrc.json');
  const other = configFile({ rules: { 'spf-missing': 'warning' } });
  const cwd = resolve(found, '..');
  const r = await runCli(['nospf.test', '--config', other, '--format', 'json', ...dnsArgs()], {}, undefined, cwd);
  t.deepEqual(findingsOf(r.stdout).map((f) => [f.ruleId, f.severity]), [['spf-missing', 'warning']]);
  const off = await runCli(['nospf.test', '--config', other, '--disable', 'spf-missing', '--format', 'json', ...dnsArgs()], {}, undefined, cwd);
  t.deepEqual(findingsOf(off.stdout), []);
});

const badConfigs: [string, unknown, RegExp][] = [
  ['not JSON', '{ "rules": ', /not valid JSON/],
  ['an unknown property', { rule: {} }, /unknown property "rule"/],
  ['a bad severity', { rules: { 'spf-missing': 'fatal' } }, /\/rules\/spf-missing: must be one of "error", "warning", "note", "off"/],
  ['an unknown rule id', { rules: { 'no-such-rule': 'off' } }, /unknown rule id "no-such-rule"/],
  ['a bad domain name', { domains: { 'exa$mple.com': { parked: true } } }, /\/domains\/exa\$mple\.com/],
  ['parked with MX hosts', { domains: { 'a.test': { parked: true, mx: ['mx1.a.test'] } } }, /parked domain cannot expect MX/],
  ['a bad MX host', { domains: { 'a.test': { mx: ['not a host'] } } }, /\/domains\/a\.test\/mx\/0/],
];
for (const [what, content, message] of badConfigs) {
  test(`a config file with ${what} is exit 2 naming the file and the problem`, async (t) => {
    const file = configFile(content);
    const r = await runCli(['clean.test', '--config', file, ...dnsArgs()]);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.true(r.stderr.startsWith(`mailaudit: config file ${file}: `), r.stderr);
    t.regex(r.stderr, message);
  });
}

test('a --config file that does not exist is exit 2', async (t) => {
  const r = await runCli(['clean.test', '--config', 'no-such-config.json', ...dnsArgs()]);
  t.is(r.code, 2);
  t.regex(r.stderr, /cannot read config file no-such-config\.json: ENOENT/);
});
