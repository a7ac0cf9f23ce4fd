/**
 * Certificates and cipher suites the probe judges (issue 16): a certificate that expires tomorrow
 * (made at test time by test/helpers/expiring-cert.ts) on an MX host, a submission port and the
 * MTA-STS policy host; a 1024-bit RSA key signed with SHA-1 (test/certs/weak.pem); a server that
 * prefers a suite without forward secrecy. Servers on loopback, found through a test DNS server.
 *
 * Not testable here: 3DES and RC4 suites. Node's OpenSSL 3 has neither in its default provider, so a
 * loopback server cannot offer them and the probe cannot negotiate them (a server that offers only
 * those fails the handshake: smtp-tls-handshake-failed).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { audit, type AuditOptions } from '../src/audit.js';
import { parseZone } from '../src/dns/zonefile.js';
import type { Report } from '../src/types.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { makeExpiringCert, type ExpiringCert } from './helpers/expiring-cert.js';
import { keyPair, pem, startSmtpServer, type RunningServer } from './helpers/smtp-servers.js';

const ZONE = `
$ORIGIN test.
$TTL 300
expiring            MX 10 mx1.expiring
mx1.expiring        A 127.0.3.1
submit.expiring     A 127.0.3.1
_mta-sts.expiring   TXT "v=STSv1; id=20261201"
mta-sts.expiring    A 127.0.3.1
weak                MX 10 mx1.smtpweak
mx1.smtpweak        A 127.0.3.2
submit.smtpweak     A 127.0.3.2
nofs                MX 10 mx1.smtpgood
mx1.smtpgood        A 127.0.3.3
good                MX 0 .
`;

const INTERESTING = /^(smtp|submission)-tls-|^mta-sts-policy-cert-expiring$/;
const weakPair = { key: readFileSync('test/certs/weak.key', 'utf8'), cert: readFileSync('test/certs/weak.pem', 'utf8') };
const LEGACY_OK = { ciphers: 'DEFAULT:@SECLEVEL=0' };

let dns: TestDnsServer;
let expiring: ExpiringCert;
let caFile: string;
const servers: RunningServer[] = [];
let httpsServer: https.Server;
let httpsPort = 0;
let port = 0;
/** Per address: [STARTTLS port, implicit TLS port]. */
const submission: Record<string, { implicitTls: number; starttls: number }> = {};
let mxReport: Report;

async function pairOn(address: string, tlsOptions: object, mxPort: number): Promise<void> {
  const starttls = await startSmtpServer(address, mxPort, { name: 'mx', ...tlsOptions, disabledCommands: ['AUTH'] } as never);
  const implicit = await startSmtpServer(address, 0, { name: 'mx', ...tlsOptions, secure: true, authMethods: ['PLAIN'] } as never);
  servers.push(starttls, implicit);
  submission[address] = { implicitTls: implicit.port, starttls: starttls.port };
}

const base = (): AuditOptions => ({ dnsServers: [dns.address], timeoutMs: 3000, tries: 1, smtpPort: port, smtpTimeoutMs: 5000, ehloName: 'probe.mailaudit.test', caFile, httpsPort });

test.before(async () => {
  expiring = makeExpiringCert(['mx1.expiring.test', 'submit.expiring.test', 'mta-sts.expiring.test']);
  caFile = join(expiring.dir, 'trusted.pem');
  writeFileSync(caFile, [expiring.caPem, pem('ca.pem'), readFileSync('test/certs/ca.pem', 'utf8')].join('\n'));
  dns = await startDnsServer({ records: parseZone(ZONE, { file: 'smtp-certs.zone' }).records });
  const first = await startSmtpServer('127.0.3.1', 0, { name: 'mx1.expiring.test', key: expiring.key, cert: expiring.cert, disabledCommands: ['AUTH'] });
  port = first.port;
  const implicit = await startSmtpServer('127.0.3.1', 0, { name: 'submit.expiring.test', key: expiring.key, cert: expiring.cert, secure: true, authMethods: ['PLAIN'] });
  servers.push(first, implicit);
  submission['127.0.3.1'] = { implicitTls: implicit.port, starttls: first.port };
  await pairOn('127.0.3.2', { ...weakPair, ...LEGACY_OK }, port);
  await pairOn('127.0.3.3', { ...keyPair('good'), ciphers: 'AES128-SHA:@SECLEVEL=0', maxVersion: 'TLSv1.2', honorCipherOrder: true }, port);
  httpsServer = https.createServer({ key: expiring.key, cert: expiring.cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('version: STSv1\r\nmode: enforce\r\nmx: mx1.expiring.test\r\nmax_age: 86400\r\n');
  });
  httpsServer.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.3.1', resolve));
  httpsPort = (httpsServer.address() as net.AddressInfo).port;
  mxReport = await audit(['expiring.test', 'weak.test', 'nofs.test'], base());
});

