/**
 * Issue 12: work and output stay bounded whatever a record, a list or a signal does. Each test runs
 * the real CLI against servers on loopback (DNS, HTTPS) that behave as an attacker's would, with
 * generous ceilings on time and on the child's peak RSS, and checks the output still validates.
 * The heavy ones run one at a time (test.serial): together they would starve the other test files.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { Ajv } from 'ajv';
import { buildReport } from '../src/audit.js';
import { MAX_MX_HOSTS_RESOLVED } from '../src/collect/mx.js';
import { evaluateRule, MAX_FINDINGS_PER_RULE } from '../src/engine/evaluate.js';
import type { Rule } from '../src/engine/rule.js';
import type { DomainFacts } from '../src/facts/index.js';
import { parseZone } from '../src/dns/zonefile.js';
import { resumeCommand } from '../src/bulk/interrupt.js';
import { InputError } from '../src/input/domain.js';
import { linesOf, MAX_LIST_LINE_BYTES, type LineState } from '../src/input/list.js';
import { csvFields } from '../src/input/resume.js';
import { jsonChunks, JsonStreamWriter } from '../src/report/json-stream.js';
import { renderJson } from '../src/report/json.js';
import { renderText, textWriter } from '../src/report/text.js';
import { builtinRules } from '../src/engine/load.js';
import type { DomainReport, Report } from '../src/types.js';
import { BIN, runCli, type CliResult } from './helpers/cli.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { startFixtureDns } from './helpers/fixtures.js';

const reportSchema = JSON.parse(readFileSync(join('schemas', 'report.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
ajv.addSchema(reportSchema);
const validateReport = ajv.getSchema(reportSchema.$id)!;
const validateDomainReport = ajv.getSchema(`${reportSchema.$id}#/definitions/domainReport`)!;

const tmp = () => mkdtempSync(join(tmpdir(), 'mailaudit-limits-'));
const MAX_RSS_HOOK = pathToFileURL(join(process.cwd(), 'dist', 'test', 'helpers', 'max-rss.js')).href;

/** Runs the CLI and reads its peak RSS (kB) through helpers/max-rss.ts. */
async function runMeasured(args: string[], stdin?: string): Promise<CliResult & { maxRssMb: number; seconds: number }> {
  const rssFile = join(tmp(), 'rss');
  const started = Date.now();
  const r = await runCli(args, { NODE_OPTIONS: `--import=${MAX_RSS_HOOK}`, MAILAUDIT_TEST_MAX_RSS: rssFile }, stdin);
  const seconds = (Date.now() - started) / 1000;
  return { ...r, maxRssMb: Number(readFileSync(rssFile, 'utf8')) / 1024, seconds };
}

/** One line on stderr, starting "mailaudit: ", no stack trace. */
function oneLine(t: { is(a: unknown, b: unknown, m?: string): void; regex(s: string, r: RegExp, m?: string): void; notRegex(s: string, r: RegExp, m?: string): void }, stderr: string) {
  t.is(stderr.trim().split('\n').length, 1, stderr.slice(0, 2000));
  t.regex(stderr, /^mailaudit: /);
  t.notRegex(stderr, /\bat .*:\d+:\d+\)?$/m, 'no stack trace');
}

// ------------------------------------------------------------------------------------------------
// The streaming JSON writer

const samples: unknown[] = [
  null,
  0,
  'é "quoted" \n\u2028',
  [],
  {},
  [[], {}, [1, [2, [3]]], { a: [] }],
  { a: 1, b: undefined, c: () => 1, d: [undefined, () => 1, null], e: { f: { g: 'h' } }, date: new Date(0), n: NaN },
  { list: Array.from({ length: 500 }, (_, i) => ({ i, s: 'x'.repeat(i % 7), nested: { deep: [i, `${i}`] } })) },
];

