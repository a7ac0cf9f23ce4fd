import test from 'ava';
import { authenticated } from '../src/collect/dnssec.js';
import { rawQuery } from '../src/dns/raw.js';
import { parseZone } from '../src/dns/zonefile.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';

const ZONE = `$ORIGIN raw.test.
$TTL 1h
@          IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )
           IN NS  ns1
           IN MX  10 mx1
mx1        IN A   127.0.0.25
ns1        IN A   127.0.0.53
_25._tcp.mx1 IN TLSA 3 1 1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
big        IN TXT "${'x'.repeat(250)}" "${'y'.repeat(250)}" "${'z'.repeat(250)}"
`;

let signed: TestDnsServer;
let plain: TestDnsServer;
test.before(async () => {
  const records = parseZone(ZONE, { file: 'raw.zone' }).records;
  signed = await startDnsServer({
    records,
    authenticatedZones: ['raw.test'],
    behaviours: { 'big.raw.test': 'truncate-udp', 'silent.raw.test': 'timeout', 'broken.raw.test': 'servfail' },
  });
  plain = await startDnsServer({ records });
});
test.after.always(async () => {
  await Promise.all([signed?.close(), plain?.close()]);
});

const q = (server: TestDnsServer, name: string, type: string, extra = {}) =>
  rawQuery({ server: server.address, name, type, timeoutMs: 2000, tries: 1, dnssecOk: true, ...extra });

test('the AD flag: set by a server that authenticates the zone, not by one that does not', async (t) => {
  const a = await q(signed, 'raw.test', 'MX');
  t.like(a, { rcode: 'NOERROR', ad: true, tc: false });
  t.deepEqual(a.answers.map((r) => r.data), [{ preference: 10, exchange: 'mx1.raw.test' }]);
  t.like(await q(plain, 'raw.test', 'MX'), { rcode: 'NOERROR', ad: false });
  t.like(await q(signed, 'nothing.raw.test', 'A'), { rcode: 'NXDOMAIN', ad: true });
});

test('TLSA records come back decoded', async (t) => {
  const a = await q(plain, '_25._tcp.mx1.raw.test', 'TLSA');
  const data = a.answers[0]?.data as { usage: number; selector: number; matchingType: number; certificate: Buffer };
  t.is(data.usage, 3);
  t.is(data.matchingType, 1);
  t.is(data.certificate.toString('hex'), '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
});

test('a truncated UDP answer is asked again over TCP', async (t) => {
  const before = signed.queries.filter((x) => x.name === 'big.raw.test' && x.transport === 'tcp').length;
  const a = await q(signed, 'big.raw.test', 'TXT');
  t.true(a.tc, 'tc says the UDP answer was truncated; the answer given is the TCP one');
  t.is(a.answers.length, 1);
  t.is(signed.queries.filter((x) => x.name === 'big.raw.test' && x.transport === 'tcp').length - before, 1);
});

test('no answer within the timeout rejects with ETIMEOUT; SERVFAIL is an answer', async (t) => {
  t.timeout(10_000);
  await t.throwsAsync(q(signed, 'silent.raw.test', 'A', { timeoutMs: 200, tries: 2 }), { code: 'ETIMEOUT' } as never);
  t.like(await q(signed, 'broken.raw.test', 'A'), { rcode: 'SERVFAIL' });
});

test('the DNSSEC check falls through to the next resolver and reports failures as undetermined', async (t) => {
  t.timeout(10_000);
  const settings = { servers: [signed.address], timeoutMs: 200, tries: 1 };
  t.deepEqual(await authenticated(settings, 'raw.test', 'MX'), { name: 'raw.test', type: 'MX', rcode: 'NOERROR', authenticated: true });
  t.deepEqual(await authenticated(settings, 'broken.raw.test', 'A'), { name: 'broken.raw.test', type: 'A', error: 'ESERVFAIL' });
  t.deepEqual(await authenticated(settings, 'silent.raw.test', 'A'), { name: 'silent.raw.test', type: 'A', error: 'ETIMEOUT' });
  const both = { ...settings, servers: [signed.address, plain.address] };
  t.deepEqual(
    await authenticated(both, 'broken.raw.test', 'A'),
    { name: 'broken.raw.test', type: 'A', rcode: 'NXDOMAIN', authenticated: false },
    'SERVFAIL from the first resolver: the second one answers',
  );
});
