import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Ajv } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';

const AjvDraft04 = AjvDraft04Module.default ?? AjvDraft04Module;
import type { TestDnsServer } from './helpers/dns-server.js';
import { runCli } from './helpers/cli.js';
import { useColor } from '../src/cli.js';
import { builtinRules } from '../src/engine/load.js';
import { renderText } from '../src/report/text.js';
import { startFixtureDns } from './helpers/fixtures.js';

let dns: TestDnsServer;
// Generous: many CLI processes start at once on a small machine, and a slow start is not a DNS failure.
/** Notes nearly every fixture domain gets (no MTA-STS, no TLS-RPT, answers not DNSSEC-validated): not what these tests are about. */
const QUIET = ['--disable', 'mta-sts-missing', '--disable', 'tlsrpt-missing', '--disable', 'dnssec-unsigned'];
const dnsArgs = () => [...QUIET, '--dns-server', dns.address, '--timeout', '3000', '--tries', '1', '--no-smtp'];

test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

const sarifSchema = JSON.parse(readFileSync(join('test', 'schemas', 'sarif-schema-2.1.0.json'), 'utf8'));
const reportSchema = JSON.parse(readFileSync(join('schemas', 'report.schema.json'), 'utf8'));

function validator(schema: object, draft04 = false) {
  const ajv = draft04 ? new AjvDraft04({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: false });
  if (!draft04) ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile(schema);
}

test('--help lists every option with its default', async (t) => {
  const r = await runCli(['--help']);
  t.is(r.code, 0);
  for (const option of ['--format', '--output', '--dns-server', '--timeout', '--fail-on', '--disable', '--zone', '--dkim-selector', '--config', '--smtp', '--smtp-port', '--smtp-timeout', '--ehlo-name', '--ca-file', '--submission', '--sender-ip', '--https-port', '--http-timeout']) {
    t.true(r.stdout.includes(option), option);
  }
  t.regex(r.stdout, /\[default: 5000\]/);
  t.regex(r.stdout, /\[default: "error"\]/);
});

test('--version prints the package version', async (t) => {
  const r = await runCli(['--version']);
  t.is(r.code, 0);
  t.is(r.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
});

const badInputs: [string, string[], RegExp][] = [
  ['an empty name', [''], /empty domain name/],
  ['an empty label', ['a..example'], /empty label/],
  ['a label over 63 octets', [`${'x'.repeat(64)}.example`], /at most 63/],
  ['a name over 253 octets', [`${'abcdefghi.'.repeat(26)}com`], /at most 253/],
  ['a character not in host names', ['exa$mple.com'], /letters, digits/],
  ['a URL', ['https://example.com/'], /URL/],
  ['an e-mail address', ['postmaster@example.com'], /e-mail address/],
  ['a name after -- that looks like an option', ['--', '-rf'], /not an option/],
  ['an unknown option', ['--frobnicate', 'example.com'], /unknown option --frobnicate/],
  ['an invalid --dns-server', ['--dns-server', '300.1.1.1', 'example.com'], /--dns-server/],
  ['an unreadable --zone', ['--zone', 'fixtures/no-such-file.db', 'example.com'], /cannot read zone file .*ENOENT/],
  ['an unknown --format', ['--format', 'xml', 'example.com'], /--format must be one of text, compact, json, sarif, ndjson, csv, html, got "xml"/],
  ['an unknown rule in --disable', ['--disable', 'no-such-rule', 'example.com'], /unknown rule id/],
  ['a bad --timeout', ['--timeout', '-5', 'example.com'], /--timeout/],
  ['a bad --dns-in-flight', ['--dns-in-flight', '0', 'example.com'], /--dns-in-flight/],
  ['an invalid A-label', ['xn--zz.test'], /"xn--zz", which is not a valid A-label/],
  ['an invalid A-label in upper case', ['XN--ZZ.TEST'], /not a valid A-label/],
  ['a one-letter A-label', ['xn--a.test'], /not a valid A-label/],
  ['--origin without --zone', ['--origin', 'x.test', 'example.com'], /--origin .* give --zone FILE too/],
];
for (const [what, args, message] of badInputs) {
  test(`exit 2 and one line on stderr for ${what}`, async (t) => {
    const r = await runCli(args);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.regex(r.stderr, /^mailaudit: /);
    t.regex(r.stderr, message);
    t.notRegex(r.stderr, /\bat .*\(.*:\d+:\d+\)/, 'no stack trace');
  });
}

test('a zone file syntax error is a finding at its line, not a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zone-'));
  const file = join(dir, 'bad.db');
  writeFileSync(file, '$ORIGIN bad.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN MX ten mx1\n');
  const r = await runCli(['--zone', file, '--format', 'json', ...dnsArgs()]);
  t.is(r.code, 1, r.stderr);
  const d = JSON.parse(r.stdout).domains[0];
  t.is(d.domain, 'bad.test');
  t.deepEqual(
    d.findings.map((f: { ruleId: string; location: object }) => [f.ruleId, f.location]),
    [['zone-syntax-error', { name: 'bad.test', type: 'zone', file, line: 3 }]],
  );
  t.regex(d.findings[0].message, /line 3 does not parse: bad preference 'ten'/);
});

