/**
 * The live SMTP probe against real servers on loopback: each shape of server on its own address
 * (127.0.0.2, .3, …) on one shared port, found through MX/A records served by the test DNS server,
 * audited by the real audit() and, for a few, by the real CLI.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { builtinRules } from '../src/engine/load.js';
import { Ajv } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import { audit, type AuditOptions } from '../src/audit.js';
import { parseZone } from '../src/dns/zonefile.js';
import type { SmtpAddressFact, SubmissionEndpointFact } from '../src/facts/index.js';
import type { DomainReport, Report } from '../src/types.js';
import { runCli } from './helpers/cli.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { certFile, keyPair, pem, startRawServer, startSmtpServer, type RunningServer } from './helpers/smtp-servers.js';

const AjvDraft04 = AjvDraft04Module.default ?? AjvDraft04Module;

const ZONE = `
$ORIGIN test.
$TTL 300
smtpgood          MX 10 mx1.smtpgood
mx1.smtpgood      A 127.0.0.2
mx2.smtpgood      A 127.0.0.2
smtpshared        MX 10 mx1.smtpgood.test.
smtpshared        MX 20 mx2.smtpgood.test.
smtpselfsigned    MX 10 mx1.smtpselfsigned
mx1.smtpselfsigned A 127.0.0.3
smtpexpired       MX 10 mx1.smtpexpired
mx1.smtpexpired   A 127.0.0.4
smtpwrongname     MX 10 mx1.smtpwrongname
mx1.smtpwrongname A 127.0.0.5
smtpnotls         MX 10 mx1.smtpnotls
mx1.smtpnotls     A 127.0.0.6
smtpbadtls        MX 10 mx1.smtpbadtls
mx1.smtpbadtls    A 127.0.0.7
smtpauth          MX 10 mx1.smtpauth
mx1.smtpauth      A 127.0.0.8
smtp554           MX 10 mx1.smtp554
mx1.smtp554       A 127.0.0.9
smtpmulti         MX 10 mx1.smtpmulti
mx1.smtpmulti     A 127.0.0.10
smtpsilent        MX 10 mx1.smtpsilent
mx1.smtpsilent    A 127.0.0.11
smtpclosed        MX 10 mx1.smtpclosed
mx1.smtpclosed    A 127.0.0.12
smtpbanner        MX 10 mx1.smtpbanner
mx1.smtpbanner    A 127.0.0.13
smtpptr           MX 10 mx1.smtpptr
mx1.smtpptr       A 127.0.0.14
smtplegacy        MX 10 mx1.smtplegacy
mx1.smtplegacy    A 127.0.0.15
smtpnoehlo        MX 10 mx1.smtpnoehlo
mx1.smtpnoehlo    A 127.0.0.18
smtpmany          MX 11 mx11.smtpmany
mx11.smtpmany    A 127.0.0.12
smtpmany          MX 10 mx10.smtpmany
mx10.smtpmany    A 127.0.0.12
smtpmany          MX 9 mx9.smtpmany
mx9.smtpmany    A 127.0.0.12
smtpmany          MX 8 mx8.smtpmany
mx8.smtpmany    A 127.0.0.12
smtpmany          MX 7 mx7.smtpmany
mx7.smtpmany    A 127.0.0.12
smtpmany          MX 6 mx6.smtpmany
mx6.smtpmany    A 127.0.0.12
smtpmany          MX 5 mx5.smtpmany
mx5.smtpmany    A 127.0.0.12
smtpmany          MX 4 mx4.smtpmany
mx4.smtpmany    A 127.0.0.12
smtpmany          MX 3 mx3.smtpmany
mx3.smtpmany    A 127.0.0.12
smtpmany          MX 2 mx2.smtpmany
mx2.smtpmany    A 127.0.0.12
smtpmany          MX 1 mx1.smtpmany
mx1.smtpmany    A 127.0.0.12
smtpv6            MX 10 mx1.smtpshared.test.
mx1.smtpshared    AAAA ::1
smtpnull          MX 0 .
smtpimplicit      A 127.0.0.12
smtpnoroute       MX 10 mx1.smtpnoroute
mx1.smtpnoroute   A 255.255.255.255
smtpsub           MX 0 .
submit.smtpsub    A 127.0.0.16
badsubmit.smtpsub A 127.0.0.17
$ORIGIN 0.0.127.in-addr.arpa.
2                 PTR mx1.smtpgood.test.
13                PTR somewhere.else.test.
14                PTR relay.smtpptr.test.
`;

const DOMAINS = [
  'smtpgood.test',
  'smtpshared.test',
  'smtpselfsigned.test',
  'smtpexpired.test',
  'smtpwrongname.test',
  'smtpnotls.test',
  'smtpbadtls.test',
  'smtpauth.test',
  'smtp554.test',
  'smtpmulti.test',
  'smtpsilent.test',
  'smtpclosed.test',
  'smtpbanner.test',
  'smtpptr.test',
  'smtplegacy.test',
  'smtpnoehlo.test',
  'smtpnull.test',
  'smtpmany.test',
  'smtpv6.test',
  'smtpimplicit.test',
  'smtpnoroute.test',
];

const EHLO_NAME = 'probe.mailaudit.test';
/** Short, so that the silent server costs little; generous enough for a loaded machine. */
const STEP_MS = 5000;

