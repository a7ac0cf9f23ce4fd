import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import test from 'ava';
import { Ajv } from 'ajv';
import { renderJson } from '../src/report/json.js';
import { audit } from '../src/audit.js';
import type { SpfSenderResultFact } from '../src/facts/index.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { loadFixtureCases, startFixtureDns } from './helpers/fixtures.js';
import { runCli } from './helpers/cli.js';
import { mailauthResolver } from '../src/collect/spf-sender.js';
import { reverseName } from '../src/dns/reverse.js';
import { LiveDnsSource } from '../src/dns/live.js';

const require = createRequire(import.meta.url);
const { spf: mailauthSpf } = require('mailauth/lib/spf/index.js') as {
  spf: (o: Record<string, unknown>) => Promise<{ status: { result: string } }>;
};

let dns: TestDnsServer;
test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

const cases = loadFixtureCases().filter((c) => c.name.startsWith('spf-') || c.name === 'null-mx' || c.name === 'clean');
const IPS = ['192.0.2.1', '2001:db8::1', '127.0.0.25', '209.85.128.5', '198.51.3.1'];

async function senders(domain: string, ips: string[], timed = false): Promise<SpfSenderResultFact[]> {
  const report = await audit(domain, { dnsServers: [dns.address], timeoutMs: timed ? 400 : 3000, tries: 1, senderIps: ips, smtp: false });
  return report.domains[0]!.records.spf!.senderResults ?? [];
}

for (const c of cases) {
  test.serial(`--sender-ip on ${c.name}: mailauth's result, and the tree agrees or the report says which limit differs`, async (t) => {
    const results = await senders(c.domain, IPS, Object.keys(c.behaviours).length > 0);
    t.is(results.length, IPS.length);
    for (const r of results) {
      // The result is mailauth's own, with our DnsSource as its resolver.
      const direct = await mailauthSpf({
        sender: `postmaster@${c.domain}`,
        ip: r.ip,
        helo: c.domain,
        mta: 'mailaudit',
        strict: true,
        resolver: mailauthResolver({
          domain: c.domain,
          dns: new LiveDnsSource({ servers: [dns.address], timeoutMs: Object.keys(c.behaviours).length ? 400 : 3000, tries: 1 }),
        }),
      });
      t.is(r.result as string, direct.status.result, `${c.domain} ${r.ip}`);
      if (r.treeResult !== undefined && r.treeResult !== r.result) t.truthy(r.limitNote, `${c.domain} ${r.ip}: ${r.result} vs tree ${r.treeResult}`);
    }
  });
}

const one = async (domain: string, ip: string) => (await senders(domain, [ip]))[0]!;

const identity = async (domain: string, ip: string, opts: { mailFrom?: string; helo?: string }) => {
  const report = await audit(domain, { dnsServers: [dns.address], timeoutMs: 3000, tries: 1, senderIps: [ip], smtp: false, ...opts });
  return report.domains[0]!.records.spf!.senderResults ?? [];
};

test('a result whatever the records: none without a record, permerror for two, temperror when TXT fails (RFC 7208 §4.4, §4.5)', async (t) => {
  t.like(await one('nospf.test', '192.0.2.1'), { result: 'none', identity: 'mailfrom', domain: 'nospf.test', sender: 'postmaster@nospf.test' });
  t.like(await one('twospf.test', '192.0.2.1'), { result: 'permerror', domain: 'twospf.test' });
  const [failed] = await senders('servfail.test', ['192.0.2.1'], true);
  t.like(failed, { result: 'temperror', domain: 'servfail.test' });
  // A domain that does not exist: none (§4.3), and domain-not-found is the finding, not spf-missing.
  const gone = (await audit('does-not-exist.test', { dnsServers: [dns.address], timeoutMs: 3000, tries: 1, senderIps: ['192.0.2.1'], smtp: false })).domains[0]!;
  t.like(gone.records.spf, { domainMissing: true, senderResults: [{ result: 'none', domain: 'does-not-exist.test' }] });
  t.deepEqual(gone.findings.map((f) => f.ruleId), ['domain-not-found']);
  const text = await runCli(['nospf.test', '--dns-server', dns.address, '--no-smtp', '--sender-ip', '192.0.2.1']);
  t.regex(text.stdout, /mail from 192\.0\.2\.1, MAIL FROM postmaster@nospf\.test: none/);
  const two = await runCli(['twospf.test', '--dns-server', dns.address, '--no-smtp', '--sender-ip', '192.0.2.1']);
  t.regex(two.stdout, /mail from 192\.0\.2\.1, MAIL FROM postmaster@twospf\.test: permerror/);
});

