import test from 'ava';
import { audit } from '../src/audit.js';
import { SPF_BUDGET } from '../src/collect/spf.js';
import { SENDER_TREE_QUESTIONS } from '../src/collect/spf-sender.js';
import type { ZoneRecord } from '../src/dns/types.js';
import { builtinRules } from '../src/engine/load.js';
import { renderText } from '../src/report/text.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';

/**
 * Issue 12.1: SPF work bounded per domain whatever the record says. A record of ~58 KB (over TCP)
 * with 3,000 `a:` terms whose targets never answer took 999 s and gave 5,912 dns-lookup-failed
 * findings; a tree of 100 includes × 1,000 `a:` terms was ~200,000 questions. Both against the
 * loopback test DNS server; the time ceilings are generous bounds (minutes before, seconds now).
 */

const rec = (name: string, type: ZoneRecord['type'], data: unknown) => ({ name, type, ttl: 300, data }) as ZoneRecord;
const soa = (zone: string) => rec(zone, 'SOA', { mname: `ns1.${zone}`, rname: `h.${zone}`, serial: 1, refresh: 7200, retry: 3600, expire: 604800, minimum: 3600 });

/** TXT character-strings of at most 255 octets. */
function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 255) out.push(text.slice(i, i + 255));
  return out;
}

const BIG = 'sb.test';
const bigRecord = `v=spf1 ${Array.from({ length: 3000 }, (_, i) => `a:h${i}.slow.${BIG}`).join(' ')} -all`;
const TREE = 'spf-budget-tree.test';
const includes = Array.from({ length: 100 }, (_, i) => `i${i}.${TREE}`);

const MXS = 'spf-budget-mx.test';

let dns: TestDnsServer;
test.before(async () => {
  const records = [
    soa(BIG),
    rec(BIG, 'MX', { preference: 10, exchange: `mx1.${BIG}` }),
    rec(`mx1.${BIG}`, 'A', '127.0.0.25'),
    rec(BIG, 'TXT', chunks(bigRecord)),
    soa(TREE),
    rec(TREE, 'MX', { preference: 10, exchange: `mx1.${TREE}` }),
    rec(`mx1.${TREE}`, 'A', '127.0.0.25'),
    rec(TREE, 'TXT', chunks(`v=spf1 ${includes.map((n) => `include:${n}`).join(' ')} -all`)),
    soa(MXS),
    rec(MXS, 'MX', { preference: 10, exchange: `mx1.${MXS}` }),
    rec(`mx1.${MXS}`, 'A', '127.0.0.25'),
    rec(MXS, 'TXT', chunks(`v=spf1 ${Array.from({ length: 30 }, () => `mx:m.${MXS}`).join(' ')} -all`)),
    ...Array.from({ length: 10 }, (_, i) => rec(`m.${MXS}`, 'MX', { preference: i, exchange: `x${i}.${MXS}` })),
    ...includes.map((n, i) =>
      rec(n, 'TXT', chunks(`v=spf1 ${Array.from({ length: 1000 }, (_, j) => `a:h${j}.x${i}.${TREE}`).join(' ')} -all`)),
    ),
  ];
  dns = await startDnsServer({ records, behaviours: { [`*.slow.${BIG}`]: 'timeout' } });
});
test.after.always(async () => {
  await dns?.close();
});

