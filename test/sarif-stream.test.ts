/**
 * `--format sarif` in a list run is written domain by domain (issue 12 item 3): the same bytes as
 * renderSarif for the same report, never one string holding the whole document, so a long run's
 * memory stays bounded.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import AjvDraft04Module from 'ajv-draft-04';
import { parseZone } from '../src/dns/zonefile.js';
import { builtinRules } from '../src/engine/load.js';
import { renderSarif } from '../src/report/sarif.js';
import type { Report } from '../src/types.js';
import { BIN, runCli, type CliResult } from './helpers/cli.js';
import { startDnsServer } from './helpers/dns-server.js';
import { startFixtureDns } from './helpers/fixtures.js';

const AjvDraft04 = AjvDraft04Module.default ?? AjvDraft04Module;
const sarifSchema = JSON.parse(readFileSync(join('test', 'schemas', 'sarif-schema-2.1.0.json'), 'utf8'));
const validate = new AjvDraft04({ allErrors: true, strict: false, logger: false }).compile(sarifSchema);

const tmp = () => mkdtempSync(join(tmpdir(), 'mailaudit-sarif-stream-'));
const MAX_RSS_HOOK = pathToFileURL(join(process.cwd(), 'dist', 'test', 'helpers', 'max-rss.js')).href;

/** Runs the CLI and reads its peak RSS (kB) through helpers/max-rss.ts. */
async function runMeasured(args: string[]): Promise<CliResult & { maxRssMb: number; seconds: number }> {
  const rssFile = join(tmp(), 'rss');
  const started = Date.now();
  const r = await runCli(args, { NODE_OPTIONS: `--import=${MAX_RSS_HOOK}`, MAILAUDIT_TEST_MAX_RSS: rssFile });
  const seconds = (Date.now() - started) / 1000;
  return { ...r, maxRssMb: Number(readFileSync(rssFile, 'utf8')) / 1024, seconds };
}