let dns: TestDnsServer;
let port = 0;
let submissionPorts = { implicitTls: 0, starttls: 0 };
const servers: Record<string, RunningServer> = {};
let maxConcurrentGood = 0;
/** Server names (SNI) the good server saw in TLS handshakes. */
const sniSeen: string[] = [];
let report: Report;
/** What each server received during the main audit (later tests send TLS bytes to plaintext servers). */
const commandsOfMainRun: Record<string, string[]> = {};

const good = keyPair('good');
const tlsOnly = ['STARTTLS'];

async function startServers(): Promise<void> {
  let current = 0;
  servers.good = await startSmtpServer('127.0.0.2', 0, {
    name: 'mx1.smtpgood.test',
    ...good,
    disabledCommands: ['AUTH'],
    onConnect: (_s, cb) => {
      servers.good!.connections++;
      maxConcurrentGood = Math.max(maxConcurrentGood, ++current);
      cb();
    },
    onClose: () => {
      current--;
    },
    onSecure: (socket, _session, cb) => {
      sniSeen.push((socket as unknown as { servername?: string }).servername ?? '');
      cb();
    },
  });
  port = servers.good.port;
  servers.selfsigned = await startSmtpServer('127.0.0.3', port, { name: 'mx1.smtpselfsigned.test', ...keyPair('selfsigned'), disabledCommands: ['AUTH'] });
  servers.expired = await startSmtpServer('127.0.0.4', port, { name: 'mx1.smtpexpired.test', ...keyPair('expired'), disabledCommands: ['AUTH'] });
  servers.wrongname = await startSmtpServer('127.0.0.5', port, { name: 'mx1.smtpwrongname.test', ...keyPair('wrongname'), disabledCommands: ['AUTH'] });
  servers.notls = await startSmtpServer('127.0.0.6', port, { name: 'mx1.smtpnotls.test', hideSTARTTLS: true, disabledCommands: ['AUTH'] });
  servers.badtls = await startRawServer('127.0.0.7', port, {
    greeting: ['220 mx1.smtpbadtls.test ESMTP'],
    replies: { EHLO: '250-mx1.smtpbadtls.test\r\n250-PIPELINING\r\n250 STARTTLS' },
    starttls: 'garbage',
  });
  servers.auth = await startSmtpServer('127.0.0.8', port, { name: 'mx1.smtpauth.test', ...good, authMethods: ['PLAIN', 'LOGIN'] });
  servers.s554 = await startRawServer('127.0.0.9', port, {
    greeting: ['554 mx1.smtp554.test no SMTP service here'],
    replies: {},
  });
  servers.multi = await startRawServer('127.0.0.10', port, {
    greeting: ['220-mx1.smtpmulti.test ESMTP ready', '220-this greeting has', '220 three lines'],
    replies: { EHLO: '250-mx1.smtpmulti.test greets you\r\n250-SIZE 10240000\r\n250 8BITMIME' },
    trickle: true,
  });
  servers.silent = await startRawServer('127.0.0.11', port, {});
  servers.noehlo = await startRawServer('127.0.0.18', port, {
    greeting: ['220 mx1.smtpnoehlo.test ESMTP'],
    replies: { EHLO: '502 5.5.1 EHLO not implemented' },
  });
  // 127.0.0.12: nothing listens (a closed port).
  try {
    servers.v6 = await startSmtpServer('::1', port, { name: 'mx1.smtpshared.test', ...good, disabledCommands: ['AUTH'] });
  } catch {
    // No IPv6 loopback here: the IPv6 test says so.
  }
  servers.banner = await startSmtpServer('127.0.0.13', port, { name: 'gateway.elsewhere.test', ...good, disabledCommands: ['AUTH'] });
  servers.ptr = await startSmtpServer('127.0.0.14', port, { name: 'relay.smtpptr.test', ...good, disabledCommands: ['AUTH'] });
  servers.legacy = await startSmtpServer('127.0.0.15', port, {
    name: 'mx1.smtplegacy.test',
    ...good,
    disabledCommands: ['AUTH'],
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.1',
    ciphers: 'DEFAULT:@SECLEVEL=0',
  } as never);
  // Submission: a good host (implicit TLS with AUTH; STARTTLS with AUTH only over TLS) and a bad one.
  servers.submitImplicit = await startSmtpServer('127.0.0.16', 0, { name: 'submit.smtpsub.test', ...good, secure: true, authMethods: ['PLAIN', 'LOGIN'] });
  submissionPorts = { implicitTls: servers.submitImplicit.port, starttls: 0 };
  servers.submitStarttls = await startRawServer('127.0.0.16', 0, {
    greeting: ['220 submit.smtpsub.test ESMTP'],
    replies: {
      EHLO: '250-submit.smtpsub.test\r\n250-PIPELINING\r\n250 STARTTLS',
      'EHLO+TLS': '250-submit.smtpsub.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN XOAUTH2',
    },
    starttls: good,
  });
  submissionPorts.starttls = servers.submitStarttls.port;
  // badsubmit: nothing on the implicit-TLS port; the STARTTLS port offers AUTH in plaintext, self-signed.
  servers.badSubmit = await startSmtpServer('127.0.0.17', submissionPorts.starttls, {
    name: 'badsubmit.smtpsub.test',
    ...keyPair('selfsigned'),
    authMethods: ['PLAIN', 'LOGIN'],
  });
}

