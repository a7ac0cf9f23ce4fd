import { readFileSync } from 'node:fs';
import test from 'ava';
import { audit } from '../src/audit.js';
import { builtinRules } from '../src/engine/load.js';
import type { Finding } from '../src/types.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { caseCompares, loadFixtureCases, startFixtureDns, type ExpectedFinding, type FixtureCase } from './helpers/fixtures.js';

const cases = loadFixtureCases();
const categoryOf = new Map(builtinRules().map((r) => [r.id, r.category]));
/** The findings a case compares: those of its categories (see FixtureCase.categories). */
const ofCase = <T extends { ruleId: string }>(c: FixtureCase, list: T[]) => list.filter((f) => caseCompares(c, categoryOf.get(f.ruleId)));
const fired = new Set<string>();
let dns: TestDnsServer;

test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

function comparable(f: Finding | ExpectedFinding, withLine: boolean) {
  const location: { name: string; type: string; line?: number } = { name: f.location.name, type: f.location.type };
  if (withLine && f.location.line !== undefined) location.line = f.location.line;
  return { ruleId: f.ruleId, location, args: f.args };
}

const order = (x: { ruleId: string; location: { name: string; type: string } }) => `${x.ruleId} ${x.location.name} ${x.location.type}`;
const sorted = <T extends { ruleId: string; location: { name: string; type: string } }>(list: T[]) =>
  [...list].sort((a, b) => order(a).localeCompare(order(b)));

for (const c of cases) {
  test.serial(`fixture ${c.name}: live DNS`, async (t) => {
    const report = await audit(c.domain, { dnsServers: [dns.address], timeoutMs: c.behaviours && Object.keys(c.behaviours).length ? 400 : 3000, tries: 1, smtp: false });
    const findings = ofCase(c, report.domains[0]!.findings);
    for (const f of findings) fired.add(f.ruleId);
    t.deepEqual(ofCase(c, c.findings), c.findings, 'expected.json lists only findings of the categories the case compares');
    t.deepEqual(sorted(findings.map((f) => comparable(f, false))), sorted(c.findings.map((f) => comparable(f, false))));
    for (const f of findings) t.notRegex(f.message, /\{\{|\}\}/, `${f.ruleId} leaves a placeholder`);
  });
  if (c.zoneFile && !c.liveOnly) {
    test.serial(`fixture ${c.name}: zone file`, async (t) => {
      const report = await audit(c.domain, { zoneFile: c.zoneFile, dnsServers: [dns.address], timeoutMs: c.behaviours && Object.keys(c.behaviours).length ? 400 : 3000, tries: 1, smtp: false });
      const findings = ofCase(c, report.domains[0]!.findings);
      for (const f of findings) {
        t.is(f.location.file, c.zoneFile, `${f.ruleId} points at the zone file`);
        t.true(Number.isInteger(f.location.line), `${f.ruleId} has a line`);
      }
      // Lines given in expected.json are checked; findings about names outside the zone point at its SOA.
      const expected = c.findings.map((f) => comparable(f, true));
      const actual = findings.map((f, i) => comparable(f, expected.some((e) => order(e) === order(findings[i]!) && e.location.line !== undefined)));
      t.deepEqual(sorted(actual), sorted(expected));
    });
  }
}

test.serial('every rule fires in at least one fixture case, or names the test that covers it', (t) => {
  const elsewhere: Record<string, string> = JSON.parse(readFileSync('test/rules-covered-elsewhere.json', 'utf8'));
  const missing = builtinRules()
    .map((r) => r.id)
    .filter((id) => !fired.has(id) && !elsewhere[id]);
  t.deepEqual(missing, [], 'rules with no fixture case');
});

test('every rule has a summary, rationale, fix and RFC reference', (t) => {
  for (const rule of builtinRules()) {
    t.true(rule.references.some((r) => /^RFC \d+ §/.test(r) || /^draft-/.test(r)), `${rule.id} cites an RFC section`);
    t.notRegex(rule.fix, /\{\{/, `${rule.id} fix has no placeholder`);
  }
});