test('several --zone files in one run: each audited for its origin, findings at their lines', async (t) => {
  const r = await runCli(['--zone', 'fixtures/no-spf/zone.db', '--zone', 'fixtures/mx-cname/zone.db', '--zone', 'fixtures/clean/zone.db', '--format', 'json', ...dnsArgs()]);
  const report = JSON.parse(r.stdout);
  t.deepEqual(report.domains.map((d: { domain: string }) => d.domain), ['nospf.test', 'mxcname.test', 'clean.test']);
  const at = (i: number) => report.domains[i].findings.map((f: { ruleId: string; location: { file: string; line: number } }) => `${f.ruleId} ${f.location.file}:${f.location.line}`);
  t.deepEqual(at(0), ['spf-missing fixtures/no-spf/zone.db:3']);
  t.deepEqual(at(1), ['mx-target-cname fixtures/mx-cname/zone.db:5']);
  t.deepEqual(at(2), []);
  t.is(r.code, 1);
});

test('a child zone file answers for its names even when its parent zone file is given first', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zone-'));
  const child = join(dir, 'dept.zone');
  writeFileSync(child, '$ORIGIN dept.clean.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN NS ns1\n@ IN MX 10 mx1.clean.test.\nns1 IN A 127.0.0.53\n');
  const r = await runCli(['--zone', 'fixtures/clean/zone.db', '--zone', child, '--format', 'json', ...dnsArgs()]);
  const report = JSON.parse(r.stdout);
  t.deepEqual(report.domains.map((d: { domain: string }) => d.domain), ['clean.test', 'dept.clean.test']);
  const child0 = report.domains[1].findings.filter((f: { ruleId: string }) => f.ruleId.startsWith('spf-') || f.ruleId.startsWith('mx-'));
  t.deepEqual(child0.map((f: { ruleId: string; location: { file: string; line: number } }) => [f.ruleId, f.location.file, f.location.line]), [['spf-missing', child, 2]]);
  t.is(report.domains[1].records.dmarc.effective?.source, '_dmarc.clean.test', "the parent zone file's DMARC applies");
  t.is(report.domains[1].records.mx.hosts[0].exchange, 'mx1.clean.test', 'the MX came from the child zone file');
  t.is(report.domains[1].records.mx.hosts[0].origin.file, child);
});

test('two zone files for the same zone are an input error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zone-'));
  const copy = join(dir, 'clean-again.zone');
  writeFileSync(copy, readFileSync('fixtures/clean/zone.db'));
  const r = await runCli(['--zone', 'fixtures/clean/zone.db', '--zone', copy, ...dnsArgs()]);
  t.is(r.code, 2);
  t.regex(r.stderr, /zone files fixtures\/clean\/zone\.db and .*clean-again\.zone are both for clean\.test/);
});

test('mailaudit rules lists every rule; explain prints one; an unknown id is exit 2', async (t) => {
  const list = await runCli(['rules']);
  t.is(list.code, 0);
  t.regex(list.stdout, /^spf-missing\s+error\s+No SPF record/m);
  t.regex(list.stdout, /^zone-syntax-error\s+error\s+/m);
  const json = JSON.parse((await runCli(['rules', '--format', 'json'])).stdout);
  t.true(json.some((r: { id: string; docs: string }) => r.id === 'mx-null' && r.docs.endsWith('docs/rules/mx-null.md')));
  const explain = await runCli(['explain', 'dmarc-policy-none']);
  t.is(explain.code, 0);
  for (const part of ['Why it matters', 'How to fix it', 'Bad', 'Good', 'References: RFC 9989 §4.7', 'docs/rules/dmarc-policy-none.md']) {
    t.true(explain.stdout.includes(part), part);
  }
  const unknown = await runCli(['explain', 'no-such-rule']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /^mailaudit: unknown rule id "no-such-rule"/);
});

