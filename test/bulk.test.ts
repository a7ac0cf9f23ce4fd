import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import test from 'ava';
import { Ajv } from 'ajv';
import { auditStream } from '../src/audit.js';
import { ProgressBar } from '../src/bulk/progress.js';
import { CachingDnsSource, RecordingDnsSource } from '../src/dns/cache.js';
import { RateLimitedDnsSource } from '../src/dns/rate-limit.js';
import type { DnsAnswer, DnsSource, RRType } from '../src/dns/types.js';
import { parseDomainName, type DomainName } from '../src/input/domain.js';
import { linesOf, readDomainList, type BadLine, type ListedDomain } from '../src/input/list.js';
import { readResumeFile } from '../src/input/resume.js';
import { inShard, parseShard, shardOf } from '../src/input/shard.js';
import { csvField, renderCsvHeader, renderCsvRow, CSV_COLUMNS } from '../src/report/csv.js';
import type { DomainReport } from '../src/types.js';
import { benchZone, BREAKAGES, domainName } from '../bench/synth.js';
import { BIN, runCli } from './helpers/cli.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { startFixtureDns } from './helpers/fixtures.js';

const reportSchema = JSON.parse(readFileSync(join('schemas', 'report.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
ajv.addSchema(reportSchema);
const validateDomainReport = ajv.getSchema(`${reportSchema.$id}#/definitions/domainReport`)!;

const tmp = () => mkdtempSync(join(tmpdir(), 'mailaudit-bulk-'));
const dnsArgs = (server: TestDnsServer) => ['--dns-server', server.address, '--timeout', '3000', '--tries', '1', '--no-smtp'];

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* lines(...list: string[]): AsyncGenerator<string> {
  yield* list;
}

function parseNdjson(stdout: string): DomainReport[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DomainReport);
}

// ---------------------------------------------------------------------------------------------
// The list

test('a list: comments, blank lines, bad lines with their number, duplicates after normalization', async (t) => {
  const bad: BadLine[] = [];
  const dups: ListedDomain[] = [];
  const got = await collect(
    readDomainList(
      lines(
        '# portfolio',
        'example.com',
        '',
        '   ',
        'Example.COM.', // duplicate of line 2
        'https://bad.example/',
        'mail.example.org  # trailing comment',
        'bücher.example',
        'xn--bcher-kva.example', // duplicate of line 8
        'exa$mple.net',
        '\tspaced.example\t',
      ),
      { onBadLine: (b) => bad.push(b), onDuplicate: (d) => dups.push(d) },
    ),
  );
  t.deepEqual(
    got.map((d) => [d.line, d.name]),
    [
      [2, 'example.com'],
      [7, 'mail.example.org'],
      [8, 'xn--bcher-kva.example'],
      [11, 'spaced.example'],
    ],
  );
  t.deepEqual(
    bad.map((b) => b.line),
    [6, 10],
  );
  t.regex(bad[0]!.reason, /URL/);
  t.deepEqual(
    dups.map((d) => d.line),
    [5, 9],
  );
});

test('a list from a stream, CRLF line ends included, is read line by line', async (t) => {
  const stream = Readable.from(['a.example\r\nb.exa', 'mple\r\n# c\r\n\r\nd.example']);
  const got = await collect(readDomainList(linesOf(stream)));
  t.deepEqual(
    got.map((d) => d.name),
    ['a.example', 'b.example', 'd.example'],
  );
});

// ---------------------------------------------------------------------------------------------
// Shards and resume

test('--shard: every domain is in exactly one shard, whatever N', (t) => {
  const names = Array.from({ length: 1000 }, (_, i) => domainName(i));
  for (const count of [1, 2, 3, 7, 16]) {
    const sizes = new Array<number>(count).fill(0);
    for (const name of names) {
      const owners = Array.from({ length: count }, (_, k) => k + 1).filter((index) => inShard(name, { index, count }));
      t.is(owners.length, 1, `${name} in ${owners.length} of ${count} shards`);
      sizes[owners[0]! - 1]!++;
    }
    // Spread evenly enough to be useful (a loose bound, not a statistical test).
    for (const size of sizes) t.true(size > (1000 / count) * 0.5, `shard sizes ${sizes.join(',')}`);
  }
  t.is(shardOf('example.com', 4), shardOf('example.com', 4), 'deterministic');
  t.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1', '-1/2']) t.throws(() => parseShard(bad), { message: /--shard/ });
});

test('--resume reads an earlier NDJSON output and notes a last line cut short', async (t) => {
  const dir = tmp();
  const file = join(dir, 'out.ndjson');
  const head = '{"domain":"a.example","findings":[]}\n{"domain":"b.example","summary":{"error":0,"warning":2,"note":1}}\n';
  writeFileSync(file, `${head}{"domain":"c.exa`);
  const state = await readResumeFile(file);
  t.is(state.lines, 2);
  t.is(state.skipped, 0);
  t.true(state.unterminated);
  t.is(state.cutAt, Buffer.byteLength(head), 'where the fragment starts');
  t.is(state.worst, 2, 'a warning was the worst finding');
  // A last line complete but for its line end is a report.
  writeFileSync(file, `${head}{"domain":"c.example"}`);
  const whole = await readResumeFile(file);
  t.is(whole.lines, 3);
  t.is(whole.cutAt, undefined);
  const none = await readResumeFile(join(dir, 'missing.ndjson'));
  t.is(none.done.size, 0);
});

// ---------------------------------------------------------------------------------------------
// The cache

/** A DnsSource that answers every question after a turn of the event loop and counts them. */
class CountingSource implements DnsSource {
  readonly asked = new Map<string, number>();
  async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const key = `${type} ${name}`;
    this.asked.set(key, (this.asked.get(key) ?? 0) + 1);
    await new Promise((r) => setImmediate(r));
    return { name, type, status: 'nodata', records: [], source: 'dns' };
  }
}

test('the cache is bounded, yet a name many domains share is asked once however long the list', async (t) => {
  const source = new CountingSource();
  const cache = new CachingDnsSource(source, { maxEntries: 100 });
  for (let i = 0; i < 5000; i++) {
    // Each "domain": two questions only it asks, and the provider's include, asked concurrently.
    await Promise.all([
      cache.resolve(`d${i}.example`, 'TXT'),
      cache.resolve(`_dmarc.d${i}.example`, 'TXT'),
      cache.resolve('_spf.provider.example', 'TXT'),
    ]);
    t.true(cache.size <= 100);
  }
  t.is(source.asked.get('TXT _spf.provider.example'), 1);
  t.is(source.asked.get('TXT d4999.example'), 1);
  t.is(cache.stats.misses, 10001);
  t.true(cache.stats.evictions > 9000);
  // A domain asking the same question twice does not make it "shared" in the run's cache.
  const own = new CachingDnsSource(new CountingSource());
  const domain = new RecordingDnsSource(own);
  await Promise.all([domain.resolve('x.example', 'TXT'), domain.resolve('X.example', 'TXT')]);
  await domain.resolve('x.example', 'TXT');
  t.deepEqual(own.stats, { hits: 0, misses: 1, evictions: 0 });
  t.is(domain.lookups.length, 1);
  // Concurrent identical questions share the one in flight.
  const again = new CountingSource();
  const shared = new CachingDnsSource(again);
  await Promise.all(Array.from({ length: 20 }, () => shared.resolve('Same.Example', 'MX')));
  t.is(again.asked.get('MX same.example'), 1);
});

test('a shared MX host is asked once at the DNS server for a whole list', async (t) => {
  const zone = benchZone(60);
  const server = await startDnsServer({ records: zone.records, behaviours: zone.behaviours });
  try {
    const reports = await collect(
      auditStream(zone.domains.map(parseDomainName), { dnsServers: [server.address], timeoutMs: 3000, tries: 1, concurrency: 8 }),
    );
    t.is(reports.length, 60);
    // Once through the run's DNS cache, and once more by the DNSSEC check (its own raw client, with
    // its own per-run cache): never once per domain.
    t.true(server.countQueries('mx1.mailhost.test', 'A') <= 2);
    t.is(server.countQueries('mx2.mailhost.test', 'AAAA'), 1);
    t.true(server.countQueries(zone.domains[0]!, 'MX') <= 2);
    t.is(server.countQueries('_spf.mailhost.test', 'TXT'), 1, 'a shared SPF include');
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// auditStream: concurrency and order

test('at most --concurrency domains are in flight at the DNS server', async (t) => {
  const zone = benchZone(40);
  const server = await startDnsServer({ records: zone.records, behaviours: zone.behaviours, delayMs: 30 });
  try {
    const run = async (concurrency: number, domains: string[]) => {
      server.inFlightMax = 0;
      await collect(auditStream(domains.map(parseDomainName), { dnsServers: [server.address], timeoutMs: 3000, tries: 1, concurrency }));
      return server.inFlightMax;
    };
    // The questions one domain has in flight at once, measured on its own.
    const perDomain = await run(1, zone.domains.slice(0, 20));
    const four = await run(4, zone.domains.slice(20));
    t.true(perDomain >= 1);
    t.true(four <= 4 * perDomain, `${four} questions in flight for 4 domains of at most ${perDomain} each`);
    t.true(four > perDomain, 'domains do run concurrently');
  } finally {
    await server.close();
  }
});

/** Answers after a delay that depends on the name, so domains finish out of order. */
class SlowSource implements DnsSource {
  /** Questions in flight per audited domain. */
  inFlight = new Map<string, number>();
  maxDomains = 0;
  async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    // Names of one audited domain (d7.example, _dmarc.d7.example, …); others (the DMARC walk's
    // _dmarc.example) are shared and not counted.
    const domain = /d\d+\.example$/.exec(name)?.[0];
    if (domain) this.inFlight.set(domain, (this.inFlight.get(domain) ?? 0) + 1);
    this.maxDomains = Math.max(this.maxDomains, this.inFlight.size);
    const n = Number(/\d+/.exec(name)?.[0] ?? 0);
    await new Promise((r) => setTimeout(r, (n * 7) % 13));
    if (domain) {
      const left = this.inFlight.get(domain)! - 1;
      if (left === 0) this.inFlight.delete(domain);
      else this.inFlight.set(domain, left);
    }
    return { name, type, status: 'nxdomain', records: [], source: 'dns' };
  }
}

test('auditStream yields as domains finish, or in input order with ordered; never more than concurrency at once', async (t) => {
  const names: DomainName[] = Array.from({ length: 30 }, (_, i) => parseDomainName(`d${i}.example`));
  const slow = new SlowSource();
  const unordered = await collect(auditStream(names, { dns: slow, concurrency: 5 }));
  t.is(unordered.length, 30);
  t.deepEqual(new Set(unordered.map((r) => r.domain)).size, 30);
  t.notDeepEqual(
    unordered.map((r) => r.domain),
    names.map((d) => d.name),
    'finish order differs from input order',
  );
  t.true(slow.maxDomains <= 5, `${slow.maxDomains} domains in flight`);
  const ordered = await collect(auditStream(names, { dns: new SlowSource(), concurrency: 5, ordered: true }));
  t.deepEqual(
    ordered.map((r) => r.domain),
    names.map((d) => d.name),
  );
});

test('auditStream pulls the list lazily: a consumer that stops early stops the reading', async (t) => {
  let pulled = 0;
  async function* source(): AsyncGenerator<DomainName> {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield parseDomainName(`d${i}.example`);
    }
  }
  let taken = 0;
  for await (const _ of auditStream(source(), { dns: new SlowSource(), concurrency: 4 })) {
    if (++taken === 10) break;
  }
  t.true(pulled <= 10 + 4 + 1, `pulled ${pulled}`);
});

test('the --qps token bucket answers every question, first come first served', async (t) => {
  const order: string[] = [];
  const inner: DnsSource = {
    async resolve(name, type) {
      order.push(name);
      return { name, type, status: 'nodata', records: [], source: 'dns' };
    },
  };
  const limited = new RateLimitedDnsSource(inner, 2000);
  const names = Array.from({ length: 600 }, (_, i) => `n${i}.example`);
  await Promise.all(names.map((n) => limited.resolve(n, 'A')));
  t.deepEqual(order, names);
  t.throws(() => new RateLimitedDnsSource(inner, 0));
});

test('the --qps token bucket lets a question through only when the clock has made a token', async (t) => {
  const inner: DnsSource = {
    async resolve(name, type) {
      return { name, type, status: 'nodata', records: [], source: 'dns' };
    },
  };
  let clock = 0;
  const limited = new RateLimitedDnsSource(inner, 10, () => clock); // 10/s, burst of 1
  let answered = 0;
  const all = Array.from({ length: 4 }, (_, i) => limited.resolve(`n${i}.example`, 'A').then(() => answered++));
  const turns = () => new Promise((r) => setTimeout(r, 250));
  await turns();
  t.is(answered, 1, 'the clock stood still: only the burst went through');
  for (let step = 2; step <= 4; step++) {
    clock += 100; // one token's worth
    await turns();
    t.is(answered, step);
  }
  await Promise.all(all);
});

// ---------------------------------------------------------------------------------------------
// Renderers

test('CSV fields are quoted as RFC 4180 says, and formulas are defused', (t) => {
  t.is(csvField('plain'), 'plain');
  t.is(csvField('a,b'), '"a,b"');
  t.is(csvField('say "hi"'), '"say ""hi"""');
  t.is(csvField('two\r\nlines'), '"two\r\nlines"');
  t.is(csvField(undefined), '');
  t.is(csvField(3), '3');
  t.is(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  t.is(renderCsvHeader(), `${CSV_COLUMNS.join(',')}\r\n`);
});

test('CSV reads facts of other areas defensively: a missing fact is an empty cell', (t) => {
  const report = {
    domain: 'x.example',
    input: 'x.example',
    findings: [],
    summary: { error: 0, warning: 0, note: 0 },
    records: {
      domain: 'x.example',
      input: 'x.example',
      existence: 'exists',
      lookups: [],
      dnsFailures: [],
      spf: { status: 'found', records: [{ text: 'v=spf1 mx ~all', chunks: [] }], count: 1, lookupCount: 3, allQualifier: '~' },
      dkim: { status: 'found', tried: ['s1', 's2'], answered: ['s1'] },
      smtp: {
        status: 'probed',
        addresses: [
          { outcome: 'tls', tls: { trusted: true, validity: 'valid', nameMatches: true } },
          { outcome: 'tls', tls: { trusted: false, validity: 'valid', nameMatches: true } },
          { outcome: 'skipped' },
        ],
      },
    },
  } as unknown as DomainReport;
  t.is(renderCsvRow(report), 'x.example,0,0,0,,,3,softfail,,,s1,invalid-certificate\r\n');
  // Older or partial facts: the SPF record's own `all`, empty cells for what is not there.
  const older = { ...report, records: { ...report.records, spf: { status: 'found', records: [{ text: 'v=spf1 -all', chunks: [] }], count: 1 } } };
  delete (older.records as unknown as Record<string, unknown>)['dkim'];
  delete (older.records as unknown as Record<string, unknown>)['smtp'];
  t.is(renderCsvRow(older as DomainReport), 'x.example,0,0,0,,,,fail,,,,\r\n');
});

// ---------------------------------------------------------------------------------------------
// The CLI

let fixtures: TestDnsServer;
test.before(async () => {
  fixtures = await startFixtureDns();
});
test.after.always(async () => {
  await fixtures?.close();
});

test('CLI: --input - reads stdin; ndjson lines validate; bad lines are reported with their number and skipped', async (t) => {
  const list = '# fixture domains\nclean.test\nnospf.test\n\nhttps://nope.test/\nCLEAN.test.\ndoes-not-exist.test\n';
  const r = await runCli(['--input', '-', '--format', 'ndjson', ...dnsArgs(fixtures)], {}, list);
  t.is(r.code, 1, r.stderr); // does-not-exist.test has an error
  t.regex(r.stderr, /^mailaudit: stdin:5: .*URL.*; skipped$/m);
  t.regex(r.stderr, /1 bad line skipped/);
  const reports = parseNdjson(r.stdout);
  t.deepEqual(reports.map((x) => x.domain).sort(), ['clean.test', 'does-not-exist.test', 'nospf.test']);
  for (const report of reports) t.true(validateDomainReport(report), JSON.stringify(validateDomainReport.errors));
  t.true(reports.find((x) => x.domain === 'nospf.test')!.findings.some((f) => f.ruleId === 'spf-missing'));
});

test('CLI: --format csv writes a header and one row per domain, in input order with --ordered', async (t) => {
  const dir = tmp();
  const list = join(dir, 'list.txt');
  writeFileSync(list, 'clean.test\ndmarcnone.test\nnomx.test\n');
  const r = await runCli(['-i', list, '-f', 'csv', '--ordered', '--fail-on', 'none', ...dnsArgs(fixtures)]);
  t.is(r.code, 0, r.stderr);
  const rows = r.stdout.split('\r\n');
  t.is(rows.pop(), '');
  t.is(rows[0], CSV_COLUMNS.join(','));
  t.deepEqual(
    rows.slice(1).map((row) => row.split(',')[0]),
    ['clean.test', 'dmarcnone.test', 'nomx.test'],
  );
  const cells = (domain: string) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, rows.find((x) => x.startsWith(`${domain},`))!.split(',')[i]]));
  t.is(cells('dmarcnone.test')['dmarc_policy'], 'none');
  t.regex(cells('dmarcnone.test')['rules']!, /dmarc-policy-none/);
  t.not(cells('clean.test')['mx_hosts'], '');
  t.is(cells('nomx.test')['mx_hosts'], '');
});

