import dgram from 'node:dgram';
import test from 'ava';
import dnsPacket from 'dns-packet';
import { LiveDnsSource } from '../src/dns/live.js';
import { characterStrings, rawQuery, RawDnsError, splitServer } from '../src/dns/raw.js';
import type { ZoneRecord } from '../src/dns/types.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';

const origin = { file: 'raw.test.zone', line: 1 };
const rec = <T extends ZoneRecord['type']>(name: string, type: T, data: ZoneRecord<T>['data']): ZoneRecord =>
  ({ name, type, ttl: 60, data, origin }) as ZoneRecord;

const long = Array.from({ length: 12 }, (_, i) => `token-${i}-${'x'.repeat(60)}`);
const RECORDS: ZoneRecord[] = [
  rec('raw.test', 'SOA', { mname: 'ns1.raw.test', rname: 'hostmaster.raw.test', serial: 1, refresh: 7200, retry: 3600, expire: 604800, minimum: 3600 }),
  rec('raw.test', 'SPF', ['v=spf1 ', 'mx -all']),
  rec('raw.test', 'TXT', ['v=spf1 mx -all']),
  rec('big.raw.test', 'TXT', long),
  rec('tc.raw.test', 'SPF', ['v=spf1 -all']),
  rec('signed.raw.test', 'A', '192.0.2.1'),
];

let server: TestDnsServer;
test.before(async () => {
  server = await startDnsServer({
    records: RECORDS,
    behaviours: { 'slow.raw.test': 'timeout', 'tc.raw.test': 'truncate-udp', 'fail.raw.test': 'servfail' },
    authenticatedZones: ['signed.raw.test'],
  });
});
test.after.always(async () => {
  await server?.close();
});

const q = (name: string, type: string, extra: Partial<Parameters<typeof rawQuery>[0]> = {}) =>
  rawQuery({ server: server.address, name, type, timeoutMs: 2000, tries: 1, ...extra });

test('servers: ip, ip:port, [ip6]:port', (t) => {
  t.deepEqual(splitServer('192.0.2.53'), { host: '192.0.2.53', port: 53 });
  t.deepEqual(splitServer('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
  t.deepEqual(splitServer('[::1]:5353'), { host: '::1', port: 5353 });
  t.deepEqual(splitServer('2001:db8::53'), { host: '2001:db8::53', port: 53 });
});

test('type SPF (99): rdata comes back as character-strings', async (t) => {
  const res = await q('raw.test', 'SPF');
  t.is(res.rcode, 'NOERROR');
  t.false(res.tc);
  t.is(res.answers.length, 1);
  t.deepEqual(characterStrings(res.answers[0]!.data as Buffer), ['v=spf1 ', 'mx -all']);
});

test('NXDOMAIN and NODATA', async (t) => {
  t.is((await q('nothing.raw.test', 'SPF')).rcode, 'NXDOMAIN');
  const nodata = await q('big.raw.test', 'SPF');
  t.is(nodata.rcode, 'NOERROR');
  t.deepEqual(nodata.answers, []);
  t.is((await q('fail.raw.test', 'SPF')).rcode, 'SERVFAIL');
});

test('a truncated UDP answer is asked again over TCP', async (t) => {
  const res = await q('tc.raw.test', 'SPF');
  t.true(res.tc);
  t.is(res.answers.length, 1);
  t.true(server.queries.some((x) => x.name === 'tc.raw.test' && x.transport === 'tcp'));
});

test('a large answer fits the EDNS payload, or comes over TCP', async (t) => {
  const res = await q('big.raw.test', 'TXT');
  t.is(res.answers.length, 1);
  t.is((res.answers[0]!.data as Buffer[]).length, long.length);
});

test('no answer: ETIMEOUT after the given tries', async (t) => {
  const before = server.countQueries('slow.raw.test');
  const err = await t.throwsAsync(q('slow.raw.test', 'SPF', { timeoutMs: 150, tries: 2 }));
  t.true(err instanceof RawDnsError);
  t.is((err as RawDnsError).code, 'ETIMEOUT');
  t.is(server.countQueries('slow.raw.test') - before, 2);
});

test('the DO bit is sent on request and the AD flag read back', async (t) => {
  const res = await q('signed.raw.test', 'A', { dnssecOk: true });
  t.true(res.ad);
  t.false((await q('raw.test', 'TXT')).ad);
});

/** A UDP server that answers every query with the given wrong answers first, then the right one. */
async function trickyServer(
  wrong: (query: dnsPacket.DecodedPacket) => Buffer[],
): Promise<{ address: string; close: () => void; received: dnsPacket.DecodedPacket[] }> {
  const socket = dgram.createSocket('udp4');
  const received: dnsPacket.DecodedPacket[] = [];
  socket.on('message', (msg, rinfo) => {
    const query = dnsPacket.decode(msg);
    received.push(query);
    const right = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED,
      questions: query.questions,
      answers: [{ name: query.questions[0]!.name, type: 'A', ttl: 1, data: '192.0.2.77' }],
    });
    for (const b of [...wrong(query), right]) socket.send(b, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${socket.address().port}`, close: () => socket.close(), received };
}

test('answers with another id, another question or over the size cap are ignored', async (t) => {
  const tricky = await trickyServer((query) => [
    dnsPacket.encode({ id: (query.id + 1) % 65536, type: 'response', questions: query.questions, answers: [{ name: query.questions[0]!.name, type: 'A', data: '198.51.100.1' }] }),
    dnsPacket.encode({ id: query.id, type: 'response', questions: [{ name: 'other.example', type: 'A' }], answers: [{ name: 'other.example', type: 'A', data: '198.51.100.2' }] }),
    Buffer.from('not dns'),
  ]);
  try {
    const res = await rawQuery({ server: tricky.address, name: 'x.example', type: 'A', timeoutMs: 2000, tries: 1 });
    t.deepEqual(res.answers.map((a) => a.data), ['192.0.2.77']);
    const capped = rawQuery({ server: tricky.address, name: 'x.example', type: 'A', timeoutMs: 200, tries: 1, maxBytes: 20 });
    t.is(((await t.throwsAsync(capped)) as RawDnsError).code, 'ETIMEOUT');
    await rawQuery({ server: tricky.address, name: 'x.example', type: 'A', timeoutMs: 2000, tries: 1, dnssecOk: true });
    const doBit = (p: dnsPacket.DecodedPacket) => p.additionals.some((a) => a.type === 'OPT' && ((a.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0);
    t.deepEqual(tricky.received.map(doBit), [false, false, true]);
  } finally {
    tricky.close();
  }
});

test('LiveDnsSource asks SPF through the raw client, trying the next server when one fails', async (t) => {
  const dead = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve));
  const deadAddress = `127.0.0.1:${dead.address().port}`;
  try {
    const live = new LiveDnsSource({ servers: [deadAddress, server.address], timeoutMs: 200, tries: 1 });
    t.like(await live.resolve('raw.test', 'SPF'), { status: 'ok', records: [['v=spf1 ', 'mx -all']] });
    t.like(await live.resolve('nothing.raw.test', 'SPF'), { status: 'nxdomain' });
    t.like(await live.resolve('fail.raw.test', 'SPF'), { status: 'error', error: 'ESERVFAIL' });
    const alone = new LiveDnsSource({ servers: [deadAddress], timeoutMs: 150, tries: 1 });
    t.like(await alone.resolve('raw.test', 'SPF'), { status: 'error', error: 'ETIMEOUT' });
  } finally {
    dead.close();
  }
});
