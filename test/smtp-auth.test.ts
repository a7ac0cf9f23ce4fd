/**
 * AUTH on submission ports (issue 16), read from the EHLO reply over TLS: the probe never sends AUTH.
 * Each server on loopback offers one mechanism set; the submission host is given as an address.
 */
import test from 'ava';
import { audit, type AuditOptions } from '../src/audit.js';
import { parseZone } from '../src/dns/zonefile.js';
import type { SubmissionEndpointFact } from '../src/facts/index.js';
import { builtinRules } from '../src/engine/load.js';
import { renderText } from '../src/report/text.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { keyPair, startRawServer, type RunningServer } from './helpers/smtp-servers.js';

let dns: TestDnsServer;
const servers: Record<string, RunningServer> = {};

const starttlsServer = (address: string, authLine: string | undefined) =>
  startRawServer(address, 0, {
    greeting: ['220 submit.smtpsub.test ESMTP'],
    replies: {
      EHLO: '250-submit.smtpsub.test\r\n250-PIPELINING\r\n250 STARTTLS',
      'EHLO+TLS': `250-submit.smtpsub.test\r\n250-PIPELINING\r\n${authLine ? `250-${authLine}\r\n` : ''}250 8BITMIME`,
    },
    starttls: keyPair('good'),
  });

test.before(async () => {
  dns = await startDnsServer({ records: parseZone('$ORIGIN test.\n$TTL 300\nauthcase MX 0 .\n', { file: 'smtp-auth.zone' }).records });
  servers.weak = await starttlsServer('127.0.4.1', 'AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5');
  servers.none = await starttlsServer('127.0.4.2', undefined);
  servers.modern = await starttlsServer('127.0.4.3', 'AUTH PLAIN OAUTHBEARER XOAUTH2');
  servers.closed = await startRawServer('127.0.4.4', 0, {});
});

test.after.always(async () => {
  await dns?.close();
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

const run = (address: string, port: number) => {
  const options: AuditOptions = {
    dnsServers: [dns.address], timeoutMs: 3000, tries: 1, smtp: false, smtpTimeoutMs: 5000, ehloName: 'probe.mailaudit.test',
    caFile: 'test/certs/smtp/ca.pem', submission: address, submissionPorts: { implicitTls: servers.closed!.port, starttls: port },
  };
  return audit('authcase.test', options);
};
const starttlsEndpoint = (r: Awaited<ReturnType<typeof run>>) => r.domains[0]!.records.submission!.endpoints.find((e) => e.mode === 'starttls') as SubmissionEndpointFact;
const authIds = (r: Awaited<ReturnType<typeof run>>) => r.domains[0]!.findings.map((f) => f.ruleId).filter((id) => id.startsWith('submission-auth'));

test('CRAM-MD5 and DIGEST-MD5 are reported weak', async (t) => {
  const r = await run('127.0.4.1', servers.weak!.port);
  t.deepEqual(authIds(r), ['submission-auth-weak-mechanism']);
  const e = starttlsEndpoint(r);
  t.deepEqual(e.weakAuth, ['CRAM-MD5', 'DIGEST-MD5']);
  t.regex(r.domains[0]!.findings.find((f) => f.ruleId === 'submission-auth-weak-mechanism')!.message, /offers CRAM-MD5, DIGEST-MD5: DIGEST-MD5 is Historic/);
  t.true(servers.weak!.commands.every((c) => /^(EHLO \S+|STARTTLS|QUIT)$/.test(c)), 'never AUTH');
});

test('a submission port with no AUTH after TLS is reported; the text says "none offered"', async (t) => {
  const r = await run('127.0.4.2', servers.none!.port);
  t.deepEqual(authIds(r), ['submission-auth-missing']);
  t.true(starttlsEndpoint(r).noAuthAfterTls);
  t.regex(renderText(r, { color: false, rules: builtinRules() }), /AUTH over TLS: none offered/);
});

test('OAUTHBEARER and XOAUTH2 are shown in the facts and the text, and are no finding', async (t) => {
  const r = await run('127.0.4.3', servers.modern!.port);
  t.deepEqual(authIds(r), []);
  const e = starttlsEndpoint(r);
  t.deepEqual(e.tokenAuth, ['OAUTHBEARER', 'XOAUTH2']);
  t.is(e.weakAuth, undefined);
  t.is(e.noAuthAfterTls, undefined);
  t.regex(renderText(r, { color: false, rules: builtinRules() }), /AUTH over TLS: PLAIN OAUTHBEARER XOAUTH2/);
});