test('jsonChunks writes exactly what JSON.stringify writes, whatever the chunk size', (t) => {
  for (const value of samples) {
    for (const indent of [2, 0]) {
      for (const chunkSize of [1, 100, 65536]) {
        const chunks = [...jsonChunks(value, indent, chunkSize)];
        t.is(chunks.join(''), JSON.stringify(value, null, indent));
        if (chunkSize === 100) t.true(chunks.every((c) => c.length < 100 + 60), 'chunks stay near their size');
      }
    }
  }
});

async function streamed(report: Report): Promise<string> {
  let text = '';
  const doc = new JsonStreamWriter(async (piece) => {
    text += piece;
  });
  const { schemaVersion, tool, generatedAt, domains, summary } = report;
  await doc.open({ schemaVersion, tool, generatedAt }, 'domains');
  for (const d of domains) await doc.item(d);
  await doc.close({ summary }, '\n');
  return text;
}

test('the JSON and text reports streamed domain by domain are renderJson and renderText byte for byte (0, 1 and several domains)', async (t) => {
  const dns = await startFixtureDns();
  try {
    const r = await runCli(['-f', 'json', '--fail-on', 'none', '--dns-server', dns.address, '--timeout', '3000', '--tries', '1', '--no-smtp', 'clean.test', 'nospf.test', 'dmarcnone.test']);
    t.is(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    t.true(validateReport(report), JSON.stringify(validateReport.errors));
    t.is(r.stdout, renderJson(report), 'the CLI wrote what renderJson writes for the same report');
    for (const n of [0, 1, report.domains.length]) {
      const part = buildReport(report.domains.slice(0, n));
      t.is(await streamed(part), renderJson(part));
      for (const color of [false, true]) {
        const options = { rules: builtinRules(), color };
        const pieces = textWriter(options);
        t.is(part.domains.map((d) => pieces.domain(d)).join('') + pieces.end(part.summary), renderText(part, options), 'text too');
      }
    }
  } finally {
    await dns.close();
  }
});

// ------------------------------------------------------------------------------------------------
// Findings per rule

test(`a rule raises at most ${MAX_FINDINGS_PER_RULE} findings per domain; one more counts the rest`, (t) => {
  const facts = {
    domain: 'many.test',
    mx: { status: 'found', hosts: Array.from({ length: 130 }, (_, i) => ({ exchange: `m${i}.many.test`, cname: 'x.test' })) },
  } as unknown as DomainFacts;
  const rule: Rule = {
    id: 'x-cname', category: 'mx', severity: 'warning', summary: 's',
    given: 'mx.hosts[*]', when: [{ path: 'cname', exists: true }],
    message: '{{exchange}} of {{domain}} is an alias', location: { name: '{{exchange}}', type: 'MX' },
    references: ['RFC 2181 §10.3'], rationale: 'r', fix: 'f',
  };
  const findings = evaluateRule(rule, facts);
  t.is(findings.length, MAX_FINDINGS_PER_RULE + 1);
  t.is(findings[MAX_FINDINGS_PER_RULE - 1]!.args['exchange'], `m${MAX_FINDINGS_PER_RULE - 1}.many.test`);
  const last = findings.at(-1)!;
  t.like(last, { ruleId: 'x-cname', severity: 'warning', args: { omitted: 130 - MAX_FINDINGS_PER_RULE, limit: MAX_FINDINGS_PER_RULE } });
  t.deepEqual(last.location, { name: `m${MAX_FINDINGS_PER_RULE}.many.test`, type: 'MX' }, 'where the first one left out would point');
  t.regex(last.message, /^80 more findings of x-cname for many\.test not listed/);
  t.is(evaluateRule(rule, facts, 'warning', 200).length, 130, 'under the cap, every finding');
});

// ------------------------------------------------------------------------------------------------
// A hostile MTA-STS policy: 4,500 mx patterns (within 64 KiB) and 1,200 MX records, two domains

// Names the test certificate covers, short enough for 1,200 MX records in one (uncompressed) TCP answer.
const HOSTILE = ['sts-big.test', 'sts-404.test'];
const PATTERNS = 4500;
const MX_RECORDS = 1200;

function hostileZone(domain: string): string {
  const lines = [`$ORIGIN ${domain}.`, '$TTL 1h', '@ IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )', '  IN NS ns1', 'ns1 IN A 127.0.0.53'];
  for (let i = 0; i < MX_RECORDS; i++) lines.push(`@ IN MX 10 m${i}`, `m${i} IN A 127.0.0.25`);
  lines.push('_mta-sts IN TXT "v=STSv1; id=1"', 'mta-sts IN A 127.0.0.1', '');
  return lines.join('\n');
}

async function startPolicyServer(body: string): Promise<{ port: number; close(): Promise<void> }> {
  const tlsFiles = { cert: readFileSync('test/certs/server.pem'), key: readFileSync('test/certs/server.key') };
  const server = https.createServer(tlsFiles, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test.serial('4,500 mx patterns × 1,200 MX records, two domains: seconds, bounded RSS, valid bounded JSON and SARIF', async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; runs take seconds');
  const policy = ['version: STSv1', 'mode: enforce', 'max_age: 86400', ...Array.from({ length: PATTERNS }, (_, i) => `mx: q${i}.t`)].join('\n');
  t.true(Buffer.byteLength(policy) < 64 * 1024, 'within the 64 KiB a policy may have');
  const served = await startPolicyServer(`${policy}\n`);
  const dns = await startDnsServer({ records: HOSTILE.flatMap((d) => parseZone(hostileZone(d), { file: `${d}.zone` }).records) });
  // Timeouts far above what loopback needs: the machine running the tests may be loaded.
  const args = ['--dns-server', dns.address, '--timeout', '30000', '--tries', '1', '--no-smtp', '--https-port', String(served.port), '--ca-file', 'test/certs/ca.pem', '--http-timeout', '60000', '--fail-on', 'none', ...HOSTILE];
  try {
    const json = await runMeasured(['-f', 'json', ...args]);
    t.is(json.code, 0, json.stderr);
    t.log(`json: ${(json.stdout.length / 1e6).toFixed(2)} MB in ${json.seconds} s, peak RSS ${json.maxRssMb.toFixed(0)} MB`);
    t.true(json.seconds < 180, `${json.seconds} s`);
    t.true(json.maxRssMb < 600, `peak RSS ${json.maxRssMb} MB`);
    t.true(json.stdout.length < 20e6, `${json.stdout.length} bytes of JSON (328 MB per domain before)`);
    const report = JSON.parse(json.stdout) as Report;
    t.true(validateReport(report), JSON.stringify(validateReport.errors?.slice(0, 3)));
    t.deepEqual(report.domains.map((d) => d.domain), HOSTILE);
    for (const d of report.domains) {
      const sts = d.records.mtaSts!;
      t.is(sts.policy?.mxCount, PATTERNS, JSON.stringify(sts.policy?.fetch));
      t.true(sts.policy?.mxTruncated);
      t.is(sts.policy?.mx.length, 100);
      t.is(sts.mxMismatches.length, MX_RECORDS, 'every MX host is matched against every pattern');
      const mx = d.records.mx!;
      t.is(mx.hosts.length, MX_RECORDS, 'every MX host is listed');
      t.is(mx.unresolvedHosts, MX_RECORDS - MAX_MX_HOSTS_RESOLVED, 'only the first are looked up');
      t.false(d.findings.some((f) => f.ruleId === 'mx-target-no-address'), 'a host not looked up is not "without address"');
      t.true(sts.mxMismatches.every((m) => m.patterns.length === 10 && m.patternCount === PATTERNS));
      const mismatches = d.findings.filter((f) => f.ruleId === 'mta-sts-mx-mismatch');
      t.is(mismatches.length, MAX_FINDINGS_PER_RULE + 1);
      t.is(mismatches.at(-1)!.args['omitted'], MX_RECORDS - MAX_FINDINGS_PER_RULE);
      const perRule = new Map<string, number>();
      for (const f of d.findings) perRule.set(f.ruleId, (perRule.get(f.ruleId) ?? 0) + 1);
      t.true([...perRule.values()].every((n) => n <= MAX_FINDINGS_PER_RULE + 1));
    }
    t.is(dns.countQueries(`m${MX_RECORDS - 1}.${HOSTILE[0]}`), 0, 'a host past the cap costs no question');
    t.true(dns.countQueries(`m0.${HOSTILE[0]}`) > 0);
    const sarif = await runMeasured(['-f', 'sarif', ...args]);
    t.is(sarif.code, 0, sarif.stderr);
    t.true(sarif.maxRssMb < 600, `peak RSS ${sarif.maxRssMb} MB`);
    const results = (JSON.parse(sarif.stdout) as { runs: { results: unknown[] }[] }).runs.flatMap((r) => r.results);
    t.true(results.length > 2 * MAX_FINDINGS_PER_RULE && results.length < 2000, `${results.length} results`);
  } finally {
    await Promise.all([served.close(), dns.close()]);
  }
});

// ------------------------------------------------------------------------------------------------
// 10,000 names on the command line, 2,000 distinct

test.serial('10,000 names on the command line (2,000 distinct spellings): each audited once, in every format', async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; runs take seconds');
  // Names under a zone with nothing in it: NXDOMAIN, one question each.
  const dns = await startDnsServer({ records: parseZone('$ORIGIN nx.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN NS ns1\nns1 IN A 127.0.0.53\n', { file: 'nx.zone' }).records });
  const spellings = (i: number) => [`d${i}.nx.test`, `D${i}.NX.test.`, `d${i}.Nx.Test`, ` d${i}.nx.test.`.trim(), `d${i}.NX.TEST`];
  const names = Array.from({ length: 2000 }, (_, i) => spellings(i)).flat();
  t.is(names.length, 10_000);
  const args = ['--dns-server', dns.address, '--timeout', '10000', '--tries', '1', '--no-smtp', '--fail-on', 'none', ...names];
  try {
    const json = await runMeasured(['-f', 'json', ...args]);
    t.is(json.code, 0, json.stderr.slice(0, 500));
    t.log(`json: ${json.seconds} s, peak RSS ${json.maxRssMb.toFixed(0)} MB`);
    t.true(json.maxRssMb < 600, `peak RSS ${json.maxRssMb} MB`);
    const report = JSON.parse(json.stdout) as Report;
    t.true(validateReport(report));
    t.is(report.domains.length, 2000);
    t.is(new Set(report.domains.map((d) => d.domain)).size, 2000);
    t.deepEqual(report.domains.slice(0, 3).map((d) => d.domain), ['d0.nx.test', 'd1.nx.test', 'd2.nx.test'], 'in input order');
    t.is(dns.countQueries('d7.nx.test', 'MX'), 1, 'one spelling, one audit');

    const text = await runMeasured(['-f', 'text', ...args]);
    t.is(text.code, 0);
    t.log(`text: ${text.seconds} s, peak RSS ${text.maxRssMb.toFixed(0)} MB`);
    t.true(text.maxRssMb < 600, `peak RSS ${text.maxRssMb} MB`);
    t.regex(text.stdout, /^2000 domains audited/m);
    t.is(text.stdout.match(/^d1234\.nx\.test/gm)?.length, 1);

    const sarif = await runMeasured(['-f', 'sarif', ...args]);
    t.is(sarif.code, 0);
    t.log(`sarif: ${sarif.seconds} s, peak RSS ${sarif.maxRssMb.toFixed(0)} MB`);
    t.true(sarif.maxRssMb < 600, `peak RSS ${sarif.maxRssMb} MB`);
    const results = (JSON.parse(sarif.stdout) as { runs: { results: { properties: { domain: string } }[] }[] }).runs.flatMap((r) => r.results);
    t.is(new Set(results.map((r) => r.properties.domain)).size, 2000);
    t.is(results.filter((r) => r.properties.domain === 'd99.nx.test').length, results.length / 2000, 'each domain once');
  } finally {
    await dns.close();
  }
});

// ------------------------------------------------------------------------------------------------
// Lines that never end

test('linesOf: LF, CRLF and lone CR end lines across chunk boundaries; a line over the cap is an InputError', async (t) => {
  async function* chunks(...parts: (string | Buffer)[]) {
    yield* parts;
  }
  const read = async (state: LineState, ...parts: (string | Buffer)[]) => {
    const out: string[] = [];
    for await (const l of linesOf(chunks(...parts), { state, maxBytes: 10 })) out.push(l);
    return out;
  };
  const state: LineState = { completeBytes: 0, unterminated: false };
  t.deepEqual(await read(state, 'a\r', '\nbé\rc\n\nd', 'e'), ['a', 'bé', 'c', '', 'de']);
  t.true(state.unterminated);
  t.is(state.completeBytes, Buffer.byteLength('a\r\nbé\rc\n\n'));
  const ended: LineState = { completeBytes: 0, unterminated: false };
  t.deepEqual(await read(ended, Buffer.from('x\ny\n')), ['x', 'y']);
  t.false(ended.unterminated);
  await t.throwsAsync(read(state, '0123456789', 'x'), { instanceOf: InputError, message: /line 1 is longer than 10 bytes/ });
  await t.throwsAsync(read(state, 'ok\n0123456789x\n'), { instanceOf: InputError, message: /line 2 is longer than 10 bytes/ });
});

test('the resume command: the same arguments with --resume FILE, before a --, quoted for a shell', (t) => {
  t.is(resumeCommand(['-i', 'l.txt', '-f', 'ndjson', '-o', 'out.ndjson'], 'out.ndjson'), 'mailaudit -i l.txt -f ndjson -o out.ndjson --resume out.ndjson');
  t.is(resumeCommand(['-f', 'csv', '-o', "it's here.csv", '--', 'a.test'], "it's here.csv"), `mailaudit -f csv -o 'it'\\''s here.csv' --resume 'it'\\''s here.csv' -- a.test`);
  t.is(resumeCommand(['-o', 'o', '--resume=o'], 'o'), 'mailaudit -o o --resume=o');
  t.deepEqual(csvFields('a.test,1,"x, ""y""\nz",'), ['a.test', '1', 'x, "y"\nz', '']);
});

test.serial('a line that never ends (/dev/zero as the list or the resume file): exit 2, one line, bounded RSS', async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; runs take seconds');
  for (const args of [
    ['-i', '/dev/zero', '-f', 'json', '--no-smtp'],
    ['-i', '/dev/zero', '-f', 'ndjson', '--no-smtp'],
    ['-f', 'ndjson', '--resume', '/dev/zero', 'example.test'],
    ['-f', 'csv', '--resume', '/dev/zero', 'example.test'],
  ]) {
    const r = await runMeasured(args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.is(r.stdout, '');
    oneLine(t, r.stderr);
    t.regex(r.stderr, /line 1 is longer than \d+ bytes/);
    t.true(r.maxRssMb < 400, `${args.join(' ')}: peak RSS ${r.maxRssMb} MB`);
  }
  // Files read whole are capped in size.
  for (const [option, what] of [['--zone', 'zone file'], ['--config', 'config file'], ['--ca-file', 'CA file']]) {
    const r = await runMeasured([option!, '/dev/zero', '--no-smtp', '--', 'example.test']);
    t.is(r.code, 2, r.stderr);
    oneLine(t, r.stderr);
    t.regex(r.stderr, new RegExp(`cannot read ${what} /dev/zero: larger than \\d+ bytes`));
    t.true(r.maxRssMb < 400, `${option}: peak RSS ${r.maxRssMb} MB`);
  }
  const dir = tmp();
  const list = join(dir, 'list.txt');
  writeFileSync(list, `ok.test\n${'a'.repeat(MAX_LIST_LINE_BYTES + 1)}\n`);
  const r = await runCli(['-i', list, '-f', 'ndjson', '--dns-server', '127.0.0.1:9', '--timeout', '200', '--tries', '1', '--no-smtp']);
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`input list .*list\\.txt: line 2 is longer than ${MAX_LIST_LINE_BYTES} bytes`));
});