test('text output: grouped by domain with findings, fix and RFC, and a summary; exit 1 on errors', async (t) => {
  const r = await runCli(['nospf.test', 'clean.test', ...dnsArgs()]);
  t.is(r.code, 1);
  const noSpf = r.stdout.indexOf('nospf.test');
  const clean = r.stdout.indexOf('\nclean.test');
  t.true(noSpf >= 0 && clean > noSpf, 'domains in the order given');
  t.regex(r.stdout, /✖ error\s+spf-missing/);
  t.regex(r.stdout, /fix: Publish one TXT record/);
  t.regex(r.stdout, /see: RFC 7208 §2\.3/);
  t.regex(r.stdout, /✔ no findings/);
  t.regex(r.stdout, /2 domains audited: 1 error, 0 warnings, 0 notes/);
  t.notRegex(r.stdout, /\x1b\[/, 'no colour when piped');
});

test('colour only when asked for on a pipe, never with NO_COLOR', async (t) => {
  const forced = await runCli(['nospf.test', ...dnsArgs()], { FORCE_COLOR: '1' });
  t.regex(forced.stdout, /\x1b\[31m/);
  const off = await runCli(['nospf.test', ...dnsArgs()], { FORCE_COLOR: '1', NO_COLOR: '1' });
  t.notRegex(off.stdout, /\x1b\[/);
});

test('--fail-on sets the exit code threshold', async (t) => {
  t.is((await runCli(['dmarcnone.test', ...dnsArgs()])).code, 0, 'a warning does not fail by default');
  t.is((await runCli(['dmarcnone.test', '--fail-on', 'warning', ...dnsArgs()])).code, 1);
  t.is((await runCli(['nospf.test', '--fail-on', 'none', ...dnsArgs()])).code, 0);
  t.is((await runCli(['parked.test', '--fail-on', 'note', ...dnsArgs()])).code, 1);
});

test('--disable removes a rule', async (t) => {
  const r = await runCli(['nospf.test', '--disable', 'spf-missing', '--format', 'json', ...dnsArgs()]);
  t.is(r.code, 0);
  t.deepEqual(JSON.parse(r.stdout).domains[0].findings, []);
});

test('JSON output validates against the published report schema', async (t) => {
  const r = await runCli(['clean.test', 'nospf.test', 'mxcname.test', 'does-not-exist.test', 'slowdmarc.test', '--format', 'json', ...dnsArgs()]);
  const report = JSON.parse(r.stdout);
  const validate = validator(reportSchema);
  t.true(validate(report), JSON.stringify(validate.errors));
  t.is(report.domains.length, 5);
  t.is(report.summary.domains, 5);
  const clean = report.domains[0].records;
  t.is(clean.mx.hosts[0].exchange, 'mx1.clean.test');
  t.deepEqual(clean.spf.records[0].chunks, ['v=spf1 mx -all']);
  t.true(clean.lookups.some((l: { name: string; type: string; status: string }) => l.name === '_dmarc.clean.test' && l.status === 'ok'));
});

test('SARIF output validates against the official SARIF 2.1.0 schema, with fingerprints and locations', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sarif-'));
  const out = join(dir, 'out.sarif');
  const r = await runCli(['twospf.test', 'mxcname.test', '--format', 'sarif', '--output', out, ...dnsArgs()]);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  const sarif = JSON.parse(readFileSync(out, 'utf8'));
  const validate = validator(sarifSchema, true);
  t.true(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
  const run = sarif.runs[0];
  const ids = run.tool.driver.rules.map((r: { id: string }) => r.id);
  t.true(ids.includes('spf-multiple-records'));
  for (const rule of run.tool.driver.rules) {
    t.truthy(rule.shortDescription.text && rule.fullDescription.text && rule.help.text && rule.helpUri && rule.defaultConfiguration.level);
  }
  t.is(run.results.length, 2);
  for (const result of run.results) {
    t.is(ids[result.ruleIndex], result.ruleId);
    t.truthy(result.locations[0].physicalLocation.artifactLocation.uri);
    t.truthy(result.locations[0].logicalLocations[0].name);
    t.regex(result.partialFingerprints['mailauditFinding/v1'], /^[0-9a-f]{32}$/);
  }
});

test('SARIF from a zone file points at the file and line, relative to the working directory', async (t) => {
  const r = await runCli(['--zone', 'fixtures/no-spf/zone.db', '--format', 'sarif', ...dnsArgs()]);
  const result = JSON.parse(r.stdout).runs[0].results[0];
  t.is(result.ruleId, 'spf-missing');
  t.deepEqual(result.locations[0].physicalLocation, { artifactLocation: { uri: 'fixtures/no-spf/zone.db' }, region: { startLine: 3 } });
});

test('the same finding keeps its fingerprint across runs', async (t) => {
  const fp = async () => JSON.parse((await runCli(['twospf.test', '--format', 'sarif', ...dnsArgs()])).stdout).runs[0].results[0].partialFingerprints;
  t.deepEqual(await fp(), await fp());
});

test('an internationalised name is audited as its A-label', async (t) => {
  const r = await runCli(['bücher.test', '--format', 'json', ...dnsArgs()]);
  const d = JSON.parse(r.stdout).domains[0];
  t.is(d.domain, 'xn--bcher-kva.test');
  t.is(d.input, 'bücher.test');
  t.is(d.records.spf.status, 'found');
});

test('a zone file is linted offline-first: its records, with file and line', async (t) => {
  const r = await runCli(['--zone', 'fixtures/mx-cname/zone.db', ...dnsArgs()]);
  t.is(r.code, 0);
  t.regex(r.stdout, /mx-target-cname/);
  t.regex(r.stdout, /zone\.db:5/);
});

test('a domain that does not exist gives one finding, not a cascade', async (t) => {
  const r = await runCli(['does-not-exist.test', '--format', 'json', ...dnsArgs()]);
  t.is(r.code, 1);
  t.deepEqual(JSON.parse(r.stdout).domains[0].findings.map((f: { ruleId: string }) => f.ruleId), ['domain-not-found']);
});

/** A "DNS server" that takes every query and never answers, over UDP and TCP. */
async function silentServer(): Promise<{ address: string; close: () => Promise<void> }> {
  const udp: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const port = udp.address().port;
  const tcp: Server = createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      udp.close();
      tcp.close();
    },
  };
}

// Serial: it runs before this file's other tests start their dozens of processes, so its time bound
// measures the run, not a queue for the CPU.
test.serial('a DNS server that never answers: one finding naming it, never "missing", and the run ends', async (t) => {
  t.timeout(20_000, 'the run must be bounded by the DNS timeout');
  const silent = await silentServer();
  try {
    const json = await runCli(['example.test', '--dns-server', silent.address, '--timeout', '500', '--tries', '1', '--no-smtp', '--format', 'json']);
    t.is(json.code, 1);
    // The text of the same report, rendered here rather than by a second run of the binary.
    const text = { stdout: renderText(JSON.parse(json.stdout), { rules: builtinRules(), color: false }) };
    const d = JSON.parse(json.stdout).domains[0];
    t.deepEqual(d.findings.map((f: { ruleId: string }) => f.ruleId), ['dns-all-lookups-failed']);
    t.is(d.records.existence, 'undetermined');
    const { count, error, resolver } = d.findings[0].args;
    t.is(error, 'ETIMEOUT');
    t.is(resolver, '127.0.0.1');
    t.is(count, d.records.lookups.length);
    t.true(count >= 2);
    t.deepEqual(d.records.dnsFailures, []);
    t.true(d.records.lookups.every((l: { servers: string[] }) => l.servers[0] === silent.address), 'the JSON keeps the resolver with its port');
    // One line says so, once for the domain.
    t.is(text.stdout.split('\n').filter((l) => /✖ error/.test(l)).length, 1, text.stdout);
    t.regex(text.stdout, new RegExp(`All ${count} DNS lookups for example\\.test failed \\(ETIMEOUT from 127\\.0\\.0\\.1\\)`));
  } finally {
    await silent.close();
  }
});

test('a lookup that fails or says NXDOMAIN names the resolver that answered', async (t) => {
  const [nx, servfail] = await Promise.all([runCli(['does-not-exist.test', ...dnsArgs()]), runCli(['servfail.test', '-f', 'compact', ...dnsArgs()])]);
  t.regex(nx.stdout, /does-not-exist\.test does not exist \(NXDOMAIN from 127\.0\.0\.1\)/);
  t.regex(servfail.stdout, /^servfail\.test: error dns-lookup-failed The MX lookup of servfail\.test failed \(ESERVFAIL from 127\.0\.0\.1\)/m);
});

/** A zone without $ORIGIN or SOA: names relative to an origin given elsewhere; no SPF record. */
const BARE_ZONE = [
  '@ IN MX 10 mx1',
  'mx1 IN A 127.0.0.25',
  '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@nospf.test"',
  'default._domainkey IN TXT "v=DKIM1; k=ed25519; p=DrWjtmk5YSrSfMsShGkJH+jrq9zsmokWV6KxaE2WrsA="',
  '',
].join('\n');

test('--zone FILE without $ORIGIN or SOA: the origin from --origin, from the domain, or an error saying so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zone-'));
  const file = join(dir, 'bare.zone');
  writeFileSync(file, BARE_ZONE);
  const [byOrigin, byDomain, none] = await Promise.all([
    runCli(['--zone', file, '--origin', 'nospf.test', '--format', 'json', ...dnsArgs()]),
    runCli(['nospf.test', '--zone', file, '--format', 'json', ...dnsArgs()]),
    runCli(['--zone', file, ...dnsArgs()]),
  ]);
  for (const r of [byOrigin, byDomain]) {
    const d = JSON.parse(r.stdout).domains;
    t.deepEqual(d.map((x: { domain: string }) => x.domain), ['nospf.test'], r.stderr);
    t.deepEqual(d[0].findings.map((f: { ruleId: string; location: { file: string; line: number } }) => [f.ruleId, f.location.file]), [['spf-missing', file]]);
    t.is(d[0].records.mx.hosts[0].exchange, 'mx1.nospf.test');
  }
  t.is(none.code, 2);
  t.regex(none.stderr, /^mailaudit: zone file .*bare\.zone has no \$ORIGIN or SOA: give its origin with --origin NAME or as the domain\n$/);
});