interface SarifLog {
  runs: { automationDetails: { id: string }; results: { properties: { domain: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[]; invocations: { endTimeUtc: string }[] }[];
}

test('the CLI streams --format sarif: what renderSarif writes for the JSON report of the same run, in --sarif-category', async (t) => {
  const dns = await startFixtureDns();
  const dir = tmp();
  mkdirSync(join(dir, 'zones'));
  const zones = [join(dir, 'zones', 'we ird#1%zz [x].zone'), join(dir, 'zones', 'é.zone')];
  copyFileSync('fixtures/no-spf/zone.db', zones[0]!);
  copyFileSync('fixtures/mx-cname/zone.db', zones[1]!);
  const args = ['--dns-server', dns.address, '--timeout', '5000', '--tries', '2', '--no-smtp', '--fail-on', 'none', '--zone', zones[0]!, '--zone', zones[1]!];
  const domains = ['nospf.test', 'twospf.test', 'clean.test', 'mxcname.test', 'dmarcnone.test'];
  // The working directory (GITHUB_WORKSPACE in CI) is where zone-file URIs are relative to.
  const env = { GITHUB_WORKSPACE: dir };
  try {
    const out = join(dir, 'out.sarif');
    const [json, sarif] = await Promise.all([
      runCli(['-f', 'json', ...args, ...domains], env, undefined, dir),
      runCli(['-f', 'sarif', '-o', out, '--sarif-category', 'mail/fleet', ...args, ...domains], env, undefined, dir),
    ]);
    t.is(json.code, 0, json.stderr);
    t.is(sarif.code, 0, sarif.stderr);
    const text = readFileSync(out, 'utf8');
    const log = JSON.parse(text) as SarifLog;
    t.true(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
    const run = log.runs[0]!;
    t.is(run.automationDetails.id, 'mail/fleet/');
    const uris = new Set(run.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri));
    t.true(uris.has('zones/we%20ird%231%25zz%20%5Bx%5D.zone') && uris.has('zones/%C3%A9.zone'), [...uris].join(' '));
    t.true(uris.has('dns/twospf.test') && uris.has('dns/dmarcnone.test'), [...uris].join(' '));
    t.deepEqual([...new Set(run.results.map((r) => r.properties.domain))], domains, 'in input order');
    // The same report as the JSON run found, stamped with this run's end time.
    const report = JSON.parse(json.stdout) as Report;
    report.generatedAt = run.invocations[0]!.endTimeUtc;
    t.is(text, renderSarif(report, { rules: builtinRules(), cwd: dir, category: 'mail/fleet' }));
  } finally {
    await dns.close();
  }
});

test('--sarif-category: mailaudit by default, a name of only slashes is refused in one line', async (t) => {
  const dns = await startFixtureDns();
  try {
    const base = ['--dns-server', dns.address, '--timeout', '5000', '--no-smtp', '--fail-on', 'none', '-f', 'sarif', 'twospf.test'];
    const [plain, empty] = await Promise.all([runCli(base), runCli([...base, '--sarif-category', '/'])]);
    t.is((JSON.parse(plain.stdout) as SarifLog).runs[0]!.automationDetails.id, 'mailaudit/');
    t.is(empty.code, 2);
    t.is(empty.stdout, '');
    t.is(empty.stderr, 'mailaudit: --sarif-category needs a name such as mailaudit, got "/"\n');
  } finally {
    await dns.close();
  }
});

// ------------------------------------------------------------------------------------------------
// A long run

const DOMAINS = 3000;

/** Each domain has an MX, an SPF record and a DMARC policy of none: a few results each. */
function bigZone(): string {
  const lines = ['$ORIGIN big.test.', '$TTL 1h', '@ IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )', '  IN NS ns1', 'ns1 IN A 127.0.0.53', 'mx IN A 127.0.0.25'];
  for (let i = 0; i < DOMAINS; i++) {
    lines.push(`d${i} IN MX 10 mx.big.test.`, `d${i} IN TXT "v=spf1 ip4:192.0.2.${i % 256} ~all"`, `_dmarc.d${i} IN TXT "v=DMARC1; p=none"`);
  }
  return `${lines.join('\n')}\n`;
}

test.serial(`${DOMAINS.toLocaleString('en')} domains to a SARIF file: seconds, bounded peak RSS, valid, each domain once in order`, async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; the run takes seconds');
  const dns = await startDnsServer({ records: parseZone(bigZone(), { file: 'big.zone' }).records });
  const names = Array.from({ length: DOMAINS }, (_, i) => `d${i}.big.test`);
  const out = join(tmp(), 'big.sarif');
  try {
    const r = await runMeasured(['-f', 'sarif', '-o', out, '--dns-server', dns.address, '--timeout', '10000', '--tries', '1', '--no-smtp', '--fail-on', 'none', '-q', ...names]);
    t.is(r.code, 0, r.stderr.slice(0, 500));
    const text = readFileSync(out, 'utf8');
    t.log(`sarif: ${(text.length / 1e6).toFixed(1)} MB in ${r.seconds} s, peak RSS ${r.maxRssMb.toFixed(0)} MB`);
    t.true(r.seconds < 240, `${r.seconds} s`);
    t.true(r.maxRssMb < 300, `peak RSS ${r.maxRssMb} MB`);
    const log = JSON.parse(text) as SarifLog;
    t.true(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
    const results = log.runs[0]!.results;
    const order = [...new Set(results.map((x) => x.properties.domain))];
    t.deepEqual(order, names, 'every domain, in input order');
    t.true(results.length >= 2 * DOMAINS, `${results.length} results`);
    t.is(results.filter((x) => x.properties.domain === 'd1234.big.test').length, results.length / DOMAINS, 'each domain once');
  } finally {
    await dns.close();
  }
});

test.serial('SIGTERM with --format sarif: the file holds the results of the domains done and validates; exit 143', async (t) => {
  t.timeout(300_000, 'a ceiling for a loaded machine; runs take seconds');
  const dns = await startDnsServer({
    records: parseZone('$ORIGIN fast.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN NS ns1\nns1 IN A 127.0.0.53\na IN TXT "v=spf1 +all"\n', { file: 'fast.zone' }).records,
    behaviours: { '*.slow.test': 'timeout' },
  });
  const out = join(tmp(), 'out.sarif');
  try {
    const child = spawn(process.execPath, [BIN, '-f', 'sarif', '-o', out, '--dns-server', dns.address, '--timeout', '60000', '--tries', '1', '--no-smtp', 'a.fast.test', 'b.slow.test'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = once(child, 'close');
    // Once a.fast.test's results are in the file (b.slow.test never gets an answer).
    const started = Date.now();
    while (!(existsSync(out) && readFileSync(out, 'utf8').includes('"domain": "a.fast.test"')) && Date.now() - started < 120_000) await setTimeout(50);
    child.kill('SIGTERM');
    const [code] = (await closed) as [number | null];
    t.is(code, 143, stderr);
    const log = JSON.parse(readFileSync(out, 'utf8')) as SarifLog;
    t.true(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
    const domains = log.runs[0]!.results.map((r) => r.properties.domain);
    t.true(domains.length > 0 && domains.every((d) => d === 'a.fast.test'), domains.join(' '));
    t.regex(stderr, /stopped by SIGTERM: 1 of 2 domains written/);
  } finally {
    await dns.close();
  }
});
