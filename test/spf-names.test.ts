import test from 'ava';
import { audit } from '../src/audit.js';
import { LiveDnsSource } from '../src/dns/live.js';
import type { ZoneRecord } from '../src/dns/types.js';
import { renderText } from '../src/report/text.js';
import { builtinRules } from '../src/engine/load.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';

/**
 * Names c-ares refuses without asking (EBADNAME) though RFC 2181 §11 allows any octet in a label and
 * RFC 7208 §7.1 any visible character but "%" in a domain-spec: they go on the wire, in the tree and
 * in the sender evaluation alike. And names no DNS query can carry (an empty label, 64 octets): the
 * RFC leaves the verdict to the receiver, and the report says so.
 */

const zone = 'spf-names.test';
const records = [
  { name: zone, type: 'SOA', data: { mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 7200, retry: 3600, expire: 604800, minimum: 3600 } },
  { name: zone, type: 'MX', data: { preference: 10, exchange: `mx1.${zone}` } },
  { name: `mx1.${zone}`, type: 'A', data: '127.0.0.25' },
  { name: zone, type: 'TXT', data: [`v=spf1 a:foo:bar/baz.${zone} mx:foo:bar/baz.${zone}/24 -all`] },
  { name: `foo:bar/baz.${zone}`, type: 'A', data: '192.0.2.7' },
  { name: `foo:bar/baz.${zone}`, type: 'MX', data: { preference: 0, exchange: `foo:bar/baz.${zone}` } },
  // %{l} of "two words@…" expands to a label with a space.
  { name: `macro.${zone}`, type: 'TXT', data: [`v=spf1 exists:%{l}.ok.${zone} -all`] },
  { name: `two words.ok.${zone}`, type: 'A', data: '127.0.0.2' },
  { name: `long.${zone}`, type: 'TXT', data: [`v=spf1 a:${'x'.repeat(64)}.${zone} ip4:192.0.2.0/24 -all`] },
  { name: `inc.${zone}`, type: 'TXT', data: [`v=spf1 ip4:192.0.2.0/24 include:a..${zone} -all`] },
  { name: `reach.${zone}`, type: 'TXT', data: [`v=spf1 ip4:192.0.2.0/24 include:bad.${zone} -all`] },
  { name: `bad.${zone}`, type: 'TXT', data: ['v=spf1 ip4:192.0.2.300 -all'] },
].map((r) => ({ ttl: 300, ...r }) as ZoneRecord);

let dns: TestDnsServer;
test.before(async () => {
  dns = await startDnsServer({ records });
});
test.after.always(async () => {
  await dns?.close();
});

const run = (domain: string, ip: string, mailFrom?: string) =>
  audit(domain, { dnsServers: [dns.address], timeoutMs: 5000, tries: 2, smtp: false, senderIps: [ip], ...(mailFrom ? { mailFrom } : {}) });

test('LiveDnsSource asks a name c-ares refuses on the wire (the EBADNAME fallback)', async (t) => {
  const live = new LiveDnsSource({ servers: [dns.address], timeoutMs: 5000, tries: 2 });
  t.like(await live.resolve(`foo:bar/baz.${zone}`, 'A'), { status: 'ok', records: ['192.0.2.7'] });
  t.like(await live.resolve(`two words.ok.${zone}`, 'A'), { status: 'ok', records: ['127.0.0.2'] });
  t.like(await live.resolve(`nothing here.${zone}`, 'TXT'), { status: 'nxdomain' });
  t.true(dns.countQueries(`foo:bar/baz.${zone}`, 'A') >= 1, 'the question reached the server');
  // A name that cannot be written on the wire is still an error, never a question.
  t.like(await live.resolve(`a..b.${zone}`, 'A'), { status: 'error', error: 'EBADNAME' });
});

