import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import dnsPacket from 'dns-packet';
import type { RecordDataByType, RRType, ZoneRecord } from '../src/dns/types.js';
import { startDnsServer, startDnsServerProcess, type TestDnsServer } from './helpers/dns-server.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

function rec<T extends RRType>(name: string, type: T, data: RecordDataByType[T], ttl = 300): ZoneRecord<T> {
  return { name, type, ttl, data, origin: { file: 'test.zone', line: 1 } };
}

const SOA: RecordDataByType['SOA'] = {
  mname: 'ns1.example.com',
  rname: 'hostmaster.example.com',
  serial: 2024010101,
  refresh: 3600,
  retry: 600,
  expire: 604800,
  minimum: 120,
};
const BIG_CHUNKS = Array.from({ length: 12 }, (_, i) => String.fromCharCode(97 + i).repeat(250)); // 3000 bytes
const TLSA_HEX = 'ab'.repeat(32);

const ZONE: ZoneRecord[] = [
  rec('example.com', 'SOA', SOA, 3600),
  rec('example.com', 'NS', 'ns1.example.com'),
  rec('example.com', 'A', '192.0.2.1'),
  rec('example.com', 'AAAA', '2001:db8::1'),
  rec('example.com', 'MX', { preference: 10, exchange: 'mx1.example.com' }),
  rec('example.com', 'MX', { preference: 20, exchange: 'mx2.example.com' }),
  rec('example.com', 'TXT', ['v=spf1 ip4:192.0.2.0/24 ', 'include:_spf.example.net ~all']),
  rec('example.com', 'TXT', ['google-site-verification=abc']),
  rec('example.com', 'CAA', { flags: 0, tag: 'issue', value: 'letsencrypt.org' }),
  rec('example.com', 'SPF', ['v=spf1 ', '-all']),
  rec('mx1.example.com', 'A', '192.0.2.25'),
  rec('_25._tcp.mx1.example.com', 'TLSA', { usage: 3, selector: 1, matchingType: 1, data: TLSA_HEX }),
  rec('_imaps._tcp.example.com', 'SRV', { priority: 0, weight: 1, port: 993, target: 'mail.example.com' }),
  rec('nullmx.example.com', 'MX', { preference: 0, exchange: '' }),
  rec('utf8.example.com', 'TXT', ['héllo ✓']),
  rec('big.example.com', 'TXT', BIG_CHUNKS),
  rec('big-edns.example.com', 'TXT', BIG_CHUNKS),
  rec('www.example.com', 'CNAME', 'web.example.com'),
  rec('web.example.com', 'CNAME', 'host.example.com'),
  rec('host.example.com', 'A', '192.0.2.10'),
  rec('loop1.example.com', 'CNAME', 'loop2.example.com'),
  rec('loop2.example.com', 'CNAME', 'loop1.example.com'),
  rec('dangling.example.com', 'CNAME', 'missing.example.com'),
  rec('sel1._domainkey.example.com', 'TXT', ['v=DKIM1; k=rsa; p=MIIB']),
  rec('*.wild.example.com', 'A', '192.0.2.99'),
  rec('*.wild.example.com', 'TXT', ['from the wildcard']),
  rec('sub.wild.example.com', 'TXT', ['explicit']),
  rec('tc.example.com', 'A', '192.0.2.77'),
  rec('secure.example.com', 'A', '192.0.2.50'),
  rec('2.0.192.in-addr.arpa', 'SOA', { ...SOA, mname: 'ns1.example.com' }),
  rec('1.2.0.192.in-addr.arpa', 'PTR', 'example.com'),
];

let server: TestDnsServer;

test.before(async () => {
  server = await startDnsServer({
    records: ZONE,
    behaviours: {
      'servfail.example.com': 'servfail',
      'refused.example.com': 'refused',
      'timeout.example.com': 'timeout',
      '*.slow.example.com': 'timeout',
      'tc.example.com': 'truncate-udp',
    },
    authenticatedZones: ['secure.example.com'],
  });
});

test.after.always(async () => {
  await server?.close();
});

function resolverFor(address: string, timeout = 1000): Resolver {
  const resolver = new Resolver({ timeout, tries: 1 });
  resolver.setServers([address]);
  return resolver;
}

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