test('a ~58 KB record of 3,000 a: terms whose targets never answer: seconds, a bounded number of failed lookups', async (t) => {
  t.true(Buffer.byteLength(bigRecord) > 55_000 && Buffer.byteLength(bigRecord) < 62_000, String(Buffer.byteLength(bigRecord)));
  const started = Date.now();
  const report = await audit(BIG, { dnsServers: [dns.address], timeoutMs: 2000, tries: 1, smtp: false, senderIps: ['192.0.2.1'] });
  const elapsed = Date.now() - started;
  t.true(elapsed < 60_000, `took ${elapsed} ms`);
  const d = report.domains[0]!;
  const spf = d.records.spf!;
  t.true(spf.tree![0]!.tooLong, 'the record is read whole (over TCP)');
  t.is(spf.lookupCount, 3000, 'every DNS-querying term is counted, followed or not');
  t.truthy(spf.budget);
  t.true(spf.budget!.exceeded.includes('failedLookups') || spf.budget!.exceeded.includes('terms'));
  t.true(spf.budget!.failedLookups <= SPF_BUDGET.failedLookups + 1);
  const slowQuestions = dns.queries.filter((q) => q.name.endsWith(`.slow.${BIG}`)).length;
  t.true(slowQuestions <= 2 * (SPF_BUDGET.failedLookups + 2), `${slowQuestions} questions to names that never answer`);
  const ids = d.findings.map((f) => f.ruleId);
  t.true(ids.includes('spf-too-many-lookups'));
  t.true(ids.includes('spf-record-too-long'));
  t.true(ids.includes('spf-budget-exceeded'));
  const failed = ids.filter((id) => id === 'dns-lookup-failed').length;
  t.true(failed <= SPF_BUDGET.failedLookups + 2, `${failed} dns-lookup-failed findings`);
  t.is(spf.senderResults![0]!.result, 'temperror');
  t.true(spf.tree![0]!.terms.length <= SPF_BUDGET.terms);
  t.is(spf.tree![0]!.terms.length + (spf.tree![0]!.omittedTerms ?? 0), 3001);
});

test('100 includes × 1,000 a: terms: a bounded number of questions, the tree says what was not followed', async (t) => {
  const before = dns.queries.length;
  const started = Date.now();
  const report = await audit(TREE, { dnsServers: [dns.address], timeoutMs: 2000, tries: 1, smtp: false });
  const elapsed = Date.now() - started;
  const asked = dns.queries.length - before;
  t.true(elapsed < 60_000, `took ${elapsed} ms`);
  // The budget bounds the SPF tree's questions: records fetched and terms followed (a: asks A and AAAA).
  t.true(asked < SPF_BUDGET.records + 2 * SPF_BUDGET.queryingTerms + 200, `${asked} questions`);
  const d = report.domains[0]!;
  const spf = d.records.spf!;
  t.truthy(spf.budget);
  t.true(spf.tree!.some((n) => n.status === 'not-followed' && n.reason === 'over the budget'));
  t.true(spf.budget!.notFollowed > 0);
  t.true(spf.tree!.reduce((n, node) => n + node.terms.length, 0) <= SPF_BUDGET.terms);
  t.true(spf.lookupCount! > 10);
  const ids = d.findings.map((f) => f.ruleId);
  t.true(ids.includes('spf-too-many-lookups'));
  t.true(ids.includes('spf-record-too-long'));
  t.true(ids.includes('spf-budget-exceeded'));
  t.is(ids.filter((id) => id === 'spf-include-no-record').length, 0, 'an include not followed is not reported as missing');
  const text = renderText(report, { color: false, rules: builtinRules() });
  t.regex(text, /not followed: over the budget \([^)]*2000 terms[^)]*per domain\)/);
  t.regex(text, /include:i99\.spf-budget-tree\.test {2}\[1 lookup, not followed: over the budget\]/);
});

test('our own evaluation of the tree for a sender stops at its budget of questions (SENDER_TREE_QUESTIONS)', async (t) => {
  // 30 mx terms × (1 MX + 10 exchanges' addresses) = 330 questions without a bound.
  const report = await audit(MXS, { dnsServers: [dns.address], timeoutMs: 2000, tries: 1, smtp: false, senderIps: ['192.0.2.1'] });
  const [r] = report.domains[0]!.records.spf!.senderResults!;
  t.is(r!.result, 'permerror', 'mailauth stops at 10 lookups');
  t.is(r!.treeResult, undefined, 'no verdict of ours past the budget, rather than a guess');
  t.true(SENDER_TREE_QUESTIONS < 330);
});