test('a:foo:bar/baz and mx:foo:bar/baz are looked up and match: the tree and the sender result agree, no dns-lookup-failed', async (t) => {
  const report = await run(zone, '192.0.2.7');
  const d = report.domains[0]!;
  t.deepEqual(d.findings.filter((f) => f.ruleId === 'dns-lookup-failed' || f.ruleId.startsWith('spf-')).map((f) => f.ruleId), []);
  const tree = d.records.spf!.tree!;
  t.false(tree[0]!.terms.some((term) => term.void), 'both names exist');
  t.like(d.records.spf!.senderResults![0], { result: 'pass', treeResult: 'pass', decidedBy: { term: `a:foo:bar/baz.${zone}` } });
  const mx = await run(zone, '192.0.2.200');
  t.like(mx.domains[0]!.records.spf!.senderResults![0], { result: 'pass', decidedBy: { term: `mx:foo:bar/baz.${zone}/24` } });
  t.like((await run(zone, '198.51.100.1')).domains[0]!.records.spf!.senderResults![0], { result: 'fail', treeResult: 'fail' });
});

test('a macro that expands to a name with a space is asked as such', async (t) => {
  const [r] = (await run(`macro.${zone}`, '198.51.100.1', `two words@macro.${zone}`)).domains[0]!.records.spf!.senderResults!;
  t.like(r, { result: 'pass', treeResult: 'pass', sender: `two words@macro.${zone}` });
  t.true(dns.countQueries(`two words.ok.${zone}`, 'A') >= 1);
});

test('a 64-octet label: not a syntax error; the finding and the sender result say receivers differ', async (t) => {
  const report = await run(`long.${zone}`, '198.51.100.1');
  const d = report.domains[0]!;
  const ids = d.findings.map((f) => f.ruleId);
  t.false(ids.includes('spf-syntax-error'));
  t.true(ids.includes('spf-invalid-target-name'));
  t.false(ids.includes('dns-lookup-failed'), 'no question was sent, and none is reported as failed');
  const [r] = d.records.spf!.senderResults!;
  t.is(r!.result, 'fail');
  t.regex(r!.verdictNote!, /RFC 7208 leaves it to the receiver/);
  const text = renderText(report, { color: false, rules: builtinRules() });
  t.regex(text, /receivers differ, some return permerror/);
  t.regex(text, /mail from 198\.51\.100\.1, MAIL FROM postmaster@long\.spf-names\.test: fail[^\n]*\n\s+a:x{64}[^\n]*RFC 7208 leaves it to the receiver/);
});

test('a syntax error in an included record: permerror only where evaluation reaches it, and the result says so', async (t) => {
  const early = (await run(`reach.${zone}`, '192.0.2.1')).domains[0]!;
  t.true(early.findings.some((f) => f.ruleId === 'spf-syntax-error'));
  const [r] = early.records.spf!.senderResults!;
  t.like(r, { result: 'pass', decidedBy: { term: 'ip4:192.0.2.0/24' } });
  t.regex(r!.verdictNote!, /syntax error in the record at bad\.spf-names\.test makes receivers return permerror only when evaluation reaches it; for this address it ends before at ip4:192\.0\.2\.0\/24/);
  const late = (await run(`reach.${zone}`, '198.51.100.1')).domains[0]!.records.spf!.senderResults![0]!;
  t.is(late.result, 'permerror');
  t.is(late.verdictNote, undefined);
});

test('include: of a name with an empty label is not asked: no dns-lookup-failed, a permerror where reached', async (t) => {
  const d = (await run(`inc.${zone}`, '198.51.100.1')).domains[0]!;
  const ids = d.findings.map((f) => f.ruleId);
  t.false(ids.includes('dns-lookup-failed'));
  t.true(ids.includes('spf-invalid-target-name'));
  t.like(d.records.spf!.tree![1], { status: 'none', name: `a..${zone}` });
  t.like(d.records.spf!.senderResults![0], { result: 'permerror', treeResult: 'permerror' });
});