// ---------------------------------------------------------------------------------------------
// Raw queries, to look at what node:dns does not expose (flags, authority section, owner names)

interface RawQuery {
  name: string;
  type: string;
  flags?: number;
  /** Add an OPT record advertising this UDP payload size. */
  edns?: number;
  id?: number;
}

function queryPacket(q: RawQuery): Buffer {
  return dnsPacket.encode({
    id: q.id ?? Math.floor(Math.random() * 65536),
    type: 'query',
    flags: q.flags ?? dnsPacket.RECURSION_DESIRED,
    questions: [{ name: q.name, type: q.type, class: 'IN' }],
    additionals: q.edns ? [{ name: '.', type: 'OPT', udpPayloadSize: q.edns, flags: 0 }] : [],
  });
}

function udpExchange(s: { host: string; port: number }, msg: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('udp timeout'));
    }, timeoutMs);
    sock.on('message', (reply) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    });
    sock.send(msg, s.port, s.host);
  });
}

async function udpQuery(s: { host: string; port: number }, q: RawQuery): Promise<dnsPacket.DecodedPacket> {
  return dnsPacket.decode(await udpExchange(s, queryPacket(q)));
}

/** Send framed messages over one TCP connection (written as `chunks`) and collect `expect` replies. */
function tcpExchange(
  s: { host: string; port: number },
  chunks: Buffer[],
  expect: number,
  timeoutMs = 3000,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const sock = net.connect(s.port, s.host);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`tcp timeout after ${replies.length} replies`));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        replies.push(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
      }
      if (replies.length >= expect) {
        clearTimeout(timer);
        sock.destroy();
        resolve(replies);
      }
    });
    sock.on('connect', async () => {
      for (const chunk of chunks) {
        sock.write(chunk);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}

function framed(msg: Buffer): Buffer {
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Answers through node:dns

test('A and AAAA', async (t) => {
  const r = resolverFor(server.address);
  t.deepEqual(await r.resolve4('example.com'), ['192.0.2.1']);
  t.deepEqual(await r.resolve6('example.com'), ['2001:db8::1']);
  t.regex(server.address, /^127\.0\.0\.1:\d+$/);
  t.is(server.address, `${server.host}:${server.port}`);
});

test('MX, including the null MX', async (t) => {
  const r = resolverFor(server.address);
  const mx = await r.resolveMx('example.com');
  // Node 24 adds `type: 'MX'` to each entry (not in @types/node).
  t.deepEqual(
    mx.sort((a, b) => a.priority - b.priority),
    [
      { exchange: 'mx1.example.com', priority: 10, type: 'MX' },
      { exchange: 'mx2.example.com', priority: 20, type: 'MX' },
    ] as unknown,
  );
  // "." comes back from c-ares as the empty string.
  t.deepEqual(await r.resolveMx('nullmx.example.com'), [{ exchange: '', priority: 0, type: 'MX' }] as unknown);
});

test('TXT keeps its character-strings as separate chunks; UTF-8 bytes come back as latin1', async (t) => {
  const r = resolverFor(server.address);
  const txt = await r.resolveTxt('example.com');
  t.deepEqual(
    txt.sort((a, b) => a[0].localeCompare(b[0])),
    [['google-site-verification=abc'], ['v=spf1 ip4:192.0.2.0/24 ', 'include:_spf.example.net ~all']],
  );
  // node:dns hands TXT strings back one character per byte (latin1), not decoded as UTF-8:
  // the bytes on the wire are UTF-8, and re-decoding recovers the text.
  const [[utf8]] = await r.resolveTxt('utf8.example.com');
  t.is(utf8, Buffer.from('héllo ✓', 'utf8').toString('latin1'));
  t.is(Buffer.from(utf8, 'latin1').toString('utf8'), 'héllo ✓');
});

test('a 3000-byte TXT record does not fit UDP: TC, then the resolver retries over TCP', async (t) => {
  const r = resolverFor(server.address);
  const txt = await r.resolveTxt('big.example.com');
  t.deepEqual(txt, [BIG_CHUNKS]);
  const log = server.queries.filter((q) => q.name === 'big.example.com').map((q) => `${q.type}/${q.transport}`);
  t.deepEqual(log, ['TXT/udp', 'TXT/tcp']);

  // What the server sent over UDP: TC, no records.
  const raw = await udpQuery(server, { name: 'big.example.com', type: 'TXT' });
  t.true(raw.flag_tc);
  t.is(raw.answers.length, 0);
  t.is(raw.rcode, 'NOERROR');
});

test('the EDNS payload size the client advertises is honoured and OPT is echoed', async (t) => {
  const large = await udpQuery(server, { name: 'big-edns.example.com', type: 'TXT', edns: 4096 });
  t.false(large.flag_tc);
  t.is(large.answers.length, 1);
  t.deepEqual(
    (large.answers[0].data as Buffer[]).map((b) => b.toString()),
    BIG_CHUNKS,
  );
  const opt = large.additionals.find((a) => a.type === 'OPT');
  t.truthy(opt);

  const small = await udpQuery(server, { name: 'big-edns.example.com', type: 'TXT', edns: 1232 });
  t.true(small.flag_tc);
  t.is(small.answers.length, 0);
});

test("behaviour 'truncate-udp': TC over UDP, the full answer over TCP", async (t) => {
  const r = resolverFor(server.address);
  t.deepEqual(await r.resolve4('tc.example.com'), ['192.0.2.77']);
  t.is(server.countQueries('tc.example.com', 'A'), server.queries.filter((q) => q.name === 'tc.example.com').length);
  t.true(server.queries.some((q) => q.name === 'tc.example.com' && q.transport === 'udp'));
  t.true(server.queries.some((q) => q.name === 'tc.example.com' && q.transport === 'tcp'));
});

test('other types: NS, SOA, CAA, TLSA, SRV, PTR, ANY', async (t) => {
  const r = resolverFor(server.address);
  t.deepEqual(await r.resolveNs('example.com'), ['ns1.example.com']);
  const soa = await r.resolveSoa('example.com');
  t.like(soa, { nsname: 'ns1.example.com', hostmaster: 'hostmaster.example.com', serial: 2024010101, minttl: 120 });
  t.deepEqual(await r.resolveCaa('example.com'), [{ critical: 0, issue: 'letsencrypt.org', type: 'CAA' }] as unknown);
  const tlsa = await r.resolveTlsa('_25._tcp.mx1.example.com');
  t.is(tlsa.length, 1);
  t.like(tlsa[0], { certUsage: 3, selector: 1, match: 1 });
  t.is(Buffer.from(tlsa[0].data).toString('hex'), TLSA_HEX);
  t.deepEqual(await r.resolveSrv('_imaps._tcp.example.com'), [
    { name: 'mail.example.com', port: 993, priority: 0, weight: 1, type: 'SRV' },
  ] as unknown);
  t.deepEqual(await r.reverse('192.0.2.1'), ['example.com']);
  const any = await r.resolveAny('example.com');
  t.true(any.some((a) => a.type === 'A'));
  t.true(any.some((a) => a.type === 'MX'));
});

test('SPF (type 99) is encoded like TXT', async (t) => {
  const raw = await udpQuery(server, { name: 'example.com', type: 'SPF' });
  t.is(raw.rcode, 'NOERROR');
  t.is(raw.answers.length, 1);
  t.is(raw.answers[0].type, 'SPF');
  // dns-packet does not know type 99 and hands back the rdata: <len>"v=spf1 "<len>"-all"
  const rdata = raw.answers[0].data as Buffer;
  t.deepEqual([...rdata.subarray(0, 1)], [7]);
  t.is(rdata.subarray(1, 8).toString(), 'v=spf1 ');
  t.deepEqual([...rdata.subarray(8, 9)], [4]);
  t.is(rdata.subarray(9).toString(), '-all');
});

test('CNAME chains are followed inside the served records', async (t) => {
  const r = resolverFor(server.address);
  t.deepEqual(await r.resolve4('www.example.com'), ['192.0.2.10']);
  t.deepEqual(await r.resolveCname('www.example.com'), ['web.example.com']);

  const raw = await udpQuery(server, { name: 'www.example.com', type: 'A' });
  t.deepEqual(
    raw.answers.map((a) => `${a.name} ${a.type} ${String(a.data)}`),
    ['www.example.com CNAME web.example.com', 'web.example.com CNAME host.example.com', 'host.example.com A 192.0.2.10'],
  );
  // A CNAME question gets the CNAME only.
  const cname = await udpQuery(server, { name: 'www.example.com', type: 'CNAME' });
  t.is(cname.answers.length, 1);
});

test('a CNAME loop is answered (and does not hang the server)', async (t) => {
  const raw = await udpQuery(server, { name: 'loop1.example.com', type: 'A' });
  t.is(raw.rcode, 'NOERROR');
  t.deepEqual(
    raw.answers.map((a) => `${a.name} ${String(a.data)}`),
    ['loop1.example.com loop2.example.com', 'loop2.example.com loop1.example.com'],
  );
  // c-ares resolves it to an empty list (no error!).
  const r = resolverFor(server.address);
  t.deepEqual(await r.resolve4('loop1.example.com'), []);
});

test('a CNAME to a missing in-zone name: NXDOMAIN with the CNAME in the answer', async (t) => {
  const raw = await udpQuery(server, { name: 'dangling.example.com', type: 'A' });
  t.is(raw.rcode, 'NXDOMAIN');
  t.is(raw.answers.length, 1);
  t.is(raw.authorities[0]?.type, 'SOA');
  t.is(await errorCode(resolverFor(server.address).resolve4('dangling.example.com')), 'ENOTFOUND');
});

// ---------------------------------------------------------------------------------------------
// Negative answers

test('NXDOMAIN: ENOTFOUND, SOA in authority with the negative TTL', async (t) => {
  const r = resolverFor(server.address);
  t.is(await errorCode(r.resolve4('nope.example.com')), 'ENOTFOUND');
  t.is(await errorCode(r.resolveTxt('nope.example.com')), 'ENOTFOUND');
  const raw = await udpQuery(server, { name: 'nope.example.com', type: 'A' });
  t.is(raw.rcode, 'NXDOMAIN');
  t.true(raw.flag_aa);
  t.is(raw.answers.length, 0);
  t.is(raw.authorities.length, 1);
  t.like(raw.authorities[0], { name: 'example.com', type: 'SOA', ttl: 120 });
  // A name outside every served zone: still NXDOMAIN, without SOA.
  const outside = await udpQuery(server, { name: 'example.org', type: 'A' });
  t.is(outside.rcode, 'NXDOMAIN');
  t.is(outside.authorities.length, 0);
});

test('NODATA: ENODATA, NOERROR with SOA in authority', async (t) => {
  const r = resolverFor(server.address);
  t.is(await errorCode(r.resolveTxt('mx1.example.com')), 'ENODATA');
  t.is(await errorCode(r.resolve6('host.example.com')), 'ENODATA');
  const raw = await udpQuery(server, { name: 'mx1.example.com', type: 'TXT' });
  t.is(raw.rcode, 'NOERROR');
  t.is(raw.answers.length, 0);
  t.like(raw.authorities[0], { name: 'example.com', type: 'SOA' });
  // A type the server has no notion of (HTTPS, 65) for an existing name: NODATA, question echoed.
  const https = await udpQuery(server, { name: 'example.com', type: 'UNKNOWN_65' });
  t.is(https.rcode, 'NOERROR');
  t.is(https.answers.length, 0);
  t.deepEqual(https.questions, [{ name: 'example.com', type: 'UNKNOWN_65', class: 'IN' }]);
});

test('an empty non-terminal exists: NODATA, not NXDOMAIN', async (t) => {
  const r = resolverFor(server.address);
  t.is(await errorCode(r.resolveTxt('_domainkey.example.com')), 'ENODATA');
  t.is(await errorCode(r.resolveTxt('_tcp.mx1.example.com')), 'ENODATA');
  const raw = await udpQuery(server, { name: '_domainkey.example.com', type: 'TXT' });
  t.is(raw.rcode, 'NOERROR');
  t.deepEqual(await r.resolveTxt('sel1._domainkey.example.com'), [['v=DKIM1; k=rsa; p=MIIB']]);
});

test('wildcards synthesize records for names that do not exist', async (t) => {
  const r = resolverFor(server.address);
  t.deepEqual(await r.resolve4('anything.wild.example.com'), ['192.0.2.99']);
  t.deepEqual(await r.resolve4('deeper.name.wild.example.com'), ['192.0.2.99']);
  t.deepEqual(await r.resolveTxt('other.wild.example.com'), [['from the wildcard']]);
  // An existing name is not covered by the wildcard: NODATA for the type it lacks.
  t.deepEqual(await r.resolveTxt('sub.wild.example.com'), [['explicit']]);
  t.is(await errorCode(r.resolve4('sub.wild.example.com')), 'ENODATA');
  // Below an existing name the wildcard of the parent does not apply (closest encloser rule).
  t.is(await errorCode(r.resolve4('x.sub.wild.example.com')), 'ENOTFOUND');
  // The wildcard's parent is an empty non-terminal.
  t.is(await errorCode(r.resolve4('wild.example.com')), 'ENODATA');

  const raw = await udpQuery(server, { name: 'Foo.Wild.Example.com', type: 'A' });
  t.is(raw.answers[0].name, 'Foo.Wild.Example.com', 'owner rewritten to the question name');
});

// ---------------------------------------------------------------------------------------------
// Behaviours

test('servfail and refused behaviours: ESERVFAIL, EREFUSED (one query each, no retry)', async (t) => {
  const r = new Resolver({ timeout: 1000, tries: 3 });
  r.setServers([server.address]);
  t.is(await errorCode(r.resolve4('servfail.example.com')), 'ESERVFAIL');
  t.is(await errorCode(r.resolveTxt('refused.example.com')), 'EREFUSED');
  t.is(server.countQueries('servfail.example.com'), 1);
  t.is(server.countQueries('refused.example.com'), 1);
  const raw = await udpQuery(server, { name: 'servfail.example.com', type: 'A' });
  t.is(raw.rcode, 'SERVFAIL');
});

test('timeout behaviour: ETIMEOUT, and no answer over TCP either', async (t) => {
  const r = resolverFor(server.address, 300);
  const started = Date.now();
  t.is(await errorCode(r.resolve4('timeout.example.com')), 'ETIMEOUT');
  t.true(Date.now() - started >= 250);
  t.is(server.countQueries('timeout.example.com', 'A'), 1);

  // Suffix rule: strictly below slow.example.com.
  t.is(await errorCode(r.resolve4('a.slow.example.com')), 'ETIMEOUT');
  t.is(await errorCode(r.resolve4('slow.example.com')), 'ENOTFOUND');

  const tcpQuestion = framed(queryPacket({ name: 'timeout.example.com', type: 'A' }));
  await t.throwsAsync(tcpExchange(server, [tcpQuestion], 1, 500), {
    message: /tcp timeout/,
  });
});

// ---------------------------------------------------------------------------------------------
// Protocol details

test('the reply echoes id, question (with its case), RD; sets QR, AA, RA; logs lower-case', async (t) => {
  const raw = await udpQuery(server, { name: 'WWW.Example.COM', type: 'A', id: 4242 });
  t.is(raw.id, 4242);
  t.is(raw.type, 'response');
  t.true(raw.flag_qr);
  t.true(raw.flag_aa);
  t.true(raw.flag_rd);
  t.true(raw.flag_ra);
  t.false(raw.flag_tc);
  t.deepEqual(raw.questions, [{ name: 'WWW.Example.COM', type: 'A', class: 'IN' }]);
  t.is(raw.answers[0].name, 'WWW.Example.COM');
  t.is(raw.answers.at(-1)?.data, '192.0.2.10');

  const noRd = await udpQuery(server, { name: 'example.com', type: 'A', flags: 0 });
  t.false(noRd.flag_rd);
  t.true(server.countQueries('www.EXAMPLE.com', 'A') >= 1);
  t.true(server.queries.some((q) => q.name === 'www.example.com'));
});

test('AD is set for names at or below an authenticated zone only', async (t) => {
  const secure = await udpQuery(server, { name: 'secure.example.com', type: 'A' });
  t.true(secure.flag_ad);
  const below = await udpQuery(server, { name: 'x.secure.example.com', type: 'A' });
  t.true(below.flag_ad);
  t.is(below.rcode, 'NXDOMAIN');
  const plain = await udpQuery(server, { name: 'example.com', type: 'A' });
  t.false(plain.flag_ad);
  const withDo = await udpQuery(server, {
    name: 'secure.example.com',
    type: 'A',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    edns: 1232,
  });
  t.true(withDo.flag_ad);
});

test('TCP: several queries on one connection, split at arbitrary byte boundaries', async (t) => {
  const a = framed(queryPacket({ name: 'example.com', type: 'A', id: 1 }));
  const b = framed(queryPacket({ name: 'big-edns.example.com', type: 'TXT', id: 2 }));
  const all = Buffer.concat([a, b]);
  // 1 byte, then the rest of the first length prefix and part of the message, then everything else.
  const replies = await tcpExchange(server, [all.subarray(0, 1), all.subarray(1, 7), all.subarray(7)], 2);
  const decoded = replies.map((r) => dnsPacket.decode(r));
  t.deepEqual(
    decoded.map((d) => d.id),
    [1, 2],
  );
  t.is(decoded[0].answers[0].data, '192.0.2.1');
  t.false(decoded[1].flag_tc, 'no 512-byte limit over TCP');
  t.is((decoded[1].answers[0].data as Buffer[]).length, 12);
});

test('malformed packets are ignored and the server keeps answering', async (t) => {
  const s = await startDnsServer({ records: ZONE });
  try {
    const garbage = [Buffer.from([1, 2, 3]), Buffer.alloc(0), Buffer.from('not a dns packet at all, really'), Buffer.alloc(600, 0xff)];
    for (const g of garbage) {
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => sock.send(g, s.port, s.host, () => resolve()));
      sock.close();
    }
    // A header claiming questions that are not there.
    const truncatedHeader = queryPacket({ name: 'example.com', type: 'A' }).subarray(0, 14);
    await t.throwsAsync(udpExchange(s, truncatedHeader, 200));
    // Garbage over TCP, then a good query on a fresh connection.
    await t.throwsAsync(tcpExchange(s, [framed(Buffer.from([0xde, 0xad, 0xbe, 0xef]))], 1, 300));
    t.deepEqual(await resolverFor(s.address).resolve4('example.com'), ['192.0.2.1']);
    // A response packet (QR=1) sent to the server is ignored too.
    const response = dnsPacket.encode({ id: 7, type: 'response', questions: [{ name: 'example.com', type: 'A' }] });
    await t.throwsAsync(udpExchange(s, response, 200));
    t.is(s.countQueries('example.com', 'A'), 1);
  } finally {
    await s.close();
  }
});

test('setRecords replaces what is served', async (t) => {
  const s = await startDnsServer({ records: [rec('a.test', 'A', '192.0.2.1')] });
  try {
    const r = resolverFor(s.address);
    t.deepEqual(await r.resolve4('a.test'), ['192.0.2.1']);
    s.setRecords([rec('a.test', 'A', '192.0.2.2'), rec('b.test', 'TXT', ['hi'])]);
    t.deepEqual(await r.resolve4('a.test'), ['192.0.2.2']);
    t.deepEqual(await r.resolveTxt('b.test'), [['hi']]);
    t.is(s.countQueries('a.test'), 2);
    t.is(s.countQueries('a.test', 'TXT'), 0);
  } finally {
    await s.close();
  }
});

test('invalid records are rejected up front', async (t) => {
  await t.throwsAsync(startDnsServer({ records: [rec('a.test', 'A', 'not-an-ip')] }), { message: /IPv4/ });
  await t.throwsAsync(
    startDnsServer({ records: [{ ...rec('a.test', 'A', '192.0.2.1'), type: 'HINFO' as RRType }] }),
    { message: /Unsupported record type/ },
  );
});

test('delayMs holds answers and inFlightMax counts concurrent questions', async (t) => {
  const s = await startDnsServer({ records: ZONE, delayMs: 150 });
  try {
    t.is(s.inFlightMax, 0);
    const r = resolverFor(s.address);
    const started = Date.now();
    const names = ['example.com', 'mx1.example.com', 'host.example.com', 'secure.example.com'];
    const answers = await Promise.all(names.map((n) => r.resolve4(n)));
    t.true(Date.now() - started >= 140);
    t.deepEqual(answers, [['192.0.2.1'], ['192.0.2.25'], ['192.0.2.10'], ['192.0.2.50']]);
    t.is(s.inFlightMax, 4);
  } finally {
    await s.close();
  }
});

test('a fixed port that is taken is an error; UDP and TCP share the port', async (t) => {
  const tcpAnswer = await tcpExchange(server, [framed(queryPacket({ name: 'example.com', type: 'A', id: 9 }))], 1);
  t.is(dnsPacket.decode(tcpAnswer[0]).id, 9);
  await t.throwsAsync(startDnsServer({ records: [], port: server.port }), { code: 'EADDRINUSE' });
});

test('close() releases everything: the process exits on its own', async (t) => {
  const helper = new URL('./helpers/dns-server.js', import.meta.url).href;
  const script = `
    import { startDnsServer } from ${JSON.stringify(helper)};
    import { Resolver } from 'node:dns/promises';
    import net from 'node:net';
    const s = await startDnsServer({ records: [{ name: 'a.test', type: 'A', ttl: 60, data: '192.0.2.1' }], delayMs: 50 });
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([s.address]);
    await r.resolve4('a.test');
    // Leave an idle TCP connection and a pending delayed answer behind.
    const sock = net.connect(s.port, s.host);
    sock.on('error', () => {});
    await new Promise((resolve) => sock.on('connect', resolve));
    r.resolve4('a.test').catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    await s.close();
    await s.close();
    r.cancel();
    // No sock.destroy(): the client socket must be closed by the server side going away.
    console.log('closed');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  t.is(code, 0);
  t.is(out.trim(), 'closed');
  t.true(Date.now() - started < 4000, 'exited well before the 5 s TCP idle timeout');
});

test('dns-server-main serves a JSON records file from a child process', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mailaudit-dns-'));
  try {
    const file = path.join(dir, 'records.json');
    // As the benchmark writes it: plain JSON, no `origin`.
    await writeFile(
      file,
      JSON.stringify([
        { name: 'bench.test', type: 'A', ttl: 60, data: '192.0.2.7' },
        { name: 'bench.test', type: 'TXT', ttl: 60, data: ['v=spf1 -all'] },
      ]),
    );
    const proc = await startDnsServerProcess({ recordsFile: file });
    try {
      t.regex(proc.address, /^127\.0\.0\.1:\d+$/);
      t.true(proc.pid > 0);
      const r = resolverFor(proc.address);
      t.deepEqual(await r.resolve4('bench.test'), ['192.0.2.7']);
      t.deepEqual(await r.resolveTxt('bench.test'), [['v=spf1 -all']]);
      t.is(await errorCode(r.resolve4('nope.bench.test')), 'ENOTFOUND');
      t.deepEqual(await proc.stats(), { queries: 3, udp: 3, tcp: 0 });
    } finally {
      await proc.close();
    }

    // The object form, with behaviours.
    const file2 = path.join(dir, 'server.json');
    await writeFile(
      file2,
      JSON.stringify({
        records: [{ name: 'x.test', type: 'A', ttl: 60, data: '192.0.2.8' }],
        behaviours: { 'bad.x.test': 'servfail' },
      }),
    );
    const proc2 = await startDnsServerProcess({ recordsFile: file2 });
    try {
      const r = resolverFor(proc2.address);
      t.deepEqual(await r.resolve4('x.test'), ['192.0.2.8']);
      t.is(await errorCode(r.resolve4('bad.x.test')), 'ESERVFAIL');
      t.is((await proc2.stats()).queries, 2);
    } finally {
      await proc2.close();
    }
    await t.throwsAsync(startDnsServerProcess({ recordsFile: path.join(dir, 'missing.json') }), {
      message: /exited[\s\S]*ENOENT/,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