// ------------------------------------------------------------------------------------------------
// Resume: a cut last line, csv, the exit code

let fixtures: TestDnsServer;
test.before(async () => {
  fixtures = await startFixtureDns();
});
test.after.always(async () => {
  await fixtures?.close();
});
const dnsArgs = () => ['--dns-server', fixtures.address, '--timeout', '3000', '--tries', '1', '--no-smtp'];
const LIST = ['clean.test', 'nospf.test', 'dmarcnone.test', 'parked.test'];

test('--resume -f csv reads the csv written before: every domain once, one header, a cut row audited again', async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; runs take seconds');
  const dir = tmp();
  const list = join(dir, 'list.txt');
  const out = join(dir, 'out.csv');
  writeFileSync(list, `${LIST.join('\n')}\n`);
  const whole = await runCli(['-i', list, '-f', 'csv', '--ordered', '--fail-on', 'none', ...dnsArgs()]);
  t.is(whole.code, 0, whole.stderr);
  const rows = whole.stdout.split('\r\n');
  // As if stopped in the middle of the third row.
  writeFileSync(out, `${rows[0]}\r\n${rows[1]}\r\n${rows[2]}\r\n${rows[3]!.slice(0, 12)}`);
  const r = await runCli(['-i', list, '-f', 'csv', '--resume', out, '-o', out, '--fail-on', 'none', ...dnsArgs()]);
  t.is(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  t.true(text.endsWith('\r\n'));
  const lines = text.trimEnd().split('\r\n');
  t.is(lines.filter((l) => l === rows[0]).length, 1, 'one header');
  t.deepEqual(lines.slice(1).map((l) => l.split(',')[0]).sort(), [...LIST].sort());
  // Resuming a complete file adds nothing.
  const again = await runCli(['-i', list, '-f', 'csv', '--resume', out, '-o', out, '--fail-on', 'none', ...dnsArgs()]);
  t.is(again.code, 0);
  t.is(readFileSync(out, 'utf8'), text);
  // The wrong format is one line, exit 2.
  const mixed = await runCli(['-i', list, '-f', 'ndjson', '--resume', out, ...dnsArgs()]);
  t.is(mixed.code, 2);
  oneLine(t, mixed.stderr);
  t.regex(mixed.stderr, /is a csv output: resume it with --format csv/);
  const json = await runCli(['-i', list, '-f', 'json', '--resume', out, ...dnsArgs()]);
  t.is(json.code, 2);
  t.regex(json.stderr, /--resume needs --format ndjson or csv/);
});

