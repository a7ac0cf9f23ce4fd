import test from 'ava';
import dnsPacket from 'dns-packet';
import { audit } from '../src/audit.js';
import { builtinRules } from '../src/engine/load.js';
import { renderText } from '../src/report/text.js';
import { collectDomain } from '../src/collect/index.js';
import { txtAnswerOctets } from '../src/collect/spf.js';
import type { DnsAnswer, DnsSource, RRType } from '../src/dns/types.js';
import { ZoneDnsSource } from '../src/dns/zone-source.js';
import { parseZone } from '../src/dns/zonefile.js';
import type { SpfFacts, SpfNodeFact } from '../src/facts/index.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { startFixtureDns } from './helpers/fixtures.js';

/** Names outside the test zone: NXDOMAIN, or a failure for the names listed. */
class Outside implements DnsSource {
  readonly asked: string[] = [];
  constructor(private readonly failing: Record<string, string> = {}) {}
  async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    this.asked.push(`${type} ${name}`);
    const error = this.failing[name];
    if (error) return { name, type, status: 'error', records: [], error, source: 'dns' };
    return { name, type, status: 'nxdomain', records: [], source: 'dns' };
  }
}

async function spfOf(records: string, failing: Record<string, string> = {}) {
  const text = `$ORIGIN t.test.\n$TTL 1h\n@ IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )\n  IN NS ns1\nns1 IN A 127.0.0.53\n${records}\n`;
  const outside = new Outside(failing);
  const dns = new ZoneDnsSource(parseZone(text, { file: 't.zone' }), outside);
  const facts = await collectDomain('t.test', 't.test', { dns });
  return { spf: facts.spf!, facts, outside };
}

const byName = (spf: SpfFacts, name: string): SpfNodeFact => spf.tree!.find((n) => n.name === name)!;
const lookupsByKind = (node: SpfNodeFact) => Object.fromEntries(node.terms.map((t) => [t.text, t.lookups]));

test('§4.6.4: include, a, mx, ptr, exists and redirect count; ip4, ip6, all and exp do not', async (t) => {
  const { spf } = await spfOf(`@ IN TXT "v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 a mx ptr exists:e.t.test include:i.t.test exp=x.t.test foo=bar redirect=r.t.test"
i IN TXT "v=spf1 a:h.t.test -all"
r IN TXT "v=spf1 ip4:192.0.2.2 -all"
h IN A 192.0.2.3
e IN A 127.0.0.2
@ IN A 192.0.2.4
@ IN MX 10 h`);
  t.deepEqual(lookupsByKind(spf.tree![0]!), {
    'ip4:192.0.2.1': 0,
    'ip6:2001:db8::1': 0,
    a: 1,
    mx: 1,
    ptr: 1,
    'exists:e.t.test': 1,
    'include:i.t.test': 1,
    'exp=x.t.test': 0,
    'foo=bar': 0,
    'redirect=r.t.test': 1,
  });
  t.is(spf.tree![0]!.lookups, 6);
  t.is(spf.lookupCount, 7, 'plus the a: inside the include');
  t.is(spf.voidLookupCount, 0);
  t.is(spf.allQualifier, '-', 'the redirect target supplies the all');
  t.is(spf.redirect, 'r.t.test');
});

test('terms after all and a redirect next to all cost nothing and are not looked up', async (t) => {
  const { spf, outside } = await spfOf(`@ IN TXT "v=spf1 mx -all include:late.example redirect=never.example"
@ IN MX 10 ns1`);
  const root = spf.tree![0]!;
  t.is(root.lookups, 1);
  t.true(root.redirectIgnored);
  t.true(root.terms.find((x) => x.kind === 'include')!.unreachable);
  t.is(spf.tree!.length, 1);
  t.false(outside.asked.some((q) => q.includes('late.example') || q.includes('never.example')));
});

test('void lookups: NXDOMAIN and NODATA count, a failed lookup does not (it is temperror)', async (t) => {
  const { spf, facts } = await spfOf(
    `@ IN TXT "v=spf1 a:txtonly.t.test mx:gone.t.test include:slow.example include:gone2.t.test a:v6.t.test -all"
txtonly IN TXT "not spf"
v6 IN AAAA 2001:db8::25`,
    { 'slow.example': 'ETIMEOUT' },
  );
  const root = spf.tree![0]!;
  const voids = root.terms.filter((x) => x.void).map((x) => x.text);
  t.deepEqual(voids, ['a:txtonly.t.test', 'mx:gone.t.test', 'include:gone2.t.test']);
  t.is(spf.voidLookupCount, 3);
  t.is(byName(spf, 'slow.example').status, 'undetermined');
  t.is(byName(spf, 'gone2.t.test').status, 'none');
  t.deepEqual(facts.dnsFailures, [{ name: 'slow.example', type: 'TXT', error: 'ETIMEOUT', resolver: 'the DNS source' }]);
});

test('the same include in two branches is counted twice and is not a loop', async (t) => {
  const { spf } = await spfOf(`@ IN TXT "v=spf1 include:a.t.test include:b.t.test -all"
a IN TXT "v=spf1 include:shared.t.test -all"
b IN TXT "v=spf1 include:shared.t.test -all"
shared IN TXT "v=spf1 a:shared.t.test -all"
shared IN A 192.0.2.9`);
  t.is(spf.lookupCount, 2 + 2 + 2);
  t.false(spf.tree!.some((n) => n.status === 'loop'));
  t.is(spf.tree!.filter((n) => n.name === 'shared.t.test').length, 2);
});

