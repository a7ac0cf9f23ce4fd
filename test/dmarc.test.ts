// Serial: the fixture DNS server runs in this process, and many audits at once starve its event loop
// until c-ares (adaptive timeouts, checked on a 1 s tick) gives up on queries that were merely queued.
import { createRequire } from 'node:module';
import { Resolver } from 'node:dns/promises';
import test from 'ava';
import { audit } from '../src/audit.js';
import { analyzeRecord, MAX_CHECKED_REPORT_DESTINATIONS, walkNames } from '../src/collect/dmarc.js';
import { dmarcTextLines } from '../src/report/text-dmarc.js';
import type { DmarcFacts } from '../src/facts/index.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { fixtureRecords, startFixtureDns, QUIET_RULES } from './helpers/fixtures.js';

let dns: TestDnsServer;
test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

async function dmarcOf(domain: string, server: TestDnsServer = dns, timeoutMs = 3000): Promise<{ dmarc: DmarcFacts; ids: string[] }> {
  const report = await audit(domain, { dnsServers: [server.address], timeoutMs, tries: 1, disable: QUIET_RULES, smtp: false });
  const d = report.domains[0]!;
  return { dmarc: d.records.dmarc!, ids: d.findings.map((f) => f.ruleId) };
}

test.serial('a clean record parses without problems and keeps its tags in order', (t) => {
  const a = analyzeRecord({ text: 'v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; fo=1:d:s; t=n; psd=n; rua=mailto:a@x.test,mailto:b@x.test!10m', chunks: [] }, '_dmarc.x.test');
  t.deepEqual(a.problems, []);
  t.deepEqual(a.unknownTags, []);
  t.deepEqual(a.record.tagList!.map((x) => x.name), ['v', 'p', 'sp', 'np', 'adkim', 'aspf', 'fo', 't', 'psd', 'rua']);
  t.deepEqual(a.uris.map((u) => [u.valid, u.address]), [[true, 'a@x.test'], [true, 'b@x.test']]);
});

test.serial('the version is exact and first; a repeated tag is reported once with its count', (t) => {
  t.regex(analyzeRecord({ text: 'v=dmarc1; p=reject', chunks: [] }, 'n').problems[0]!.reason, /exactly DMARC1/);
  t.false(analyzeRecord({ text: 'v=dmarc1; p=reject', chunks: [] }, 'n').record.valid);
  const dup = analyzeRecord({ text: 'v=DMARC1; p=none; rua=mailto:a@x.test; p=reject', chunks: [] }, 'n');
  t.is(dup.record.tags['p'], 'none');
  t.is(dup.problems.length, 1);
  t.regex(dup.problems[0]!.reason, /appears 2 times/);
});

test.serial('walk names: the domain, then parents; eight or more labels jump to seven (RFC 9989 §4.10)', (t) => {
  t.deepEqual(walkNames('a.b.example.com'), ['a.b.example.com', 'b.example.com', 'example.com', 'com']);
  const nine = 'l1.l2.l3.l4.l5.l6.l7.l8.l9';
  t.deepEqual(walkNames(nine), [nine, 'l3.l4.l5.l6.l7.l8.l9', 'l4.l5.l6.l7.l8.l9', 'l5.l6.l7.l8.l9', 'l6.l7.l8.l9', 'l7.l8.l9', 'l8.l9', 'l9']);
});

test.serial('a subdomain without a record inherits the parent sp, and the facts say from where', async (t) => {
  const { dmarc } = await dmarcOf('dept.orgpolicy.test');
  t.is(dmarc.status, 'absent');
  t.like(dmarc.effective, { policy: 'none', inherited: true, appliedTag: 'sp', source: '_dmarc.orgpolicy.test', policyDomain: 'orgpolicy.test', organizationalDomain: 'orgpolicy.test', domainPolicy: 'reject', subdomainPolicy: 'none' });
  t.deepEqual(dmarc.walk!.map((s) => [s.name, s.result]), [['_dmarc.dept.orgpolicy.test', 'absent'], ['_dmarc.orgpolicy.test', 'found'], ['_dmarc.test', 'absent']]);
  t.is(dmarc.inheritedRecord!.text, 'v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@orgpolicy.test');
});

