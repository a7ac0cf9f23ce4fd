/**
 * Server software read from greetings and EHLO replies, judged against data/smtp-software.json
 * (issue 16): unit cases per product and version edge, the table against its schema, and servers on
 * loopback announcing versions of the table (one case per rule), through audit() and the CLI.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { audit, type AuditOptions } from '../src/audit.js';
import { parseZone } from '../src/dns/zonefile.js';
import type { SmtpProbeFact } from '../src/facts/index.js';
import { compareVersions, judgeSoftware, versionParts } from '../src/probe/software.js';
import { runCli } from './helpers/cli.js';
import { dataTableErrors } from './helpers/data-schema.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { startRawServer, type RunningServer } from './helpers/smtp-servers.js';

const judged = (greeting: string, ehlo: string[] = []) => {
  const fact: SmtpProbeFact = { host: 'mx.test', address: '192.0.2.1', port: 25, mode: 'starttls', outcome: 'no-starttls', greeting: { code: 220, lines: [greeting] }, ehlo };
  judgeSoftware(fact);
  return fact;
};
const cves = (f: SmtpProbeFact) => (f.softwareVulnerabilities ?? []).flatMap((v) => v.ids).sort();

test('the table validates against its schema; every entry has a source and a date checked', (t) => {
  t.deepEqual(dataTableErrors('smtp-software'), []);
  const data = JSON.parse(readFileSync('data/smtp-software.json', 'utf8'));
  const products = new Set(data.products.map((p: { id: string }) => p.id));
  for (const a of data.advisories) {
    t.true(products.has(a.product), a.title);
    t.true(compareVersions(versionParts(a.from)!, versionParts(a.below)!) < 0, a.title);
  }
});

test('versions: parsing and ordering', (t) => {
  t.deepEqual(versionParts('4.94.2'), [4, 94, 2]);
  t.deepEqual(versionParts('6.6.2p1'), [6, 6, 2]);
  t.is(versionParts('4.x'), undefined);
  t.is(compareVersions([15, 2], [15, 2, 0]), 0);
  t.is(compareVersions([4, 94, 1], [4, 94, 2]), -1);
  t.is(compareVersions([4, 100], [4, 99, 9]), 1);
});

test('Exim: each advisory up to the version its fix came in', (t) => {
  t.deepEqual(cves(judged('mx.test ESMTP Exim 4.91 Mon, 01 Dec 2026 10:00:00 +0000')), [
    'CVE-2019-10149', 'CVE-2020-28017', 'CVE-2020-28020', 'CVE-2023-42114', 'CVE-2023-42115', 'CVE-2023-42116',
  ]);
  t.deepEqual(cves(judged('mx.test ESMTP Exim 4.92 Mon, 01 Dec 2026')), ['CVE-2020-28017', 'CVE-2020-28020', 'CVE-2023-42114', 'CVE-2023-42115', 'CVE-2023-42116']);
  t.deepEqual(cves(judged('mx.test ESMTP Exim 4.94.2 Mon')), ['CVE-2023-42114', 'CVE-2023-42115', 'CVE-2023-42116']);
  const f = judged('mx.test ESMTP Exim 4.96 Mon');
  t.is(f.softwareFixedIn, '4.96.1');
  t.deepEqual(judged('mx.test ESMTP Exim 4.96.1 Mon').softwareVulnerabilities, undefined);
  t.is(judged('mx.test ESMTP Exim 4.91').softwareFixedIn, '4.96.1', 'the version with every listed fix');
  t.is(judged('mx.test ESMTP Exim 4.98.2').software?.version, '4.98.2');
});

test('Exchange builds: 2013, 2016, 2019 end of life; Subscription Edition not', (t) => {
  const eol = (build: string) => judged(`mail.test Microsoft ESMTP MAIL Service, Version: ${build} ready at Mon, 1 Dec 2026`).softwareEndOfLife?.release;
  t.is(eol('15.0.1497.2'), 'Exchange Server 2013');
  t.is(eol('15.1.2507.6'), 'Exchange Server 2016');
  t.is(eol('15.2.1748.10'), 'Exchange Server 2019');
  t.is(eol('15.2.2562.17'), undefined);
  t.is(eol('14.3.123.4'), 'Exchange Server 2010');
  const plain = judged('mail.test Microsoft ESMTP MAIL Service ready at Mon, 1 Dec 2026 10:00:00 +0000');
  t.is(plain.software?.product, 'microsoft-esmtp');
  t.is(plain.software?.version, undefined, 'Exchange 2013 and later show no build by default');
  t.is(plain.softwareEndOfLife, undefined);
});

test('OpenSMTPD, Sendmail, Haraka, MDaemon, hMailServer, Zimbra, Postfix; unparsable versions are no finding', (t) => {
  t.deepEqual(cves(judged('mx.test ESMTP OpenSMTPD 6.6.1')), ['CVE-2020-7247']);
  t.deepEqual(cves(judged('mx.test ESMTP OpenSMTPD 6.6.2p1')), []);
  t.is(judged('mx.test ESMTP OpenSMTPD').software?.version, undefined);
  t.is(judged('mx.test ESMTP Sendmail 8.15.2/8.15.2; Mon, 1 Dec 2026').software?.version, '8.15.2');
  t.is(judged('mx.test ESMTP Haraka/2.8.28 ready').software?.version, '2.8.28');
  t.is(judged('mx.test ESMTP MDaemon 23.5.1; Mon, 01 Dec 2026').software?.name, 'MDaemon');
  t.is(judged('mx.test ESMTP hMailServer 5.6.8').software?.version, '5.6.8');
  t.is(judged('mx.test ESMTP Zimbra 10.0.5').software?.product, 'zimbra');
  const postfix = judged('mx.test ESMTP Postfix (Debian/GNU)');
  t.is(postfix.software?.product, 'postfix');
  t.is(postfix.software?.version, undefined);
  t.deepEqual(judged('mx.test ESMTP Exim 4.x-beta').software?.version, undefined);
  t.is(judged('mx.test ESMTP Exim 4.x-beta').softwareVulnerabilities, undefined);
  t.is(judged('mx.test ESMTP ready').software, undefined);
  t.is(judged('mx.test ESMTP', ['SIZE 1000', 'X-EXIM 4.91']).software?.from, 'ehlo');
});

let dns: TestDnsServer;
const servers: RunningServer[] = [];
let port = 0;

test.before(async () => {
  const zone = `$ORIGIN test.\n$TTL 300\nswexim MX 10 mx.swexim\nmx.swexim A 127.0.5.1\nswexch MX 10 mx.swexch\nmx.swexch A 127.0.5.2\nswquiet MX 10 mx.swquiet\nmx.swquiet A 127.0.5.3\n`;
  dns = await startDnsServer({ records: parseZone(zone, { file: 'smtp-software.zone' }).records });
  const first = await startRawServer('127.0.5.1', 0, { greeting: ['220 mx.swexim.test ESMTP Exim 4.91 Mon, 01 Dec 2026 10:00:00 +0000'], replies: { EHLO: '250-mx.swexim.test Hello\r\n250 8BITMIME' } });
  port = first.port;
  servers.push(
    first,
    await startRawServer('127.0.5.2', port, { greeting: ['220 mx.swexch.test Microsoft ESMTP MAIL Service, Version: 15.1.2507.6 ready at Mon, 1 Dec 2026'], replies: { EHLO: '250-mx.swexch.test Hello\r\n250 8BITMIME' } }),
    await startRawServer('127.0.5.3', port, { greeting: ['220 mx.swquiet.test ESMTP Postfix'], replies: { EHLO: '250-mx.swquiet.test\r\n250 8BITMIME' } }),
  );
});

test.after.always(async () => {
  await dns?.close();
  await Promise.all(servers.map((s) => s.close()));
});

const base = (): AuditOptions => ({ dnsServers: [dns.address], timeoutMs: 3000, tries: 1, smtpPort: port, smtpTimeoutMs: 5000, ehloName: 'probe.mailaudit.test' });
const softwareIds = (r: Awaited<ReturnType<typeof audit>>, name: string) =>
  r.domains.find((d) => d.domain === name)!.findings.map((f) => f.ruleId).filter((id) => /software|discloses/.test(id)).sort();

test('servers on loopback: vulnerable Exim, end-of-life Exchange, a quiet Postfix (MX and submission)', async (t) => {
  const r = await audit(['swexim.test', 'swexch.test', 'swquiet.test'], base());
  t.deepEqual(softwareIds(r, 'swexim.test'), ['smtp-banner-discloses-version', 'smtp-software-vulnerable']);
  t.deepEqual(softwareIds(r, 'swexch.test'), ['smtp-banner-discloses-version', 'smtp-software-end-of-life']);
  t.deepEqual(softwareIds(r, 'swquiet.test'), []);
  const vuln = r.domains[0]!.findings.find((f) => f.ruleId === 'smtp-software-vulnerable')!;
  t.regex(vuln.message, /announces Exim 4\.91 .*CVE-2019-10149 \(fixed in 4\.92; https:\/\/www\.exim\.org\/static\/doc\/security\/CVE-2019-10149\.txt\).*Upgrade to 4\.96\.1 or later/);
  const eol = r.domains[1]!.findings.find((f) => f.ruleId === 'smtp-software-end-of-life')!;
  t.regex(eol.message, /Exchange Server 2016, out of support since 2025-10-14 \(https:\/\/learn\.microsoft\.com\/en-us\/lifecycle\/products\/exchange-server-2016\)/);
  for (const [address, expected] of [
    ['127.0.5.1', ['submission-banner-discloses-version', 'submission-software-vulnerable']],
    ['127.0.5.2', ['submission-banner-discloses-version', 'submission-software-end-of-life']],
  ] as [string, string[]][]) {
    const s = await audit('swquiet.test', { ...base(), smtp: false, submission: address, submissionPorts: { implicitTls: port, starttls: port } });
    // Implicit TLS against a plaintext server fails before any greeting: one endpoint of the two names the software.
    t.deepEqual(softwareIds(s, 'swquiet.test'), expected, address);
  }
});

test('CLI: the text shows the software line and the findings; SARIF carries them', async (t) => {
  const args = ['swexim.test', '--dns-server', dns.address, '--smtp-port', String(port), '--ehlo-name', 'probe.mailaudit.test'];
  const text = await runCli(args);
  t.regex(text.stdout, /software: Exim 4\.91/);
  t.regex(text.stdout, /smtp-software-vulnerable/);
  const sarif = JSON.parse((await runCli([...args, '--format', 'sarif'])).stdout);
  const ids = (sarif.runs[0].results as { ruleId: string }[]).map((x) => x.ruleId);
  t.true(ids.includes('smtp-software-vulnerable'));
  t.true(ids.includes('smtp-banner-discloses-version'));
  const explain = await runCli(['explain', 'smtp-software-vulnerable']);
  t.is(explain.code, 0);
  t.regex(explain.stdout, /backport/);
});
