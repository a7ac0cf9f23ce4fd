import test from 'ava';
// The package's own name: what `import { audit } from 'mailaudit'` resolves to for a user.
import { audit, InputError, renderText, builtinRules, type Report } from 'mailaudit';
import type { TestDnsServer } from './helpers/dns-server.js';
import { startFixtureDns } from './helpers/fixtures.js';

let dns: TestDnsServer;
test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

/** Notes nearly every fixture domain gets (no MTA-STS, no TLS-RPT, answers not DNSSEC-validated) are not what these tests are about. */
const QUIET = ['mta-sts-missing', 'tlsrpt-missing', 'dnssec-unsigned'];
const options = () => ({ dnsServers: [dns.address], timeoutMs: 3000, tries: 1, disable: QUIET, smtp: false });

test.serial('audit() returns the report object the CLI renders', async (t) => {
  const report: Report = await audit(['clean.test', 'nospf.test'], options());
  t.is(report.schemaVersion, '1.0.0');
  t.deepEqual(report.domains.map((d) => d.domain), ['clean.test', 'nospf.test']);
  t.deepEqual(report.domains[1]!.findings.map((f) => f.ruleId), ['spf-missing']);
  t.deepEqual(report.summary, { domains: 2, error: 1, warning: 0, note: 0 });
  t.regex(renderText(report, { rules: builtinRules(), color: false }), /spf-missing/);
});

test.serial('audit() rejects bad input with InputError', async (t) => {
  await t.throwsAsync(audit('not a domain', options()), { instanceOf: InputError });
});

test.serial('one question is asked once per run, however many domains need it', async (t) => {
  const before = dns.countQueries('mx1.clean.test', 'A');
  // All three domains use mx1.clean.test as an MX host.
  await audit(['dept.orgpolicy.test', 'clean.test', 'xn--bcher-kva.test'], options());
  // Once through the resolver, once more with the DO bit for the DNSSEC check (it needs the AD flag).
  t.is(dns.countQueries('mx1.clean.test', 'A') - before, 2);
});

test.serial('the lookups of one domain run concurrently', async (t) => {
  // With every answer delayed, a serial audit would take the sum of the delays; in flight at once
  // is what we can observe without timing: the server sees several questions outstanding together.
  const { startDnsServer } = await import('./helpers/dns-server.js');
  const { fixtureRecords } = await import('./helpers/fixtures.js');
  const slow = await startDnsServer({ records: fixtureRecords(), delayMs: 200 });
  try {
    await audit('clean.test', { dnsServers: [slow.address], timeoutMs: 3000, tries: 1, smtp: false });
    t.true(slow.inFlightMax >= 3, `at most ${slow.inFlightMax} in flight`);
  } finally {
    await slow.close();
  }
});

test.serial('with every dkim-* rule disabled, no DKIM selector is asked (bulk runs that do not want it save 33 questions a domain)', async (t) => {
  const dkimRules = builtinRules().filter((r) => r.category === 'dkim').map((r) => r.id);
  const before = dns.queries.length;
  const report = await audit('clean.test', { ...options(), disable: [...QUIET, ...dkimRules] });
  const asked = dns.queries.slice(before);
  t.false(asked.some((q) => q.name.includes('._domainkey.')), 'no selector asked');
  t.is(report.domains[0]!.records.dkim, undefined);
  const full = await audit('clean.test', options());
  t.truthy(full.domains[0]!.records.dkim, 'with the rules on, DKIM is collected');
});

test.serial('live DNS keeps at most maxInFlight questions outstanding (--dns-in-flight)', async (t) => {
  const { startDnsServer } = await import('./helpers/dns-server.js');
  const { LiveDnsSource } = await import('../src/dns/live.js');
  const slow = await startDnsServer({ records: [], delayMs: 50 });
  try {
    const live = new LiveDnsSource({ servers: [slow.address], timeoutMs: 3000, tries: 1, maxInFlight: 3 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => live.resolve(`n${i}.example.test`, 'TXT')));
    t.true(answers.every((a) => a.status === 'nxdomain'));
    t.true(slow.inFlightMax <= 3 && slow.inFlightMax >= 2, `${slow.inFlightMax} in flight`);
  } finally {
    await slow.close();
  }
});

test.serial('a domain that does not exist costs one question, not the forty of a full audit', async (t) => {
  const before = dns.queries.length;
  const report = await audit('does-not-exist.test', options());
  t.deepEqual(report.domains[0]!.findings.map((f) => f.ruleId), ['domain-not-found']);
  t.deepEqual(dns.queries.slice(before).map((q) => `${q.type} ${q.name}`), ['MX does-not-exist.test']);
});

test.serial('auditStream() takes names as strings, as audit() does, and rejects a bad one with InputError', async (t) => {
  const { auditStream } = await import('mailaudit');
  const seen: string[] = [];
  for await (const d of auditStream(['clean.test', 'NOSPF.test.'], options())) seen.push(d.domain);
  t.deepEqual(seen.sort(), ['clean.test', 'nospf.test']);
  await t.throwsAsync(async () => {
    for await (const _ of auditStream(['clean.test', 'not a domain'], options()));
  }, { instanceOf: InputError });
});

test('a typed use of the package entry compiles with the library checks on (skipLibCheck false)', async (t) => {
  const { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const ts = (await import('typescript')).default;
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(process.cwd(), join(dir, 'node_modules', 'mailaudit'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const file = join(dir, 'use.ts');
  writeFileSync(
    file,
    [
      "import { audit, auditStream, renderText, renderHtml, builtinRules, type Report, type DomainReport, type DomainFacts, type AuditOptions } from 'mailaudit';",
      "const opts: AuditOptions = { dnsServers: ['192.0.2.53'], timeoutMs: 3000 };",
      "const report: Report = await audit(['example.com'], opts);",
      'const facts: DomainFacts | undefined = report.domains[0]?.records;',
      'console.log(renderText(report, { rules: builtinRules(), color: false }), renderHtml(report, { rules: builtinRules() }), facts);',
      "for await (const d of auditStream(['example.com'], opts)) { const r: DomainReport = d; console.log(r.summary.error); }",
    ].join('\n'),
  );
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
    typeRoots: [join(process.cwd(), 'node_modules', '@types')],
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  t.deepEqual(problems, []);
});