test.serial('a psd=y record stops the walk: the organizational domain is the name below it, not what the PSL says', async (t) => {
  const { dmarc } = await dmarcOf('shop.dmarc-psd.test');
  t.like(dmarc.effective, { policy: 'reject', inherited: true, fromPsd: true, organizationalDomain: 'shop.dmarc-psd.test', policyDomain: 'dmarc-psd.test' });
  // A Public Suffix List reading would have said dmarc-psd.test (".test" is the suffix): the walk decides, not the list.
  t.deepEqual(dmarc.walk!.map((s) => s.psd ?? '-'), ['-', 'y']);
});

test.serial('report addresses in other organizational domains: authorized by name, by wildcard, or not', async (t) => {
  const { dmarc } = await dmarcOf('dmarc-external.test');
  const byAddress = Object.fromEntries(dmarc.reportUris!.map((u) => [u.address, [u.external, u.authorization, u.authorizedBy]]));
  t.deepEqual(byAddress, {
    'agg@dmarc-rcpt-exact.test': [true, 'authorized', 'exact'],
    'agg@dmarc-rcpt-wild.test': [true, 'authorized', 'wildcard'],
    'fail@dmarc-rcpt-none.test': [true, 'unauthorized', undefined],
  });
  const own = await dmarcOf('clean.test');
  t.deepEqual(own.dmarc.reportUris!.map((u) => u.external), [false], 'an address in the same domain needs no authorization');
});

test.serial('a failure during the tree walk leaves the policy undetermined, never missing', async (t) => {
  const server = await startDnsServer({ records: fixtureRecords(), behaviours: { '_dmarc.dmarc-walkfail.test': 'timeout' } });
  try {
    const { dmarc, ids } = await dmarcOf('sub.dmarc-walkfail.test', server, 300);
    t.is(dmarc.status, 'undetermined');
    t.false(ids.includes('dmarc-missing'));
    t.true(ids.includes('dns-lookup-failed'));
  } finally {
    await server.close();
  }
});

test.serial('several records at the own name are discarded and the walk goes on', async (t) => {
  const { dmarc, ids } = await dmarcOf('twodmarc.test');
  t.is(dmarc.walk![0]!.result, 'multiple');
  t.is(dmarc.walk!.length, 2);
  t.is(dmarc.effective, undefined);
  t.deepEqual(ids, ['dmarc-multiple-records']);
});

test.serial('policy discovery agrees with mailauth getDmarcRecord on the fixture zones', async (t) => {
  const require = createRequire(import.meta.url);
  const { discoverPolicy, createRecordLookup } = require('mailauth/lib/dmarc/get-dmarc-record.js');
  const resolver = new Resolver({ timeout: 3000, tries: 1 });
  resolver.setServers([dns.address]);
  const resolve = (name: string, type: string) => (type === 'TXT' ? resolver.resolveTxt(name) : resolver.resolve(name, type));
  for (const domain of ['clean.test', 'dept.orgpolicy.test', 'shop.dmarc-psd.test', 'a.b.c.dmarc-parent.test', 'twodmarc.test', 'nodmarc.test']) {
    const theirs = await discoverPolicy(domain, createRecordLookup(resolve));
    const { dmarc } = await dmarcOf(domain);
    t.is(dmarc.effective?.policyDomain ?? null, theirs.recordDomain, `${domain}: record domain`);
    if (dmarc.effective?.inherited) t.is(dmarc.effective.organizationalDomain, theirs.orgDomain, `${domain}: organizational domain`);
  }
});

test.serial('DMARC and DKIM facts validate against the published report schema', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const validate = ajv.compile(JSON.parse(readFileSync('schemas/report.schema.json', 'utf8')));
  const domains = ['dkim-keys.test', 'dkim-wildcard.test', 'dmarc-external.test', 'dept.orgpolicy.test', 'dmarc-syntax.test', 'dmarc-baduri.test', 'dmarc-weaker.test', 'parked.test'];
  const report = JSON.parse(JSON.stringify(await audit(domains, { dnsServers: [dns.address], timeoutMs: 3000, tries: 1, concurrency: 1, smtp: false })));
  t.true(validate(report), JSON.stringify(validate.errors));
});

