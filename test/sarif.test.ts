import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import AjvDraft04Module from 'ajv-draft-04';
import { audit, buildReport } from '../src/audit.js';
import { builtinRules } from '../src/engine/load.js';
import { artifactUri, renderSarif, SarifStreamWriter, type SarifOptions } from '../src/report/sarif.js';
import type { Report } from '../src/types.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { QUIET_RULES, startFixtureDns } from './helpers/fixtures.js';

const AjvDraft04 = AjvDraft04Module.default ?? AjvDraft04Module;
const sarifSchema = JSON.parse(readFileSync(join('test', 'schemas', 'sarif-schema-2.1.0.json'), 'utf8'));
const validate = new AjvDraft04({ allErrors: true, strict: false }).compile(sarifSchema);

let dns: TestDnsServer;
test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

/** RFC 3986 §4.1 relative-ref / URI characters: unreserved, sub-delims, `:@/?`, and %XX escapes only. */
const URI_REFERENCE = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*$/;

interface SarifResult {
  ruleId: string;
  locations: { physicalLocation: { artifactLocation: { uri: string } }; logicalLocations: { name: string; kind: string }[] }[];
  partialFingerprints: Record<string, string>;
  properties: { domain: string };
}

test('zone file names become URI references: every segment percent-encoded, outside the working directory a file: URL', (t) => {
  const cwd = join(tmpdir(), 'repo');
  for (const [file, uri] of [
    ['we ird#1%zz [x].zone', 'we%20ird%231%25zz%20%5Bx%5D.zone'],
    ['é.zone', '%C3%A9.zone'],
    ['zones/sub dir/a?b.zone', 'zones/sub%20dir/a%3Fb.zone'],
    ['zones/plain.zone', 'zones/plain.zone'],
  ] as const) {
    const got = artifactUri(join(cwd, file), cwd);
    t.is(got, uri, file);
    t.regex(got, URI_REFERENCE);
    t.is(got.split('/').map(decodeURIComponent).join('/'), file, 'decodes back to the name');
  }
  const outside = artifactUri(join(tmpdir(), 'other', 'x #1.zone'), cwd);
  t.is(outside, new URL(`file://${join(tmpdir(), 'other', 'x%20%231.zone')}`).href);
  t.regex(outside, /^file:\/\/\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$/);
});

test('one run for many domains and zones: the catalogue once, a stable category, the domain in each result', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sarif-uri-'));
  mkdirSync(join(dir, 'zones'));
  copyFileSync('fixtures/no-spf/zone.db', join(dir, 'zones', 'we ird#1%zz [x].zone'));
  copyFileSync('fixtures/mx-cname/zone.db', join(dir, 'zones', 'é.zone'));
  const options = { dnsServers: [dns.address], timeoutMs: 5000, tries: 2, smtp: false, disable: QUIET_RULES };
  const rules = builtinRules();
  const render = async (domains: string[], category?: string) => {
    const report = await audit(domains, { ...options, zoneFiles: [join(dir, 'zones', 'we ird#1%zz [x].zone'), join(dir, 'zones', 'é.zone')], auditZoneOrigins: true });
    return JSON.parse(renderSarif(report, { rules, cwd: dir, category }));
  };
  const sarif = await render(['twospf.test', 'dmarcnone.test']);
  t.true(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
  t.is(sarif.runs.length, 1);
  const run = sarif.runs[0];
  t.is(run.automationDetails.id, 'mailaudit/');
  t.is(run.tool.driver.rules.length, rules.length);
  const results = run.results as SarifResult[];
  const byDomain = new Map(results.map((r) => [r.properties.domain, r]));
  t.deepEqual([...byDomain.keys()].sort(), ['dmarcnone.test', 'mxcname.test', 'nospf.test', 'twospf.test']);
  for (const [domain, r] of byDomain) {
    t.deepEqual(r.locations[0]!.logicalLocations.filter((l) => l.kind === 'namespace').map((l) => l.name), [domain]);
    t.regex(r.locations[0]!.physicalLocation.artifactLocation.uri, URI_REFERENCE);
  }
  t.is(byDomain.get('nospf.test')!.locations[0]!.physicalLocation.artifactLocation.uri, 'zones/we%20ird%231%25zz%20%5Bx%5D.zone');
  t.is(byDomain.get('mxcname.test')!.locations[0]!.physicalLocation.artifactLocation.uri, 'zones/%C3%A9.zone');

  // Another list of domains: the same category, and a finding that stays keeps its fingerprint.
  const fewer = await render(['twospf.test'], 'mail/zones');
  t.is(fewer.runs[0].automationDetails.id, 'mail/zones/');
  const twospf = (s: { runs: { results: SarifResult[] }[] }) => s.runs[0]!.results.find((r) => r.properties.domain === 'twospf.test')!.partialFingerprints;
  t.deepEqual(twospf(fewer), twospf(sarif));
  t.is((await render(['twospf.test'])).runs[0].automationDetails.id, 'mailaudit/', 'the category does not depend on the domains');
});

/** The report through SarifStreamWriter, domain by domain, as a list run writes it. */
async function streamedSarif(report: Report, options: SarifOptions): Promise<{ text: string; writes: number }> {
  let text = '';
  let writes = 0;
  const writer = new SarifStreamWriter(
    async (piece) => {
      text += piece;
      writes++;
    },
    options,
    report.tool.version,
  );
  for (const d of report.domains) await writer.add(d);
  await writer.finish(report.generatedAt);
  return { text, writes };
}

test('SARIF streamed domain by domain is renderSarif byte for byte: zone-file and live-DNS locations, 0, 1 and several domains', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sarif-stream-'));
  mkdirSync(join(dir, 'zones'));
  copyFileSync('fixtures/no-spf/zone.db', join(dir, 'zones', 'we ird#1%zz [x].zone'));
  copyFileSync('fixtures/mx-cname/zone.db', join(dir, 'zones', 'é.zone'));
  const rules = builtinRules();
  const report = await audit(['twospf.test', 'clean.test', 'dmarcnone.test'], {
    dnsServers: [dns.address], timeoutMs: 5000, tries: 2, smtp: false, disable: QUIET_RULES,
    zoneFiles: [join(dir, 'zones', 'we ird#1%zz [x].zone'), join(dir, 'zones', 'é.zone')], auditZoneOrigins: true,
  });
  const findings = report.domains.flatMap((d) => d.findings);
  t.true(findings.some((f) => f.location.file) && findings.some((f) => !f.location.file), 'findings located in zone files and in live DNS');
  t.true(report.domains.some((d) => d.findings.length === 0), 'a domain without results in the middle of the run');
  const variants: SarifOptions[] = [
    { rules, cwd: dir },
    { rules, cwd: dir, category: 'mail/zones', severityOf: (r) => (r.id === 'spf-missing' ? 'note' : r.severity) },
  ];
  for (const options of variants) {
    for (const n of [0, 1, report.domains.length]) {
      const part = buildReport(report.domains.slice(0, n));
      const whole = renderSarif(part, options);
      const { text, writes } = await streamedSarif(part, options);
      t.is(text, whole, `${n} domain(s), category ${options.category ?? 'default'}`);
      t.true(writes > 1, 'written in pieces');
      t.true(validate(JSON.parse(text)), JSON.stringify(validate.errors?.slice(0, 3)));
    }
  }
  const uris = new Set((JSON.parse(renderSarif(report, { rules, cwd: dir })).runs[0].results as SarifResult[]).map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri));
  t.true(uris.has('zones/%C3%A9.zone') && uris.has('dns/twospf.test'), [...uris].join(' '));
});