test.after.always(async () => {
  await dns?.close();
  await Promise.all(servers.map((s) => s.close()));
  await new Promise((resolve) => httpsServer?.close(resolve));
});

const ids = (r: Report, name: string) => r.domains.find((d) => d.domain === name)!.findings.map((f) => f.ruleId).filter((id) => INTERESTING.test(id)).sort();
const tlsOf = (r: Report, name: string) => r.domains.find((d) => d.domain === name)!.records.smtp!.addresses[0]!.tls!;

test('a certificate that expires tomorrow: a warning for the MX host and the MTA-STS policy host, with the days left', (t) => {
  t.deepEqual(ids(mxReport, 'expiring.test'), ['mta-sts-policy-cert-expiring', 'smtp-tls-cert-expiring']);
  const tls = tlsOf(mxReport, 'expiring.test');
  t.is(tls.validity, 'valid');
  t.true(tls.trusted);
  t.true(tls.expiresSoon);
  t.is(tls.daysLeft, 0);
  const d = mxReport.domains.find((x) => x.domain === 'expiring.test')!;
  t.regex(d.records.smtp!.addresses[0]!.verdict, /\(expires in 0 days\)$/);
  const f = d.findings.find((x) => x.ruleId === 'mta-sts-policy-cert-expiring')!;
  t.regex(f.message, /mta-sts\.expiring\.test, which serves the MTA-STS policy of expiring\.test, expires on .*, in 0 days/);
  t.is(d.records.mtaSts!.policy!.fetch.certDaysLeft, 0);
});

test('--cert-expiry-days 0 turns the warning off; long-lived certificates never get it', async (t) => {
  const r = await audit('expiring.test', { ...base(), certExpiryDays: 0 });
  t.deepEqual(ids(r, 'expiring.test'), []);
  t.false(tlsOf(r, 'expiring.test').expiresSoon);
  t.false(tlsOf(mxReport, 'nofs.test').expiresSoon);
  t.true(tlsOf(mxReport, 'nofs.test').daysLeft! > 30_000);
});

test('an RSA 1024 key signed with SHA-1: weak key and SHA-1 signature, named in the facts', (t) => {
  t.deepEqual(ids(mxReport, 'weak.test'), ['smtp-tls-sha1-signature', 'smtp-tls-weak-key']);
  const tls = tlsOf(mxReport, 'weak.test');
  t.deepEqual(tls.weakKeys, ['CN=mx1.smtpweak.test (RSA 1024)']);
  t.deepEqual(tls.sha1Signatures, ['CN=mx1.smtpweak.test (sha1WithRSAEncryption)']);
  t.is(tls.chain[0]!.signatureAlgorithm, 'sha1WithRSAEncryption');
});

test('a server that prefers a suite without forward secrecy; TLS 1.3 has it always', (t) => {
  t.deepEqual(ids(mxReport, 'nofs.test'), ['smtp-tls-no-forward-secrecy']);
  const tls = tlsOf(mxReport, 'nofs.test');
  t.is(tls.version, 'TLSv1.2');
  t.is(tls.cipher, 'TLS_RSA_WITH_AES_128_CBC_SHA');
  t.false(tls.forwardSecrecy);
  t.is(tls.keyExchange, undefined);
  const good = tlsOf(mxReport, 'expiring.test');
  t.is(good.version, 'TLSv1.3');
  t.true(good.forwardSecrecy);
  // Node reports no ephemeral key details on the client side of TLS 1.3: keyExchange is for TLS 1.2 and older.
  const f = mxReport.domains.find((d) => d.domain === 'nofs.test')!.findings.find((x) => x.ruleId === 'smtp-tls-no-forward-secrecy')!;
  t.regex(f.message, /negotiated TLS_RSA_WITH_AES_128_CBC_SHA over TLSv1\.2/);
});

test('submission ports: the same certificate and cipher rules', async (t) => {
  const cases: [string, string, string[]][] = [
    ['submit.expiring.test', '127.0.3.1', ['submission-tls-cert-expiring', 'submission-tls-cert-expiring']],
    ['submit.smtpweak.test', '127.0.3.2', ['submission-tls-sha1-signature', 'submission-tls-sha1-signature', 'submission-tls-weak-key', 'submission-tls-weak-key']],
    ['mx1.smtpgood.test', '127.0.3.3', ['submission-tls-no-forward-secrecy', 'submission-tls-no-forward-secrecy']],
  ];
  for (const [host, address, expected] of cases) {
    const r = await audit('good.test', { ...base(), smtp: false, submission: host, submissionPorts: submission[address]! });
    t.deepEqual(ids(r, 'good.test'), expected, host);
  }
});