test('CLI: shards of a list are disjoint and together make the whole list', async (t) => {
  const dir = tmp();
  const list = join(dir, 'list.txt');
  const domains = ['clean.test', 'nospf.test', 'nodmarc.test', 'dmarcnone.test', 'nomx.test', 'twospf.test', 'parked.test'];
  writeFileSync(list, `${domains.join('\n')}\n`);
  const seen: string[] = [];
  for (const k of [1, 2, 3]) {
    const r = await runCli(['-i', list, '-f', 'ndjson', '--shard', `${k}/3`, '--qps', '500', '--fail-on', 'none', ...dnsArgs(fixtures)]);
    t.is(r.code, 0, r.stderr);
    const got = parseNdjson(r.stdout).map((x) => x.domain);
    for (const d of got) t.is(shardOf(d, 3), k);
    seen.push(...got);
  }
  t.deepEqual(seen.sort(), [...domains].sort());
  const bad = await runCli(['-i', list, '-f', 'ndjson', '--shard', '4/3', ...dnsArgs(fixtures)]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--shard/);
});

test('CLI: --resume skips what an interrupted run wrote and appends the rest to the same file', async (t) => {
  const dir = tmp();
  const list = join(dir, 'list.txt');
  const out = join(dir, 'out.ndjson');
  writeFileSync(list, 'clean.test\nnospf.test\nnodmarc.test\ndmarcnone.test\n');
  const first = await runCli(['-i', list, '-f', 'ndjson', '--ordered', '--fail-on', 'none', ...dnsArgs(fixtures)]);
  const firstLines = first.stdout.split('\n');
  // As if killed while writing the second line.
  writeFileSync(out, `${firstLines[0]}\n${firstLines[1]!.slice(0, 40)}`);
  const r = await runCli(['-i', list, '-f', 'ndjson', '--resume', out, '-o', out, '--fail-on', 'none', ...dnsArgs(fixtures)]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '');
  const text = readFileSync(out, 'utf8');
  const complete = text.split('\n').filter((l) => {
    try {
      JSON.parse(l);
      return true;
    } catch {
      return false;
    }
  });
  t.deepEqual(complete.map((l) => (JSON.parse(l) as DomainReport).domain).sort(), [
    'clean.test',
    'dmarcnone.test',
    'nodmarc.test',
    'nospf.test',
  ]);
  t.is(text.split('\n').filter((l) => l !== '').length, 4, 'the cut line is gone');
  t.true(text.endsWith('\n'));
  for (const line of text.trimEnd().split('\n')) t.true(validateDomainReport(JSON.parse(line)), 'every line is a report');
});