test('--mail-from and --helo: %{l} is the given local-part, and the HELO identity is checked too (RFC 7208 §2.3, §7.3)', async (t) => {
  // Default identity postmaster@: %{l} = postmaster, no A record: fail.
  t.like(await one('spf-identity.test', '192.0.2.10'), { result: 'fail', identity: 'mailfrom', sender: 'postmaster@spf-identity.test', helo: 'spf-identity.test' });
  const bob = await identity('spf-identity.test', '192.0.2.10', { mailFrom: 'bob@spf-identity.test' });
  t.like((await identity('spf-identity.test', '192.0.2.10', { mailFrom: 'bob' }))[0], { result: 'pass', sender: 'bob@spf-identity.test' }, 'a local-part alone is at the audited domain');
  t.is(bob.length, 1, 'no HELO check without --helo');
  t.like(bob[0], { result: 'pass', sender: 'bob@spf-identity.test', treeResult: 'pass', decidedBy: { term: 'exists:%{l}.allow.spf-identity.test' } });
  const both = await identity('spf-identity.test', '192.0.2.10', { mailFrom: 'carol@spf-identity.test', helo: 'mail.spf-identity.test' });
  t.like(both[0], { identity: 'mailfrom', result: 'fail', domain: 'spf-identity.test', helo: 'mail.spf-identity.test' });
  t.like(both[1], { identity: 'helo', result: 'pass', domain: 'mail.spf-identity.test', sender: 'postmaster@mail.spf-identity.test' });
  t.is(both[1]!.decidedBy, undefined, 'the tree is the audited domain\'s, not the HELO name\'s');
  // The null reverse-path: MAIL FROM is checked as postmaster@<HELO> (§2.4).
  const nul = await identity('spf-identity.test', '192.0.2.10', { mailFrom: '<>', helo: 'mail.spf-identity.test' });
  t.like(nul[0], { identity: 'mailfrom', nullSender: true, domain: 'mail.spf-identity.test', sender: 'postmaster@mail.spf-identity.test', result: 'pass' });
  const r = await runCli(['spf-identity.test', '--dns-server', dns.address, '--no-smtp', '--sender-ip', '192.0.2.10', '--mail-from', 'bob@spf-identity.test', '--helo', 'mail.spf-identity.test']);
  t.regex(r.stdout, /mail from 192\.0\.2\.10, MAIL FROM bob@spf-identity\.test: pass by exists:%\{l\}\.allow\.spf-identity\.test/);
  t.regex(r.stdout, /mail from 192\.0\.2\.10, HELO mail\.spf-identity\.test \(SPF of mail\.spf-identity\.test\): pass/);
  const json = JSON.parse((await runCli(['spf-identity.test', '--dns-server', dns.address, '--no-smtp', '-f', 'json', '--sender-ip', '192.0.2.10', '--helo', 'mail.spf-identity.test'])).stdout);
  t.deepEqual(
    json.domains[0].records.spf.senderResults.map((s: SpfSenderResultFact) => [s.identity, s.domain, s.result]),
    [['mailfrom', 'spf-identity.test', 'fail'], ['helo', 'mail.spf-identity.test', 'pass']],
  );
  const alone = await runCli(['spf-identity.test', '--dns-server', dns.address, '--no-smtp', '--helo', 'mail.spf-identity.test']);
  t.is(alone.code, 2);
  t.regex(alone.stderr, /give --sender-ip too/);
  const bad = await runCli(['spf-identity.test', '--dns-server', dns.address, '--no-smtp', '--sender-ip', '192.0.2.10', '--helo', 'two\twords']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /invalid HELO name "two\\twords"/);
  t.is(bad.stderr.trim().split('\n').length, 1);
});

test('results and deciding terms across provider trees', async (t) => {
  t.like(await one('spf-providers.test', '209.85.128.5'), {
    result: 'pass',
    treeResult: 'pass',
    decidedBy: { name: '_netblocks.google.com', term: 'ip4:209.85.128.0/17' },
  });
  t.like(await one('spf-providers.test', '2a01:111:f400::1'), { result: 'pass', decidedBy: { name: 'spf.protection.outlook.com' } });
  t.like(await one('spf-providers.test', '223.165.113.9'), { result: 'pass', decidedBy: { name: 'ab.sendgrid.net' } });
  t.like(await one('spf-providers.test', '192.0.2.1'), { result: 'fail', decidedBy: { name: 'spf-providers.test', term: '-all' } });
  t.like(await one('spf-redirect.test', '192.0.2.5'), { result: 'pass', decidedBy: { name: '_spf.spf-redirect.test' } });
  t.like(await one('spf-redirect.test', '198.51.100.1'), { result: 'fail', decidedBy: { name: '_spf2.spf-redirect.test', term: '-all' } });
  t.like(await one('spf-neutral.test', '192.0.2.1'), { result: 'neutral', decidedBy: { term: '?all' } });
  t.like(await one('spf-pass-all.test', '198.51.100.1'), { result: 'pass', decidedBy: { name: '_spf.spf-pass-all.test', term: 'all' } });
  t.like(await one('spf-no-all.test', '198.51.100.1'), { result: 'neutral', treeResult: 'neutral' });
  t.like(await one('spf-syntax.test', '192.0.2.200'), { result: 'permerror', treeResult: 'permerror' });
  t.like(await one('spf-ptr.test', '203.0.113.77'), { result: 'pass', treeResult: 'pass', decidedBy: { term: 'ptr' } });
  t.like(await one('spf-ptr.test', '192.0.2.1'), { result: 'fail', treeResult: 'fail', decidedBy: { term: '-all' } });
  t.like(await one('spf-noinclude.test', '192.0.2.1'), { result: 'permerror', decidedBy: { term: 'include:nospf.spf-noinclude.test' } });
});

