/**
 * What the HTML report tests render: a realistic domain (an SPF tree where one provider eats the budget,
 * DKIM keys, a DMARC policy, two MX hosts with STARTTLS), a hostile one (markup in its TXT records, its
 * SMTP banner and its certificate subject), and a fleet of varied domains for the dashboard. DNS and SMTP
 * are real servers on loopback; nothing leaves the machine.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseZone } from '../../src/dns/zonefile.js';
import type { ZoneRecord } from '../../src/dns/types.js';
import { startDnsServer, type TestDnsServer } from './dns-server.js';
import { audit } from '../../src/audit.js';
import type { Report } from '../../src/types.js';
import { certFile, keyPair, startRawServer, startSmtpServer, type RunningServer } from './smtp-servers.js';

export const HOSTILE_CERT = {
  key: readFileSync(join(process.cwd(), 'test', 'certs', 'html', 'hostile.key'), 'utf8'),
  cert: readFileSync(join(process.cwd(), 'test', 'certs', 'html', 'hostile.pem'), 'utf8'),
};

/** Markup the hostile domain publishes; the page must show each as text and never run it. */
export const HOSTILE = {
  txt: "<script>alert('txt')</script>",
  rua: '<img src=x onerror=alert(1)>',
  banner: '<script>alert("banner")</script>',
  /** As node:tls reports the subject: OpenSSL backslash-escapes the special characters. */
  certSubject: "CN=\\<script\\>alert('cert')\\</script\\>",
};

function dkimRecord(bits: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return `v=DKIM1; k=rsa; p=${p}`
    .match(/.{1,250}/g)!
    .map((c) => `"${c}"`)
    .join(' ');
}

function singleZone(): string {
  return `
$ORIGIN shop.test.
$TTL 1h
@        IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )
@        IN MX 10 mx1.smtpgood.test.
@        IN MX 20 mx2.smtpgood.test.
@        IN TXT "v=spf1 include:_spf.bigmail.test include:spf.crm.test include:mailer.news.test ip4:192.0.2.0/24 ~all"
_dmarc   IN TXT "v=DMARC1; p=quarantine; sp=none; rua=mailto:dmarc@shop.test"
google._domainkey    IN TXT ${dkimRecord(2048)}
selector1._domainkey IN TXT ${dkimRecord(1024)}
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@shop.test"

$ORIGIN bigmail.test.
@              IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )
_spf           IN TXT "v=spf1 include:_netblocks.bigmail.test include:_netblocks2.bigmail.test include:_netblocks3.bigmail.test ~all"
_netblocks     IN TXT "v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.0/24 ~all"
_netblocks2    IN TXT "v=spf1 ip6:2001:db8::/32 include:_netblocks4.bigmail.test ~all"
_netblocks3    IN TXT "v=spf1 a:out1.bigmail.test a:out2.bigmail.test ~all"
_netblocks4    IN TXT "v=spf1 ip4:192.0.2.128/25 ~all"
out1           IN A 192.0.2.200
out2           IN A 192.0.2.201

$ORIGIN crm.test.
@        IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )
@        IN MX 10 mx.crm.test.
spf      IN TXT "v=spf1 a:out.crm.test mx:crm.test -all"
out      IN A 192.0.2.50
mx       IN A 192.0.2.51

$ORIGIN news.test.
@        IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )
mailer   IN TXT "v=spf1 ip4:198.18.0.0/15 -all"

$ORIGIN smtpgood.test.
@        IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )
mx1      IN A 127.0.0.31
mx2      IN A 127.0.0.33

$ORIGIN hostile.test.
@        IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )
@        IN MX 10 mx
@        IN TXT "v=spf1 ip4:192.0.2.1 ${HOSTILE.txt} -all"
_dmarc   IN TXT "v=DMARC1; p=none; rua=mailto:${HOSTILE.rua}@hostile.test"
mx       IN A 127.0.0.32
`;
}

export interface SingleFixture {
  dns: TestDnsServer;
  smtpPort: number;
  close(): Promise<void>;
}

/** The DNS and SMTP servers of the one-domain pages (shop.test, hostile.test). */
export async function startSingleFixture(): Promise<SingleFixture> {
  // One zone per origin, as a name server loads them.
  const records = singleZone()
    .split(/(?=^\$ORIGIN)/m)
    .filter((z) => z.includes('$ORIGIN'))
    .flatMap((z, i) => parseZone(z, { file: `html-${i}.zone` }).records);
  const dns = await startDnsServer({ records });
  const servers: RunningServer[] = [];
  const good = keyPair('good');
  servers.push(await startSmtpServer('127.0.0.31', 0, { name: 'mx1.smtpgood.test', ...good, disabledCommands: ['AUTH'] }));
  const port = servers[0]!.port;
  servers.push(await startSmtpServer('127.0.0.33', port, { name: 'mx2.smtpgood.test', ...good, disabledCommands: ['AUTH'] }));
  servers.push(
    await startRawServer('127.0.0.32', port, {
      greeting: [`220 mx.hostile.test ${HOSTILE.banner} ESMTP`],
      replies: { EHLO: `250-mx.hostile.test\r\n250-SIZE 1000\r\n250-X-<b>BOLD</b>\r\n250 STARTTLS`, 'EHLO+TLS': '250-mx.hostile.test\r\n250 SIZE 1000' },
      starttls: HOSTILE_CERT,
    }),
  );
  return {
    dns,
    smtpPort: port,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
      await dns.close();
    },
  };
}