const probeOptions = (): AuditOptions => ({
  dnsServers: [dns.address],
  timeoutMs: 3000,
  tries: 1,
  smtpPort: port,
  smtpTimeoutMs: STEP_MS,
  ehloName: EHLO_NAME,
  caFile: certFile('ca.pem'),
});

test.before(async () => {
  const zone = parseZone(ZONE, { file: 'smtp-probe.zone' });
  dns = await startDnsServer({ records: zone.records });
  await startServers();
  report = await audit(DOMAINS, probeOptions());
  for (const [name, s] of Object.entries(servers)) commandsOfMainRun[name] = [...s.commands];
});

test.after.always(async () => {
  await dns?.close();
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

const domain = (name: string): DomainReport => report.domains.find((d) => d.domain === name)!;
/** Rule ids of a domain's findings, of the areas this file is about (the test zones publish no SPF, DMARC, DKIM …). */
const ids = (name: string) =>
  domain(name)
    .findings.map((f) => f.ruleId)
    .filter((id) => !NOT_HERE.has(id))
    .sort();
const AREAS = new Set(['smtp', 'submission', 'mx', 'dns']);
// Reverse DNS of the MX addresses is the MX collector's (fixtures/mx-reverse-dns); the greeting-vs-PTR check here is the probe's.
const NOT_HERE = new Set([...builtinRules().filter((r) => !AREAS.has(r.category)).map((r) => r.id), 'mx-reverse-dns-mismatch']);
const disableNotHere = [...NOT_HERE].flatMap((id) => ['--disable', id]);
const address = (name: string, i = 0): SmtpAddressFact => domain(name).records.smtp!.addresses[i]!;

test('STARTTLS with a certificate from a trusted CA for the right name: no finding, every fact', (t) => {
  t.deepEqual(ids('smtpgood.test'), []);
  const a = address('smtpgood.test');
  t.is(a.host, 'mx1.smtpgood.test');
  t.is(a.address, '127.0.0.2');
  t.is(a.port, port);
  t.is(a.endpoint, `mx1.smtpgood.test:${port}`);
  t.is(a.outcome, 'tls');
  t.true(Number.isInteger(a.connectMs));
  t.is(a.greeting?.code, 220);
  t.is(a.greetingHost, 'mx1.smtpgood.test');
  t.true(a.greetingHostMatches);
  t.true(a.starttlsOffered);
  t.true(a.ehlo!.includes('STARTTLS'));
  t.false(a.ehloTls!.includes('STARTTLS'), 'EHLO asked again over TLS');
  t.is(a.authBeforeTls, undefined);
  const tls = a.tls!;
  t.is(tls.version, 'TLSv1.3');
  t.false(tls.legacy);
  t.truthy(tls.cipher);
  t.true(tls.trusted);
  t.is(tls.verifyError, undefined);
  t.is(tls.validity, 'valid');
  t.true(tls.nameMatches);
  const leaf = tls.chain[0]!;
  t.is(leaf.keyType, 'rsa');
  t.is(leaf.keyBits, 2048);
  t.true(leaf.subjectAltNames.includes('mx1.smtpgood.test'));
  t.regex(leaf.issuer, /mailaudit test CA/);
  t.is(leaf.notAfter, '2125-01-01T00:00:00.000Z');
  t.is(leaf.fingerprintSha256, new X509Certificate(pem('good.pem')).fingerprint256);
  t.false(leaf.selfSigned);
  t.is(a.verdict, 'STARTTLS, TLS 1.3, certificate valid for mx1.smtpgood.test until 2125-01-01');
  t.true(sniSeen.includes('mx1.smtpgood.test'), `SNI is the MX name (saw ${sniSeen.join(', ')})`);
});

test('a self-signed certificate: untrusted, and STARTTLS still reported as working', (t) => {
  t.deepEqual(ids('smtpselfsigned.test'), ['smtp-tls-cert-untrusted']);
  const a = address('smtpselfsigned.test');
  t.is(a.outcome, 'tls');
  t.false(a.tls!.trusted);
  t.is(a.tls!.trustError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  t.true(a.tls!.nameMatches);
  t.true(a.tls!.chain[0]!.selfSigned);
  t.is(a.tls!.chain[0]!.keyType, 'ec');
  t.is(a.tls!.chain[0]!.keyBits, 256);
});

test('an expired certificate from a trusted CA: expired only, not untrusted', (t) => {
  t.deepEqual(ids('smtpexpired.test'), ['smtp-tls-cert-expired']);
  const a = address('smtpexpired.test');
  t.is(a.outcome, 'tls');
  t.is(a.tls!.validity, 'expired');
  t.true(a.tls!.trusted);
  t.is(a.tls!.verifyError, 'CERT_HAS_EXPIRED');
  const f = domain('smtpexpired.test').findings.find((x) => x.ruleId === 'smtp-tls-cert-expired')!;
  t.is(f.args['tls.notAfter'], '2021-01-01T00:00:00.000Z');
  t.is(f.args.address, '127.0.0.4');
  t.regex(a.verdict, /certificate expired 2021-01-01/);
});

test('a certificate for another name: name mismatch only', (t) => {
  t.deepEqual(ids('smtpwrongname.test'), ['smtp-tls-cert-name-mismatch']);
  const a = address('smtpwrongname.test');
  t.true(a.tls!.trusted);
  t.false(a.tls!.nameMatches);
  t.regex(a.tls!.nameError!, /mail\.elsewhere\.test/);
  const f = domain('smtpwrongname.test').findings.find((x) => x.ruleId === 'smtp-tls-cert-name-mismatch')!;
  t.deepEqual(f.location, { name: `mx1.smtpwrongname.test:${port}`, type: 'SMTP' });
});

test('no STARTTLS', (t) => {
  t.deepEqual(ids('smtpnotls.test'), ['smtp-starttls-missing']);
  const a = address('smtpnotls.test');
  t.is(a.outcome, 'no-starttls');
  t.false(a.starttlsOffered);
  t.is(a.tls, undefined);
});

test('STARTTLS offered but the handshake fails', (t) => {
  t.deepEqual(ids('smtpbadtls.test'), ['smtp-tls-handshake-failed']);
  const a = address('smtpbadtls.test');
  t.is(a.outcome, 'tls-failed');
  t.is(a.failedStep, 'handshake');
  t.truthy(a.error);
});

test('AUTH offered before TLS', (t) => {
  t.deepEqual(ids('smtpauth.test'), ['smtp-auth-before-tls']);
  const a = address('smtpauth.test');
  t.deepEqual(a.authBeforeTls, ['PLAIN', 'LOGIN']);
  t.deepEqual(a.authAfterTls, ['PLAIN', 'LOGIN']);
  t.is(a.outcome, 'tls');
});

test('a 554 greeting: refused (neither broken nor working), the reply recorded, and QUIT said', (t) => {
  t.deepEqual(ids('smtp554.test'), ['smtp-greeting-refused']);
  const a = address('smtp554.test');
  t.is(a.outcome, 'greeting-refused');
  t.is(a.refusal, '554');
  t.is(a.tls, undefined);
  t.deepEqual(a.failedReply, { code: 554, lines: ['mx1.smtp554.test no SMTP service here'] });
  t.deepEqual(servers.s554!.commands, ['QUIT']);
});

test('a multi-line greeting sent one byte at a time is read whole', (t) => {
  const a = address('smtpmulti.test');
  t.deepEqual(a.greeting, { code: 220, lines: ['mx1.smtpmulti.test ESMTP ready', 'this greeting has', 'three lines'] });
  t.deepEqual(a.ehlo, ['SIZE 10240000', '8BITMIME']);
  t.deepEqual(ids('smtpmulti.test'), ['smtp-starttls-missing']);
});

test('a listener that accepts and never speaks: no banner, within the step timeout', (t) => {
  t.deepEqual(ids('smtpsilent.test'), ['smtp-no-banner']);
  const a = address('smtpsilent.test');
  t.is(a.outcome, 'no-banner');
  t.is(a.error, 'ETIMEDOUT');
  t.is(a.greeting, undefined);
});

test('a closed port: unreachable', (t) => {
  t.deepEqual(ids('smtpclosed.test'), ['smtp-unreachable']);
  t.is(address('smtpclosed.test').error, 'ECONNREFUSED');
});

test('the greeting names neither the MX host nor the PTR name', (t) => {
  t.deepEqual(ids('smtpbanner.test'), ['smtp-banner-hostname-mismatch']);
  const a = address('smtpbanner.test');
  t.is(a.greetingHost, 'gateway.elsewhere.test');
  t.deepEqual(a.ptr, ['somewhere.else.test']);
  t.false(a.greetingHostMatches);
});

test('a greeting naming the PTR name is fine', (t) => {
  t.deepEqual(ids('smtpptr.test'), []);
  t.true(address('smtpptr.test').greetingHostMatches);
  t.deepEqual(address('smtpptr.test').ptr, ['relay.smtpptr.test']);
});

test('a server that negotiates TLS 1.1 (OpenSSL at security level 0)', (t) => {
  const a = address('smtplegacy.test');
  t.is(a.outcome, 'tls');
  t.is(a.tls!.version, 'TLSv1.1');
  t.true(a.tls!.legacy);
  t.deepEqual(ids('smtplegacy.test'), ['smtp-tls-legacy-protocol']);
});

test('a null MX: no probe', (t) => {
  t.deepEqual(domain('smtpnull.test').records.smtp, { status: 'none', port, addresses: [] });
  t.deepEqual(ids('smtpnull.test'), ['mx-null']);
});

test('no MX: the domain\'s own address is probed, as senders would', (t) => {
  const a = address('smtpimplicit.test');
  t.true(a.implicit);
  t.is(a.host, 'smtpimplicit.test');
  t.deepEqual(ids('smtpimplicit.test'), ['mx-missing', 'smtp-unreachable']);
});

test('an address this machine has no route to is skipped, not a server fault', (t) => {
  const a = address('smtpnoroute.test');
  if (process.platform !== 'linux') return t.pass('limited broadcast is unroutable on Linux only');
  t.is(a.outcome, 'skipped');
  t.regex(a.error!, /^(ENETUNREACH|EHOSTUNREACH|EADDRNOTAVAIL|EACCES)$/);
  t.deepEqual(ids('smtpnoroute.test'), []);
});

test('one conversation per address and name, reused across domains; never two at once to one address', (t) => {
  // smtpgood.test and smtpshared.test share mx1.smtpgood.test; mx2.smtpgood.test has the same address.
  t.deepEqual(ids('smtpshared.test'), []);
  t.is(domain('smtpshared.test').records.smtp!.addresses.length, 2);
  t.is(servers.good!.connections, 2);
  t.is(maxConcurrentGood, 1);
});

test('the probe only ever sends EHLO, STARTTLS and QUIT', (t) => {
  const all = Object.values(commandsOfMainRun).flat();
  t.true(all.length > 20);
  for (const line of all) t.regex(line, new RegExp(`^(EHLO ${EHLO_NAME.replace(/\./g, '\\.')}|STARTTLS|QUIT)$`), line);
  t.deepEqual(commandsOfMainRun.good!.slice(0, 4), [`EHLO ${EHLO_NAME}`, 'STARTTLS', `EHLO ${EHLO_NAME}`, 'QUIT']);
});

test('every finding renders without placeholders and points at host:port', (t) => {
  for (const d of report.domains) {
    for (const f of d.findings.filter((x) => x.ruleId.startsWith('smtp-'))) {
      t.notRegex(f.message, /\{\{|\}\}/);
      t.regex(f.location.name, new RegExp(`:${port}$`));
    }
  }
});

test('submission: implicit TLS and STARTTLS with AUTH only over TLS is clean; the bad host gets its findings', async (t) => {
  const opts = { ...probeOptions(), smtp: false, submissionPorts };
  const okReport = await audit('smtpsub.test', { ...opts, submission: 'submit.smtpsub.test' });
  const ok = okReport.domains[0]!;
  t.is(ok.records.smtp, undefined, '--no-smtp skips the MX probe');
  t.deepEqual(ok.findings.map((f) => f.ruleId).filter((id) => !NOT_HERE.has(id)), ['mx-null']);
  const [implicit, starttls] = ok.records.submission!.endpoints as SubmissionEndpointFact[];
  t.is(implicit!.mode, 'implicit-tls');
  t.is(implicit!.outcome, 'tls');
  t.deepEqual(implicit!.authAfterTls, ['PLAIN', 'LOGIN']);
  t.is(starttls!.outcome, 'tls');
  t.is(starttls!.authBeforeTls, undefined);
  t.deepEqual(starttls!.authAfterTls, ['PLAIN', 'LOGIN', 'XOAUTH2']);
  t.is(ok.records.submission!.tlsEndpoints, 2);

  const badReport = await audit('smtpsub.test', { ...opts, submission: 'badsubmit.smtpsub.test' });
  const bad = badReport.domains[0]!;
  t.deepEqual(bad.findings.map((f) => f.ruleId).filter((id) => !NOT_HERE.has(id)).sort(), [
    'mx-null',
    'submission-auth-before-tls',
    'submission-port-closed',
    'submission-tls-cert-name-mismatch',
    'submission-tls-cert-untrusted',
  ]);
  for (const line of [...servers.submitImplicit!.commands, ...servers.submitStarttls!.commands, ...servers.badSubmit!.commands]) {
    t.regex(line, /^(EHLO \S+|STARTTLS|QUIT)$/);
  }
});

test('CLI: the text report has one line per address with the verdict and the greeting', async (t) => {
  const r = await runCli([
    'smtpgood.test',
    'smtpselfsigned.test',
    '--dns-server', dns.address,
    '--smtp-port', String(port),
    '--smtp-timeout', String(STEP_MS),
    '--ehlo-name', EHLO_NAME,
    '--ca-file', certFile('ca.pem'),
    ...disableNotHere,
  ]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`SMTP +mx1\\.smtpgood\\.test 127\\.0\\.0\\.2:${port}  STARTTLS, TLS 1\\.3, certificate valid for mx1\\.smtpgood\\.test until 2125-01-01`));
  t.regex(r.stdout, /220 mx1\.smtpgood\.test ESMTP/);
  t.regex(r.stdout, /certificate untrusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  t.regex(r.stdout, /⚠ warning\s+smtp-tls-cert-untrusted/);
});

test('CLI: NODE_EXTRA_CA_CERTS trusts the test CA too; JSON validates against the report schema', async (t) => {
  const r = await runCli(
    ['smtpgood.test', 'smtpbadtls.test', '--dns-server', dns.address, '--smtp-port', String(port), '--smtp-timeout', String(STEP_MS), '--ehlo-name', EHLO_NAME, '--format', 'json', ...disableNotHere],
    { NODE_EXTRA_CA_CERTS: certFile('ca.pem') },
  );
  t.is(r.code, 1, r.stderr);
  const json = JSON.parse(r.stdout);
  const schema = JSON.parse(readFileSync(join('schemas', 'report.schema.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const validate = ajv.compile(schema);
  t.true(validate(json), JSON.stringify(validate.errors?.slice(0, 3)));
  t.true(json.domains[0].records.smtp.addresses[0].tls.trusted);
  t.deepEqual(json.domains[0].findings, []);
  t.deepEqual(json.domains[1].findings.map((f: { ruleId: string }) => f.ruleId), ['smtp-tls-handshake-failed']);
});

test('CLI: bad probe options are exit 2 with one line', async (t) => {
  for (const [args, message] of [
    [['--smtp-port', '70000'], /--smtp-port/],
    [['--smtp-timeout', '0'], /--smtp-timeout/],
    [['--ehlo-name', 'bad name\r\nMAIL FROM:<x>'], /--ehlo-name/],
    [['--ca-file', 'test/certs/no-such.pem'], /cannot read CA file/],
    [['--ca-file', 'package.json'], /no PEM certificate/],
    [['--submission', 'not a host'], /white space/],
  ] as [string[], RegExp][]) {
    const r = await runCli(['smtpgood.test', '--dns-server', dns.address, ...args]);
    t.is(r.code, 2, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1);
    t.regex(r.stderr, message);
  }
});

test('an MX server that refuses EHLO', (t) => {
  t.deepEqual(ids('smtpnoehlo.test'), ['smtp-ehlo-rejected']);
  const a = address('smtpnoehlo.test');
  t.is(a.outcome, 'ehlo-failed');
  t.deepEqual(a.failedReply, { code: 502, lines: ['5.5.1 EHLO not implemented'], enhancedCode: '5.5.1' });
});

test('submission rules against the other shapes (both modes on the shared port)', async (t) => {
  const cases: [string, string[]][] = [
    // Implicit TLS against a server that speaks plaintext first fails the handshake.
    // These MX-shaped servers offer no AUTH: a submission port that cannot authenticate clients is reported.
    ['mx1.smtpexpired.test', ['submission-auth-missing', 'submission-tls-cert-expired', 'submission-tls-handshake-failed']],
    ['mx1.smtpnotls.test', ['submission-starttls-missing', 'submission-tls-handshake-failed']],
    ['mx1.smtp554.test', ['submission-greeting-refused', 'submission-tls-handshake-failed']],
    ['mx1.smtpnoehlo.test', ['submission-ehlo-rejected', 'submission-tls-handshake-failed']],
    ['mx1.smtplegacy.test', ['submission-auth-missing', 'submission-tls-handshake-failed', 'submission-tls-legacy-protocol']],
    ['nothing.smtpsub.test', ['submission-host-no-address']],
  ];
  const reports = await Promise.all(
    cases.map(([host]) => audit('smtpsub.test', { ...probeOptions(), smtp: false, submission: host, submissionPorts: { implicitTls: port, starttls: port } })),
  );
  cases.forEach(([host, expected], i) => {
    const found = reports[i]!.domains[0]!.findings.map((f) => f.ruleId).filter((id) => id.startsWith('submission-'));
    t.deepEqual(found.sort(), expected, host);
  });
});

test('CLI: SARIF with probe findings validates against the SARIF 2.1.0 schema', async (t) => {
  const r = await runCli([
    'smtpselfsigned.test', 'smtpclosed.test', '--format', 'sarif', '--dns-server', dns.address, '--smtp-port', String(port),
    '--smtp-timeout', String(STEP_MS), '--ehlo-name', EHLO_NAME, ...disableNotHere,
  ]);
  t.is(r.code, 1, r.stderr);
  const sarif = JSON.parse(r.stdout);
  const validate = new AjvDraft04({ allErrors: true, strict: false, logger: false }).compile(
    JSON.parse(readFileSync(join('test', 'schemas', 'sarif-schema-2.1.0.json'), 'utf8')),
  );
  t.true(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
  const results = sarif.runs[0].results as { ruleId: string; locations: { logicalLocations: { name: string }[] }[] }[];
  t.deepEqual(results.map((x) => x.ruleId).sort(), ['smtp-tls-cert-untrusted', 'smtp-unreachable']);
  t.true(results.every((x) => x.locations[0]!.logicalLocations[0]!.name.endsWith(`:${port}`)));
});

test('at most 10 MX hosts are probed, in preference order', (t) => {
  const addresses = domain('smtpmany.test').records.smtp!.addresses;
  t.is(addresses.length, 10);
  t.deepEqual(addresses.map((a) => a.preference), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.true(addresses.every((a) => a.outcome === 'unreachable'));
});

test('an IPv6 MX address is probed like any other', (t) => {
  const a = address('smtpv6.test');
  if (!servers.v6) return t.pass('no IPv6 loopback on this machine');
  t.is(a.address, '::1');
  t.is(a.endpoint, `mx1.smtpshared.test:${port}`);
  t.is(a.outcome, 'tls');
  t.deepEqual(ids('smtpv6.test'), []);
});