test.serial('a record receivers cannot read (v=dmarc1) does not stop the walk up to the parent', async (t) => {
  const server = await startDnsServer({
    records: [
      ...fixtureRecords(),
      { name: '_dmarc.lower.orgpolicy.test', type: 'TXT', ttl: 60, data: ['v=dmarc1; p=reject'], origin: { file: 'test', line: 1 } },
      { name: 'lower.orgpolicy.test', type: 'TXT', ttl: 60, data: ['v=spf1 -all'], origin: { file: 'test', line: 2 } },
    ],
  });
  try {
    const { dmarc, ids } = await dmarcOf('lower.orgpolicy.test', server);
    t.like(dmarc.effective, { inherited: true, policy: 'none', source: '_dmarc.orgpolicy.test' });
    t.true(ids.includes('dmarc-syntax-error'));
    t.false(ids.includes('dmarc-missing'));
  } finally {
    await server.close();
  }
});

/** analyzeRecord on one record: what each kind of fact says about it, for the grammar table below. */
function verdict(text: string) {
  const a = analyzeRecord({ text, chunks: [text] }, '_dmarc.x.test');
  return {
    valid: a.record.valid,
    problems: a.problems.map((p) => p.tag),
    obsolete: a.obsoleteTags.map((o) => `${o.tag}${o.valueValid ? '' : ' (malformed)'}`),
    unknown: a.unknownTags.map((u) => u.tag),
  };
}

// RFC 9989 §4.7 (tags), §4.8 (formal definition), §9.3 (removed tags); RFC 7489 §6.3 for what 7489 receivers do.
const GRAMMAR: [string, string, { valid?: boolean; problems?: string[]; obsolete?: string[]; unknown?: string[] }][] = [
  ['v=DMARC1 first, nothing else is required', 'v=DMARC1', {}],
  ['v is case-sensitive: DMARC1', 'v=dmarc1; p=none', { valid: false, problems: ['v'] }],
  ['v must be the first tag', 'p=none; v=DMARC1', { valid: false, problems: ['v'] }],
  ['white space around = is allowed (*WSP)', 'v = DMARC1 ; p = reject', {}],
  ['a record beginning with white space: reported, still read', ' v=DMARC1; p=reject', { problems: ['v'] }],
  ['a trailing semicolon is allowed', 'v=DMARC1; p=reject;', {}],
  ['p: none, quarantine, reject (any case)', 'v=DMARC1; p=Quarantine', {}],
  ['p: another word', 'v=DMARC1; p=block', { problems: ['p'] }],
  ['p missing: no syntax error (RECOMMENDED, §4.7)', 'v=DMARC1; rua=mailto:a@x.test', {}],
  ['sp: a policy', 'v=DMARC1; p=reject; sp=none', {}],
  ['sp: another word', 'v=DMARC1; p=reject; sp=all', { problems: ['sp'] }],
  ['np: a policy', 'v=DMARC1; p=reject; np=reject', {}],
  ['np: another word', 'v=DMARC1; p=reject; np=1', { problems: ['np'] }],
  ['psd: y, n, u', 'v=DMARC1; p=reject; psd=u', {}],
  ['psd: another value', 'v=DMARC1; p=reject; psd=yes', { problems: ['psd'] }],
  ['t: y or n', 'v=DMARC1; p=reject; t=y', {}],
  ['t: another value', 'v=DMARC1; p=reject; t=1', { problems: ['t'] }],
  ['adkim: r or s', 'v=DMARC1; p=reject; adkim=s', {}],
  ['adkim: another value', 'v=DMARC1; p=reject; adkim=strict', { problems: ['adkim'] }],
  ['aspf: r or s', 'v=DMARC1; p=reject; aspf=r', {}],
  ['aspf: another value', 'v=DMARC1; p=reject; aspf=x', { problems: ['aspf'] }],
  ['fo: 1, d and s together', 'v=DMARC1; p=reject; fo=1:d:s', {}],
  ['fo: 0 and 1 exclude each other', 'v=DMARC1; p=reject; fo=0:1', { problems: ['fo'] }],
  ['fo: an option twice', 'v=DMARC1; p=reject; fo=d:d', { problems: ['fo'] }],
  ['fo: an unknown option', 'v=DMARC1; p=reject; fo=2', { problems: ['fo'] }],
  ['fo: an empty option', 'v=DMARC1; p=reject; fo=0:', { problems: ['fo'] }],
  ['pct=150: removed tag, malformed, no syntax error', 'v=DMARC1; p=reject; pct=150', { obsolete: ['pct (malformed)'] }],
  ['pct=-1', 'v=DMARC1; p=reject; pct=-1', { obsolete: ['pct (malformed)'] }],
  ['pct=abc', 'v=DMARC1; p=reject; pct=abc', { obsolete: ['pct (malformed)'] }],
  ['pct=100: removed tag, well-formed', 'v=DMARC1; p=reject; pct=100', { obsolete: ['pct'] }],
  ['ri=abc', 'v=DMARC1; p=reject; ri=abc', { obsolete: ['ri (malformed)'] }],
  ['ri=86400', 'v=DMARC1; p=reject; ri=86400', { obsolete: ['ri'] }],
  ['rf=bob', 'v=DMARC1; p=reject; rf=bob', { obsolete: ['rf (malformed)'] }],
  ['rf=afrf', 'v=DMARC1; p=reject; rf=afrf', { obsolete: ['rf'] }],
  ['an unknown tag is ignored, and reported', 'v=DMARC1; p=reject; foo=bar', { unknown: ['foo'] }],
  ['a repeated tag', 'v=DMARC1; p=reject; p=none', { problems: ['p'] }],
  ['a part that is not tag=value', 'v=DMARC1; p=reject; reject', { problems: [''] }],
];