test('macros are expanded for a sender: Salesforce exists:%{i}', async (t) => {
  t.like(await one('spf-provider-mix.test', '13.110.208.1'), {
    result: 'permerror',
    treeResult: 'pass',
    decidedBy: { name: '_spf.salesforce.com', term: 'exists:%{i}._spf.mta.salesforce.com' },
  });
});

test('limits: mailauth stops counting at 11, the tree gives the true total', async (t) => {
  const over = await one('spf-provider-mix.test', '192.0.2.1');
  t.is(over.result, 'permerror');
  t.is(over.lookups, 11);
  t.regex(over.limitNote!, /stopped counting at 11 .* needs 13/);
  const early = await one('spf-provider-mix.test', '209.85.128.5');
  t.is(early.result, 'pass');
  t.regex(early.limitNote!, /before reaching the limit; the whole tree needs 13/);
  const voids = await one('spf-void.test', '192.0.2.1');
  t.like(voids, { result: 'permerror', treeResult: 'pass' });
  t.regex(voids.limitNote!, /void/);
  const loop = await one('spf-loop1.test', '192.0.2.1');
  t.like(loop, { result: 'permerror', treeResult: 'permerror' });
  t.regex(loop.limitNote!, /loop/);
});

test('a timed-out include is temperror, not permerror', async (t) => {
  const [r] = await senders('spf-include-timeout.test', ['192.0.2.1'], true);
  t.like(r, { result: 'temperror', treeResult: 'temperror' });
});

test('CLI: --sender-ip shows the results under the tree; a bad address is a usage error', async (t) => {
  const args = ['spf-provider-mix.test', '--dns-server', dns.address, '--timeout', '3000', '--tries', '1'];
  const r = await runCli([...args, '--sender-ip', '209.85.128.5', '--sender-ip', '192.0.2.1']);
  t.regex(r.stdout, /├─ include:_spf\.google\.com {2}\[4 lookups/);
  t.regex(r.stdout, /mail from 209\.85\.128\.5, MAIL FROM postmaster@spf-provider-mix\.test: pass by ip4:209\.85\.128\.0\/17 at _netblocks\.google\.com/);
  t.regex(r.stdout, /mail from 192\.0\.2\.1, MAIL FROM postmaster@spf-provider-mix\.test: permerror/);
  const bad = await runCli([...args, '--sender-ip', '192.0.2.300']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^mailaudit: invalid --sender-ip "192\.0\.2\.300"/);
  t.is(bad.stderr.trim().split('\n').length, 1);
  const help = await runCli(['--help']);
  t.true(help.stdout.includes('--sender-ip'));
  t.true(help.stdout.includes('--mail-from'));
  t.true(help.stdout.includes('--helo'));
});

test('the JSON report with SPF trees and sender results validates against the report schema', async (t) => {
  const schema = JSON.parse(readFileSync(join('schemas', 'report.schema.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const validate = ajv.compile(schema);
  const domains = ['spf-provider-mix.test', 'spf-loop3.test', 'spf-noinclude.test', 'spf-syntax.test', 'spf-many-mx.test', 'spf-type99.test', 'spf-long.test', 'spf-ptr.test', 'twospf.test',
    'spf-budget.test', 'spf-invalid-name.test', 'spf-identity.test', 'nospf.test', 'does-not-exist.test'];
  const report = await audit(domains, {
    dnsServers: [dns.address], timeoutMs: 3000, tries: 1, senderIps: ['192.0.2.1', '2001:db8::1'], smtp: false, mailFrom: '<>', helo: 'mail.spf-identity.test',
  });
  const json = JSON.parse(renderJson(report));
  t.true(validate(json), JSON.stringify(validate.errors?.slice(0, 3)));
  t.true(json.domains.every((d: { records: { spf?: { tree?: unknown[] } } }) => d.records.spf));
  const spfOf = (name: string) => json.domains.find((d: { domain: string }) => d.domain === name).records.spf;
  t.truthy(spfOf('spf-budget.test').budget);
  t.truthy(spfOf('spf-invalid-name.test').invalidNames);
  t.is(spfOf('spf-identity.test').senderResults.length, 4, 'two addresses × MAIL FROM and HELO');
});

test('reverse names for the ptr mechanism', (t) => {
  t.is(reverseName('192.0.2.1'), '1.2.0.192.in-addr.arpa');
  t.is(reverseName('2001:db8::1'), `1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`);
  t.is(reverseName('::ffff:192.0.2.1'), `1.0.2.0.0.0.0.c.f.f.f.f.${'0.'.repeat(20)}ip6.arpa`);
});