test('CLI: no progress bar when stderr is not a terminal; bad --concurrency and --qps are usage errors', async (t) => {
  const r = await runCli(['-f', 'ndjson', 'clean.test', ...dnsArgs(fixtures)]);
  t.is(r.code, 0);
  t.is(r.stderr, '');
  t.is(parseNdjson(r.stdout).length, 1);
  for (const args of [['--concurrency', '0'], ['--concurrency', '2.5'], ['--qps', '-1']]) {
    const bad = await runCli([...args, 'clean.test', ...dnsArgs(fixtures)]);
    t.is(bad.code, 2, args.join(' '));
  }
  const missing = await runCli(['-i', join(tmp(), 'nope.txt'), ...dnsArgs(fixtures)]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /cannot read input list .*ENOENT/);
});

test('CLI: --help lists the list options', async (t) => {
  const r = await runCli(['--help']);
  t.is(r.code, 0);
  for (const option of ['--input', '--concurrency', '--ordered', '--qps', '--shard', '--resume', '--quiet', 'ndjson', 'csv']) {
    t.true(r.stdout.includes(option), option);
  }
});

test('CLI: text and json work with --input too (the whole report at the end, in input order)', async (t) => {
  const r = await runCli(['-i', '-', '-f', 'json', '--fail-on', 'none', ...dnsArgs(fixtures)], {}, 'nospf.test\nclean.test\n');
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { domains: DomainReport[]; summary: { domains: number } };
  t.deepEqual(
    report.domains.map((d) => d.domain),
    ['nospf.test', 'clean.test'],
  );
  t.is(report.summary.domains, 2);
});