test('macro targets are validated, counted, and not expanded without a sender', async (t) => {
  const { spf, outside } = await spfOf(`@ IN TXT "v=spf1 exists:%{i}._spf.t.test include:%{d2}.example -all"`);
  t.is(spf.lookupCount, 2);
  t.deepEqual(spf.syntaxErrors, []);
  const inc = spf.tree!.find((n) => n.via === 'include')!;
  t.is(inc.status, 'not-followed');
  t.false(outside.asked.some((q) => q.includes('%')));
});

test('the tree is a pre-order list whose ids, parents and children agree', async (t) => {
  const { spf } = await spfOf(`@ IN TXT "v=spf1 include:a.t.test redirect=b.t.test"
a IN TXT "v=spf1 include:c.t.test -all"
b IN TXT "v=spf1 -all"
c IN TXT "v=spf1 -all"`);
  const tree = spf.tree!;
  t.deepEqual(
    tree.map((n) => [n.id, n.name, n.depth, n.parent ?? null, n.children]),
    [
      [0, 't.test', 0, null, [1, 3]],
      [1, 'a.t.test', 1, 0, [2]],
      [2, 'c.t.test', 2, 1, []],
      [3, 'b.t.test', 1, 0, []],
    ],
  );
  t.is(tree[3]!.via, 'redirect');
  t.is(tree[0]!.terms[0]!.child, 1);
  t.is(tree[0]!.totalLookups, 3);
  t.is(tree[1]!.totalLookups, 1);
});

test('the estimated TXT answer size is the wire size with the owner name compressed', (t) => {
  const name = 'spf-long-answer.test';
  const records = [['v=spf1 mx -all'], ['a'.repeat(255), 'b'.repeat(100)], ['token=1']];
  const wire = dnsPacket.encode({
    id: 1,
    type: 'response',
    flags: 0,
    questions: [{ name, type: 'TXT', class: 'IN' }],
    answers: records.map((chunks) => ({ name, type: 'TXT', class: 'IN', ttl: 60, data: chunks })),
  });
  const uncompressedOwner = Buffer.byteLength(name) + 2;
  t.is(txtAnswerOctets(name, records), wire.length - records.length * (uncompressedOwner - 2));
});

let dns: TestDnsServer;
test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

const live = async (domain: string) => (await audit(domain, { dnsServers: [dns.address], timeoutMs: 3000, tries: 1, smtp: false })).domains[0]!;

test('provider trees cost what their public structure costs', async (t) => {
  const d = await live('spf-provider-mix.test');
  const spf = d.records.spf!;
  const cost = (name: string) => 1 + byName(spf, name).totalLookups;
  t.is(cost('_spf.google.com'), 4);
  t.is(cost('spf.protection.outlook.com'), 1);
  t.is(cost('amazonses.com'), 1);
  t.is(cost('sendgrid.net'), 2);
  t.is(cost('servers.mcsv.net'), 1);
  t.is(cost('_spf.salesforce.com'), 2);
  t.is(spf.lookupCount, 13);
  t.deepEqual(d.findings.map((f) => f.ruleId).filter((id) => id.startsWith('spf-')), ['spf-too-many-lookups']);
});

test('a parked domain (null MX, v=spf1 -all) gets no SPF finding', async (t) => {
  const d = await live('parked.test');
  t.deepEqual(d.findings.filter((f) => f.ruleId.startsWith('spf-')), []);
  t.is(d.records.spf!.lookupCount, 0);
  t.is(d.records.spf!.allQualifier, '-');
});

test('a record of type SPF (99) is read over live DNS through the raw client', async (t) => {
  const d = await live('spf-type99.test');
  t.deepEqual(d.records.spf!.deprecatedType, { records: ['v=spf1 mx -all'], count: 1 });
  t.true(dns.queries.some((q) => q.name === 'spf-type99.test' && q.type === 'SPF'));
});

test('text output: the tree indented with the lookups each include costs', async (t) => {
  const report = await audit(['spf-provider-mix.test', 'spf-loop3.test', 'clean.test'], { dnsServers: [dns.address], timeoutMs: 3000, tries: 1, smtp: false });
  const text = renderText(report, { rules: builtinRules(), color: false });
  const lines = text.split('\n');
  const at = (s: string) => lines.find((l) => l.includes(s)) ?? '';
  t.regex(at('13 DNS lookups'), /^ {10}13 DNS lookups \(limit 10\), 0 void lookups \(limit 2\)$/);
  t.regex(at('spf-provider-mix.test  ['), /^ {10}spf-provider-mix\.test {2}\[13 lookups \(8 in the record, 5 below\), -all\]$/);
  t.regex(at('├─ include:_spf.google.com'), /^ {10}├─ include:_spf\.google\.com {2}\[4 lookups \(1 \+ 3 in the record\), ~all\]$/);
  t.regex(at('_netblocks3'), /^ {10}│  └─ include:_netblocks3\.google\.com {2}\[1 lookup, ~all\]$/);
  t.regex(at('└─ include:_spf.salesforce.com'), /^ {10}└─ include:_spf\.salesforce\.com {2}\[2 lookups/);
  t.regex(at('redirect=spf-loop3.test'), /^ {16}└─ redirect=spf-loop3\.test {2}\[1 lookup, loop: spf-loop3\.test → b\.spf-loop3\.test → c\.spf-loop3\.test → spf-loop3\.test\]$/);
  // A record without include or redirect: the counts only.
  const clean = lines.indexOf(lines.find((l) => l === 'clean.test')!);
  t.deepEqual(lines.slice(clean + 2, clean + 4), ['  SPF     v=spf1 mx -all', '          1 DNS lookup (limit 10), 0 void lookups (limit 2)']);
});
