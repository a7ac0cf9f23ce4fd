// Serial: the fixture DNS server runs in this process, and many audits at once starve its event loop
// until c-ares (adaptive timeouts, checked on a 1 s tick) gives up on queries that were merely queued.
import { createRequire } from 'node:module';
import { Resolver } from 'node:dns/promises';
import test from 'ava';
import { getDomain } from 'tldts';
import { audit } from '../src/audit.js';
import { analyzeRecord, walkNames } from '../src/collect/dmarc.js';
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
  const a = analyzeRecord({ text: 'v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; fo=0:1:d:s; t=n; psd=n; rua=mailto:a@x.test,mailto:b@x.test!10m', chunks: [] }, '_dmarc.x.test');
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
  t.is(getDomain('shop.dmarc-psd.test'), 'dmarc-psd.test', 'the public suffix list would have said otherwise');
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