test('the exit code after --resume reflects the whole file, the earlier lines included', async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; runs take seconds');
  const dir = tmp();
  for (const format of ['ndjson', 'csv'] as const) {
    const out = join(dir, `out.${format}`);
    // An earlier run wrote no-spf.test, which has an error; what is left is clean.
    const first = await runCli(['-f', format, '-o', out, 'nospf.test', ...dnsArgs()]);
    t.is(first.code, 1, first.stderr);
    const resumed = await runCli(['-f', format, '-o', out, '--resume', out, 'nospf.test', 'clean.test', ...dnsArgs()]);
    t.is(resumed.code, 1, `${format}: the error written before still counts`);
    const lenient = await runCli(['-f', format, '-o', out, '--resume', out, '--fail-on', 'none', 'nospf.test', 'clean.test', ...dnsArgs()]);
    t.is(lenient.code, 0);
    if (format === 'ndjson') {
      const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
      t.deepEqual(lines.map((l) => (JSON.parse(l) as DomainReport).domain), ['nospf.test', 'clean.test']);
      for (const l of lines) t.true(validateDomainReport(JSON.parse(l)));
    }
  }
});

// ------------------------------------------------------------------------------------------------
// SIGINT and SIGTERM

/** Starts the CLI, waits until `ready(stdout, file)` holds, sends `signal`, and collects the end. */
function runUntil(args: string[], signal: NodeJS.Signals, ready: () => boolean): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const poll = setInterval(() => {
      if (ready()) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr });
    });
  });
}