test('the progress line shows done/total, rate, ETA and findings', (t) => {
  const fake = { columns: 120, write: () => true, isTTY: true } as unknown as NodeJS.WriteStream;
  const bar = new ProgressBar(fake, 200);
  const report = { summary: { error: 1, warning: 2, note: 0 } } as DomainReport;
  for (let i = 0; i < 50; i++) bar.tick(report);
  const line = bar.line();
  bar.finish();
  t.regex(line, /^\[#+-+\] 50\/200 {2}25% {2}\d+\/s {2}ETA [\d:-]+ {2}50 errors, 100 warnings, 0 notes$/);
  const open = new ProgressBar(fake);
  open.tick(report);
  t.regex(open.line(), /^1 done {2}\d+\/s {2}1 errors/);
  open.finish();
});

test('CLI: a few hundred synthetic domains, each reported once, broken ones with their findings', async (t) => {
  t.timeout(120_000);
  const zone = benchZone(300);
  const server = await startDnsServer({ records: zone.records, behaviours: zone.behaviours });
  try {
    const dir = tmp();
    const list = join(dir, 'list.txt');
    writeFileSync(list, `${zone.domains.join('\n')}\n${zone.domains.slice(0, 20).join('\n')}\n`);
    const r = await runCli(['-i', list, '-f', 'ndjson', '--concurrency', '16', '--fail-on', 'none', ...dnsArgs(server)]);
    t.is(r.code, 0, r.stderr);
    const reports = parseNdjson(r.stdout);
    t.is(reports.length, 300);
    t.is(new Set(reports.map((x) => x.domain)).size, 300);
    let valid = 0;
    for (const report of reports) if (validateDomainReport(report)) valid++;
    t.is(valid, 300);
    const byName = new Map(reports.map((x) => [x.domain, x]));
    const rules = (i: number) => byName.get(zone.domains[i]!)!.findings.map((f) => f.ruleId);
    // A healthy domain: notes at most (transport notes such as mta-sts-missing fire for nearly every domain).
    t.deepEqual(
      byName.get(zone.domains[0]!)!.findings.filter((f) => f.severity !== 'note').map((f) => f.ruleId),
      [],
    );
    const broken = (kind: (typeof BREAKAGES)[number]) => BREAKAGES.indexOf(kind) * 10 + 9;
    t.true(rules(broken('nxdomain')).includes('domain-not-found'));
    t.true(rules(broken('servfail')).includes('dns-lookup-failed'));
    t.true(rules(broken('no-spf')).includes('spf-missing'));
    t.true(rules(broken('two-spf')).includes('spf-multiple-records'));
    t.true(rules(broken('dmarc-none')).includes('dmarc-policy-none'));
    t.true(rules(broken('mx-no-address')).includes('mx-target-no-address'));
    t.true(server.countQueries('mx1.mailhost.test', 'A') <= 2);
    t.is(server.countQueries('_spf1.mailhost.test', 'TXT'), 1, 'an include of an include');
  } finally {
    await server.close();
  }
});

test('CLI: a reader that goes away (| head) ends the run quietly', async (t) => {
  t.timeout(60_000);
  const zone = benchZone(400);
  const server = await startDnsServer({ records: zone.records, behaviours: zone.behaviours });
  try {
    const list = join(tmp(), 'list.txt');
    writeFileSync(list, `${zone.domains.join('\n')}\n`);
    const child = spawn(process.execPath, [BIN, '-i', list, '-f', 'ndjson', '--fail-on', 'none', ...dnsArgs(server)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    t.is(code, 0, stderr);
    t.is(stderr, '');
  } finally {
    await server.close();
  }
});