/** Deterministic variety: every DMARC policy, SPF verdict and DKIM state appears in the fleet. */
const DMARC = ['reject', 'reject', 'quarantine', 'none', 'missing', 'reject', 'invalid', 'quarantine', 'none', 'reject'];
const SPF = ['ok', 'ok', 'ok', 'too-many', 'ok', 'missing', 'ok', 'two', 'ok', 'pass-all', 'ok'];

export const fleetDomain = (i: number) => `${['shop', 'mail', 'news', 'corp', 'brand', 'app'][i % 6]}${i}.fleet.test`;

/** Records for `count` fleet domains: zone lines only, so a dashboard needs no SMTP server (run with --no-smtp). */
export function fleetRecords(count: number): ZoneRecord[] {
  const lines = ['$ORIGIN fleet.test.', '$TTL 1h', '@ IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )', 'mx1 IN A 192.0.2.10', 'mx2 IN A 192.0.2.11'];
  // Forward-confirmed reverse DNS of the MX hosts, as real mail hosts have it.
  lines.push('$ORIGIN 2.0.192.in-addr.arpa.', '10 IN PTR mx1.fleet.test.', '11 IN PTR mx2.fleet.test.', '$ORIGIN fleet.test.');
  lines.push('_spf IN TXT "v=spf1 ip4:192.0.2.0/24 include:_spf2.fleet.test ~all"', '_spf2 IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"');
  lines.push('_big IN TXT "v=spf1 include:_b1.fleet.test include:_b2.fleet.test include:_b3.fleet.test include:_b4.fleet.test include:_b5.fleet.test include:_b6.fleet.test ~all"');
  for (let k = 1; k <= 6; k++) lines.push(`_b${k} IN TXT "v=spf1 a:h${k}.fleet.test mx:fleet.test ~all"`, `h${k} IN A 192.0.2.${k}`);
  const key = dkimRecord(2048);
  for (let i = 0; i < count; i++) {
    const d = fleetDomain(i).replace(/\.fleet\.test$/, '');
    lines.push(`${d} IN MX 10 mx1`, `${d} IN MX 20 mx2`);
    const spf = SPF[i % SPF.length];
    if (spf === 'ok') lines.push(`${d} IN TXT "v=spf1 include:_spf.fleet.test -all"`);
    if (spf === 'too-many') lines.push(`${d} IN TXT "v=spf1 include:_big.fleet.test -all"`);
    if (spf === 'two') lines.push(`${d} IN TXT "v=spf1 -all"`, `${d} IN TXT "v=spf1 include:_spf.fleet.test ~all"`);
    if (spf === 'pass-all') lines.push(`${d} IN TXT "v=spf1 +all"`);
    const dmarc = DMARC[i % DMARC.length];
    if (dmarc === 'invalid') lines.push(`_dmarc.${d} IN TXT "v=DMARC1; p=reject"`, `_dmarc.${d} IN TXT "v=DMARC1; p=none"`);
    else if (dmarc !== 'missing') lines.push(`_dmarc.${d} IN TXT "v=DMARC1; p=${dmarc}; rua=mailto:dmarc@${d}.fleet.test"`);
    if (i % 3 !== 2) lines.push(`google._domainkey.${d} IN TXT ${key}`);
    if (i % 4 === 0) lines.push(`_smtp._tls.${d} IN TXT "v=TLSRPTv1; rua=mailto:tls@fleet.test"`);
    if (i % 5 === 0) lines.push(`_mta-sts.${d} IN TXT "v=STSv1; id=2026${i}"`);
  }
  return parseZone(lines.join('\n'), { file: 'fleet.zone' }).records;
}

/** Fleet domains whose answers carry the AD flag (a validating resolver, a signed zone). */
export const fleetSigned = (count: number) => Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 === 0).map(fleetDomain);

/** The audit both HTML tests render: shop.test and hostile.test against the fixture's servers. */
export function auditSingleFixture(fx: SingleFixture): Promise<Report> {
  return audit(['shop.test', 'hostile.test'], {
    dnsServers: [fx.dns.address],
    timeoutMs: 3000,
    tries: 1,
    smtpPort: fx.smtpPort,
    smtpTimeoutMs: 5000,
    caFile: certFile('ca.pem'),
    httpTimeoutMs: 2000,
  });
}