test('--zone - reads the zone from standard input', async (t) => {
  const zone = readFileSync('fixtures/no-spf/zone.db', 'utf8');
  const r = await runCli(['--zone', '-', '--format', 'json', ...dnsArgs()], {}, zone);
  t.is(r.code, 1, r.stderr);
  const d = JSON.parse(r.stdout).domains[0];
  t.is(d.domain, 'nospf.test');
  t.deepEqual(d.findings.map((f: { ruleId: string; location: { file: string; line: number } }) => `${f.ruleId} ${f.location.file}:${f.location.line}`), ['spf-missing (stdin):3']);
  const bare = await runCli(['nospf.test', '--zone', '-', '-f', 'compact', ...dnsArgs()], {}, BARE_ZONE);
  t.is(bare.stdout, 'nospf.test: error spf-missing nospf.test publishes no SPF record: receivers cannot tell which servers may send its mail (SPF result none). [(stdin):1]\n', bare.stderr);
});

test('colour: --color and --no-color win; FORCE_COLOR=0 turns it off, FORCE_COLOR=1 on; none on a pipe by default', async (t) => {
  const run = (args: string[], env: Record<string, string> = {}) => runCli(['nospf.test', ...args, ...dnsArgs()], env);
  const [plain, forced, forcedOff, asked, refused, noColor] = await Promise.all([
    run([]),
    run([], { FORCE_COLOR: '1' }),
    run([], { FORCE_COLOR: '0' }),
    run(['--color']),
    run(['--no-color'], { FORCE_COLOR: '1' }),
    run(['--color'], { NO_COLOR: '1' }),
  ]);
  t.notRegex(plain.stdout, /\x1b\[/);
  t.regex(forced.stdout, /\x1b\[31m/);
  t.notRegex(forcedOff.stdout, /\x1b\[/);
  t.regex(asked.stdout, /\x1b\[31m/);
  t.notRegex(refused.stdout, /\x1b\[/);
  t.regex(noColor.stdout, /\x1b\[31m/, 'an explicit --color wins over NO_COLOR');
});

test('useColor: FORCE_COLOR=0 turns colour off even on a terminal; a report to a file has none unless asked', (t) => {
  t.false(useColor(undefined, false, { FORCE_COLOR: '0' }, true));
  t.false(useColor(undefined, false, { FORCE_COLOR: 'false' }, true));
  t.true(useColor(undefined, false, {}, true));
  t.false(useColor(undefined, false, {}, false));
  t.true(useColor(undefined, false, { FORCE_COLOR: '1' }, false));
  t.false(useColor(undefined, true, {}, true));
  t.true(useColor(true, true, {}, false));
  t.false(useColor(false, false, { FORCE_COLOR: '1' }, true));
});