for (const [what, text, expected] of GRAMMAR) {
  test.serial(`DMARC grammar: ${what}`, (t) => {
    t.deepEqual(verdict(text), { valid: true, problems: [], obsolete: [], unknown: [], ...expected });
  });
}

test.serial('report URIs: mailto with one mailbox, an optional !size; others are invalid', (t) => {
  const uris = analyzeRecord({ text: 'v=DMARC1; p=reject; rua=mailto:a@x.test!10m,a@x.test,https://x.test/r,mailto:x.test,mailto:a@-bad-.test,', chunks: [] }, 'n').uris;
  t.deepEqual(
    uris.map((u) => u.valid),
    [true, false, false, false, false, false],
  );
});

test.serial('testing mode: p=reject; t=y is applied as quarantine, p=quarantine; t=y as none, with the reason', async (t) => {
  const reject = await dmarcOf('dmarc-testing-reject.test');
  t.like(reject.dmarc.effective, { policy: 'quarantine', publishedPolicy: 'reject', testing: true, domainPolicy: 'quarantine', subdomainPolicy: 'quarantine' });
  t.false(reject.ids.includes('dmarc-policy-none'));
  const quarantine = await dmarcOf('dmarc-testing-quarantine.test');
  t.like(quarantine.dmarc.effective, { policy: 'none', publishedPolicy: 'quarantine' });
  t.regex(quarantine.dmarc.effective!.policyBasis!, /t=y, testing mode/);
  t.true(quarantine.ids.includes('dmarc-policy-none'));
  t.regex(dmarcTextLines('dmarc-testing-reject.test', reject.dmarc).join('\n'), /policy: quarantine for the domain.*testing \(t=y\): p=reject is applied one level less/);
});

test.serial('a record without p is applied as p=none and says so; an unusable p without rua gives no policy', async (t) => {
  const noP = await dmarcOf('dmarc-no-p.test');
  t.like(noP.dmarc.effective, { policy: 'none', policyDefaulted: true, policyDefaultedReason: 'has no p= tag' });
  t.deepEqual(noP.ids, ['dmarc-policy-missing']);
  const unusable = await dmarcOf('dmarc-bad-p-no-rua.test');
  t.is(unusable.dmarc.effective, undefined);
  t.deepEqual(unusable.ids.filter((id) => id.startsWith('dmarc-')), ['dmarc-syntax-error']);
});

test.serial('the Organizational Domain comes from the walk, even below a domain with its own record (RFC 9989 §4.10.2)', async (t) => {
  const giant = await dmarcOf('giant.bank-psd.test');
  t.is(giant.dmarc.organizationalDomain, 'giant.bank-psd.test');
  t.like(giant.dmarc.effective, { policy: 'quarantine', inherited: false, organizationalDomain: 'giant.bank-psd.test' });
  t.deepEqual(giant.dmarc.walk!.map((s) => [s.name, s.result, s.psd ?? '-']), [
    ['_dmarc.giant.bank-psd.test', 'found', '-'],
    ['_dmarc.bank-psd.test', 'found', 'y'],
  ]);
  const central = giant.dmarc.reportUris!.find((u) => u.address === 'central@bank-psd.test')!;
  t.like(central, { external: true, authorization: 'unauthorized' }, 'bank-psd.test is another Organizational Domain: it must authorize');
  t.like(giant.dmarc.reportUris!.find((u) => u.address === 'dmarc@giant.bank-psd.test'), { external: false });
  const mail = await dmarcOf('mail.giant.bank-psd.test');
  t.like(mail.dmarc.effective, { policy: 'quarantine', inherited: true, appliedTag: 'sp', policyDomain: 'giant.bank-psd.test', organizationalDomain: 'giant.bank-psd.test', fromPsd: false });
  const psd = await dmarcOf('bank-psd.test');
  t.is(psd.dmarc.organizationalDomain, 'bank-psd.test');
});