const fileLines = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length;
  } catch {
    return 0;
  }
};

test.serial('SIGINT: the output stays valid, stderr says how far the run got and the command that resumes it; exit 130', async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; runs take seconds');
  // Domains under slow.test never get an answer: the run would take minutes.
  const dns = await startDnsServer({
    records: parseZone('$ORIGIN fast.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN NS ns1\nns1 IN A 127.0.0.53\n', { file: 'fast.zone' }).records,
    behaviours: { '*.slow.test': 'timeout' },
  });
  const dir = tmp();
  const list = join(dir, 'list.txt');
  const out = join(dir, 'out.ndjson');
  const names = [...Array.from({ length: 20 }, (_, i) => `d${i}.fast.test`), ...Array.from({ length: 20 }, (_, i) => `d${i}.slow.test`)];
  writeFileSync(list, `${names.join('\n')}\n`);
  const args = ['-i', list, '-f', 'ndjson', '-o', out, '--ordered', '--concurrency', '4', '--fail-on', 'none', '--dns-server', dns.address, '--timeout', '60000', '--tries', '1', '--no-smtp'];
  try {
    const started = Date.now();
    const r = await runUntil(args, 'SIGINT', () => fileLines(out) >= 20 || Date.now() - started > 60_000);
    t.is(r.code, 130, r.stderr);
    t.true(Date.now() - started < 60_000, 'the signal does not wait for the domains in flight');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    t.is(lines.length, 20);
    for (const l of lines) t.true(validateDomainReport(JSON.parse(l)));
    t.regex(r.stderr, /stopped by SIGINT: 20 of 40 domains written to .*out\.ndjson/);
    const command = /to audit the rest: (mailaudit .*)$/m.exec(r.stderr)?.[1];
    t.truthy(command, r.stderr);
    t.true(command!.includes(`--resume ${out}`));
    // The command given resumes: with the slow names answered now, the rest is written.
    await dns.close();
    const fast = await startDnsServer({ records: parseZone('$ORIGIN test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN NS ns1\nns1 IN A 127.0.0.53\n', { file: 'test.zone' }).records });
    const resumeArgs = command!.split(' ').slice(1).map((a) => (a === dns.address ? fast.address : a));
    const rest = await runCli(resumeArgs);
    await fast.close();
    t.is(rest.code, 0, rest.stderr);
    const all = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as DomainReport).domain);
    t.deepEqual([...all].sort(), [...names].sort());
  } finally {
    await dns.close();
  }
});

test.serial('SIGTERM with --format json: the report of the domains done is valid JSON; exit 143', async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; runs take seconds');
  const dns = await startDnsServer({
    records: parseZone('$ORIGIN fast.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN NS ns1\nns1 IN A 127.0.0.53\n', { file: 'fast.zone' }).records,
    behaviours: { '*.slow.test': 'timeout' },
  });
  const dir = tmp();
  const out = join(dir, 'out.json');
  try {
    const r = await runUntil(
      ['-f', 'json', '-o', out, '--dns-server', dns.address, '--timeout', '60000', '--tries', '1', '--no-smtp', 'a.fast.test', 'b.slow.test'],
      'SIGTERM',
      // Once a.fast.test is in the file (b.slow.test never gets an answer).
      () => {
        try {
          return readFileSync(out, 'utf8').includes('"domain": "a.fast.test"');
        } catch {
          return false;
        }
      },
    );
    t.is(r.code, 143, r.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    t.true(validateReport(report), JSON.stringify(validateReport.errors));
    t.deepEqual(report.domains.map((d) => d.domain), ['a.fast.test']);
    t.regex(r.stderr, /stopped by SIGTERM: 1 of 2 domains written/);
  } finally {
    await dns.close();
  }
});