test.serial('two records at a parent the walk reaches: named where they are, no false "none above it"', async (t) => {
  const { dmarc, ids } = await dmarcOf('sub.dmarc-twoparent.test');
  t.is(dmarc.effective, undefined);
  t.deepEqual(dmarc.multipleRecords!.map((m) => [m.name, m.count]), [['_dmarc.dmarc-twoparent.test', 2]]);
  t.deepEqual(dmarc.walk!.map((s) => s.result), ['absent', 'multiple', 'absent']);
  t.true(ids.includes('dmarc-multiple-records'));
  t.false(ids.includes('dmarc-missing'));
  t.regex(dmarcTextLines('sub.dmarc-twoparent.test', dmarc).join('\n'), /none applies \(several records at _dmarc\.dmarc-twoparent\.test are discarded\)/);
});

test.serial(`1,500 external report addresses in a silent domain: ${MAX_CHECKED_REPORT_DESTINATIONS} hosts checked, the rest listed, in seconds`, async (t) => {
  const rua = Array.from({ length: 1500 }, (_, i) => `mailto:dmarc@h${i}.silent.test`).join(',');
  const text = `v=DMARC1; p=reject; rua=mailto:dmarc@many-rua.test,${rua}`;
  const chunks = text.match(/.{1,255}/g)!;
  const origin = { file: 'test', line: 1 };
  const server = await startDnsServer({
    records: [
      ...fixtureRecords(),
      { name: 'many-rua.test', type: 'SOA', ttl: 60, data: { mname: 'ns1.many-rua.test', rname: 'hostmaster.many-rua.test', serial: 1, refresh: 7200, retry: 3600, expire: 604800, minimum: 3600 }, origin },
      { name: 'many-rua.test', type: 'TXT', ttl: 60, data: ['v=spf1 -all'], origin },
      { name: '_dmarc.many-rua.test', type: 'TXT', ttl: 60, data: chunks, origin },
    ],
    behaviours: { 'silent.test': 'timeout', '*.silent.test': 'timeout' },
  });
  try {
    const started = Date.now();
    const report = await audit('many-rua.test', { dnsServers: [server.address], timeoutMs: 500, tries: 1, disable: QUIET_RULES, smtp: false });
    const elapsed = Date.now() - started;
    const d = report.domains[0]!;
    const dmarc = d.records.dmarc!;
    t.is(dmarc.reportUris!.length, 1501);
    const byState = (state: string | undefined) => dmarc.reportUris!.filter((u) => u.authorization === state).length;
    t.is(byState('undetermined'), MAX_CHECKED_REPORT_DESTINATIONS, 'the walk of each checked host fails: undetermined, not unauthorized');
    t.is(byState('not-checked'), 1500 - MAX_CHECKED_REPORT_DESTINATIONS);
    t.is(byState(undefined), 1, 'the address at the domain itself needs no check');
    t.like(dmarc.uncheckedReportDestinations![0], { count: 1490, hosts: 1490, limit: MAX_CHECKED_REPORT_DESTINATIONS });
    const ids = d.findings.map((f) => f.ruleId);
    t.true(ids.includes('dmarc-report-uris-unchecked'));
    t.false(ids.includes('dmarc-rua-unauthorized'));
    const silentAsked = server.queries.filter((q) => q.name.endsWith('silent.test')).length;
    t.true(silentAsked <= MAX_CHECKED_REPORT_DESTINATIONS * 2, `${silentAsked} questions to the silent domain`);
    t.true(elapsed < 20_000, `took ${elapsed} ms (3,046 lookups, minutes, before the bound)`);
  } finally {
    await server.close();
  }
});
