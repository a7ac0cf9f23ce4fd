import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import test from 'ava';
import dnsPacket from 'dns-packet';
import { audit } from '../src/audit.js';
import { authenticated } from '../src/collect/dnssec.js';
import { DnsClient } from '../src/dns/client.js';
import { LiveDnsSource } from '../src/dns/live.js';
import type { ZoneRecord } from '../src/dns/types.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, startDnsServerProcess, type TestDnsServer } from './helpers/dns-server.js';

const origin = { file: 'client.test.zone', line: 1 };
const rec = <T extends ZoneRecord['type']>(name: string, type: T, data: ZoneRecord<T>['data']): ZoneRecord =>
  ({ name, type, ttl: 60, data, origin }) as ZoneRecord;

const SOA = { mname: 'ns.client.test', rname: 'hostmaster.client.test', serial: 1, refresh: 7200, retry: 3600, expire: 604800, minimum: 60 };
const RECORDS: ZoneRecord[] = [
  rec('client.test', 'SOA', SOA),
  rec('victim.client.test', 'TXT', ['v=spf1 -all']),
  rec('alias.client.test', 'CNAME', 'target.client.test'),
  rec('target.client.test', 'TXT', ['v=spf1 include:_spf.client.test -all']),
  rec('a:foo:bar/baz.client.test', 'TXT', ['odd but legal']),
  rec('50% off.client.test', 'A', '192.0.2.50'),
  rec('mx.client.test', 'A', '192.0.2.25'),
  rec('tc.client.test', 'TXT', ['v=spf1 -all']),
  rec('signed.client.test', 'MX', { preference: 10, exchange: 'mx.client.test' }),
];

/** A lying server: the answers name other owners and other types than asked. */
const FORGED: Record<string, ZoneRecord[]> = {
  'poison.client.test': [rec('victim.client.test', 'TXT', ['v=spf1 +all'])],
  'mixed.client.test': [rec('mixed.client.test', 'TXT', ['v=spf1 -all']), rec('victim.client.test', 'TXT', ['v=spf1 +all'])],
  'chain.client.test': [
    rec('chain.client.test', 'CNAME', 'end.client.test'),
    rec('end.client.test', 'TXT', ['v=spf1 -all']),
    rec('elsewhere.client.test', 'TXT', ['v=spf1 +all']),
  ],
  'mxpoison.client.test': [rec('mxpoison.client.test', 'A', '192.0.2.66')],
  'mxvictim.client.test': [rec('victim.client.test', 'MX', { preference: 0, exchange: 'evil.client.test' })],
};

let server: TestDnsServer;
test.before(async () => {
  server = await startDnsServer({
    records: RECORDS,
    forged: FORGED,
    behaviours: { 'tc.client.test': 'truncate-udp' },
    authenticatedZones: ['signed.client.test'],
  });
});
test.after.always(async () => {
  await server?.close();
});

const live = () => new LiveDnsSource({ servers: [server.address], timeoutMs: 2000, tries: 1 });

test('a record owned by another name than asked is not believed: the answer is broken, not empty', async (t) => {
  const answer = await live().resolve('poison.client.test', 'TXT');
  t.is(answer.status, 'error');
  t.is(answer.error, 'EBADRESP');
  t.deepEqual(answer.records, []);
});

test('beside the records asked for, records of another owner are dropped', async (t) => {
  const answer = await live().resolve('mixed.client.test', 'TXT');
  t.is(answer.status, 'ok');
  t.deepEqual(answer.records, [['v=spf1 -all']]);
});

test('a CNAME chain in the answer is followed; records beside the chain are dropped', async (t) => {
  const dns = live();
  const chain = await dns.resolve('chain.client.test', 'TXT');
  t.is(chain.status, 'ok');
  t.deepEqual(chain.records, [['v=spf1 -all']]);
  const alias = await dns.resolve('alias.client.test', 'TXT');
  t.deepEqual(alias.records, [['v=spf1 include:_spf.client.test -all']]);
  const cname = await dns.resolve('alias.client.test', 'CNAME');
  t.deepEqual(cname.records, ['target.client.test']);
});

test('an answer of another type than asked is a failed lookup, not "no records" (issue 12.9)', async (t) => {
  const dns = live();
  const mx = await dns.resolve('mxpoison.client.test', 'MX');
  t.is(mx.status, 'error');
  t.is(mx.error, 'EBADRESP');
  const victim = await dns.resolve('mxvictim.client.test', 'MX');
  t.is(victim.status, 'error');
  t.deepEqual(victim.records, []);
});

test('an audit of a poisoned name reports a failed lookup, never the victim\'s record or a missing one', async (t) => {
  const report = await audit('poison.client.test', { dnsServers: [server.address], smtp: false, timeoutMs: 2000, tries: 1 });
  const ids = report.domains[0]!.findings.map((f) => f.ruleId);
  t.false(ids.includes('spf-permissive-all'), ids.join(' '));
  t.false(ids.includes('spf-missing'), ids.join(' '));
  t.false(ids.includes('mx-missing'), ids.join(' '));
  t.true(ids.includes('dns-lookup-failed'), ids.join(' '));
  const mx = await audit('mxvictim.client.test', { dnsServers: [server.address], smtp: false, timeoutMs: 2000, tries: 1 });
  const mxIds = mx.domains[0]!.findings.map((f) => f.ruleId);
  t.false(mxIds.includes('mx-missing'), mxIds.join(' '));
  t.deepEqual(mx.domains[0]!.records.mx?.hosts ?? [], []);
});

test('names c-ares refuses (RFC 2181 §11: any octet in a label) go on the wire as asked', async (t) => {
  const dns = live();
  const odd = await dns.resolve('a:foo:bar/baz.client.test', 'TXT');
  t.is(odd.status, 'ok');
  t.deepEqual(odd.records, [['odd but legal']]);
  t.is(server.countQueries('a:foo:bar/baz.client.test', 'TXT'), 1);
  const spaced = await dns.resolve('50% off.client.test', 'A');
  t.deepEqual(spaced.records, ['192.0.2.50']);
  const none = await dns.resolve('what ever.client.test', 'TXT');
  t.is(none.status, 'nxdomain');
  const tooLong = await dns.resolve(`${'a'.repeat(64)}.client.test`, 'TXT');
  t.is(tooLong.status, 'error');
  t.is(tooLong.error, 'EBADNAME');
});

test('a truncated UDP answer is asked again over TCP', async (t) => {
  const answer = await live().resolve('tc.client.test', 'TXT');
  t.deepEqual(answer.records, [['v=spf1 -all']]);
  t.is(server.queries.filter((q) => q.name === 'tc.client.test' && q.transport === 'tcp').length >= 1, true);
});

test('the DNSSEC MX question serves as the MX answer: one MX question per domain', async (t) => {
  const before = server.countQueries('signed.client.test', 'MX');
  const report = await audit('signed.client.test', { dnsServers: [server.address], smtp: false, timeoutMs: 2000, tries: 1 });
  t.is(server.countQueries('signed.client.test', 'MX') - before, 1);
  const facts = report.domains[0]!.records;
  t.deepEqual(facts.mx?.hosts.map((h) => h.exchange), ['mx.client.test']);
  t.is(facts.dnssec?.status, 'signed');
});

test('DNSSEC answers of another owner are not believed either', async (t) => {
  const fact = await authenticated({ servers: [server.address], timeoutMs: 2000, tries: 1 }, 'mxvictim.client.test', 'MX');
  t.is(fact.error, 'EBADRESP');
  t.is(fact.authenticated, undefined);
});

test('DNSSEC questions share the bound on questions in flight (issue 12.5)', async (t) => {
  const slow = await startDnsServer({ records: [], delayMs: 40 });
  try {
    const dns = new LiveDnsSource({ servers: [slow.address], timeoutMs: 3000, tries: 1, maxInFlight: 4 });
    const settings = { servers: [slow.address], timeoutMs: 3000, tries: 1, askWithDo: (n: string, ty: string) => dns.askWithDo(n, ty) };
    const facts = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => authenticated(settings, `d${i}.example.test`, 'A')),
      ...Array.from({ length: 30 }, (_, i) => dns.resolve(`t${i}.example.test`, 'TXT')),
    ]);
    t.is(facts.length, 60);
    t.true(slow.inFlightMax <= 4, `${slow.inFlightMax} in flight`);
    // Without the run's client, the settings get a client of their own, bounded too.
    const own = await Promise.all(Array.from({ length: 100 }, (_, i) => authenticated({ servers: [slow.address], timeoutMs: 3000, tries: 1 }, `o${i}.example.test`, 'A')));
    t.true(own.every((f) => f.rcode === 'NXDOMAIN'));
  } finally {
    await slow.close();
  }
});

/** A server on a socket of its own that logs the source port of every query and can answer late. */
async function fakeServer(answer: (query: dnsPacket.DecodedPacket, rinfo: dgram.RemoteInfo, socket: dgram.Socket) => void) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const ports: number[] = [];
  socket.on('message', (msg, rinfo) => {
    ports.push(rinfo.port);
    answer(dnsPacket.decode(msg), rinfo, socket);
  });
  return { socket, ports, address: `127.0.0.1:${socket.address().port}` };
}

const reply = (query: dnsPacket.DecodedPacket, data: string) =>
  dnsPacket.encode({
    id: query.id,
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: query.questions,
    answers: [{ name: query.questions[0]!.name, type: 'A', class: 'IN', ttl: 60, data }],
  });

test('answers are taken only from the address and port asked; a spoofed answer from elsewhere is ignored', async (t) => {
  const spoofer = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => spoofer.bind(0, '127.0.0.1', resolve));
  const real = await fakeServer((query, rinfo, socket) => {
    spoofer.send(reply(query, '203.0.113.66'), rinfo.port, rinfo.address);
    setTimeout(() => socket.send(reply(query, '192.0.2.1'), rinfo.port, rinfo.address), 30);
  });
  try {
    const dns = new LiveDnsSource({ servers: [real.address], timeoutMs: 2000, tries: 1 });
    const answer = await dns.resolve('host.example.test', 'A');
    t.deepEqual(answer.records, ['192.0.2.1']);
  } finally {
    spoofer.close();
    real.socket.close();
  }
});

test('one socket serves many questions; it is replaced after queriesPerSocket (a fresh source port)', async (t) => {
  const server = await fakeServer((query, rinfo, socket) => socket.send(reply(query, '192.0.2.1'), rinfo.port, rinfo.address));
  try {
    const client = new DnsClient({ servers: [server.address], timeoutMs: 2000, tries: 1, maxInFlight: 8, queriesPerSocket: 5 });
    for (let i = 0; i < 15; i++) {
      const answer = await client.query({ name: `n${i}.example.test`, type: 'A' });
      t.is(answer.rcode, 'NOERROR');
    }
    t.is(new Set(server.ports).size, 3, `ports ${server.ports.join(' ')}`);
    t.is(new Set(server.ports.slice(0, 5)).size, 1);
  } finally {
    server.socket.close();
  }
});

test('a server that never answers: ETIMEOUT after timeout × tries, asking again each try', async (t) => {
  const server = await fakeServer(() => {});
  try {
    const dns = new LiveDnsSource({ servers: [server.address], timeoutMs: 150, tries: 2 });
    const started = Date.now();
    const answer = await dns.resolve('silent.example.test', 'TXT');
    t.is(answer.status, 'error');
    t.is(answer.error, 'ETIMEOUT');
    t.is(server.ports.length, 2);
    t.true(Date.now() - started < 5000);
  } finally {
    server.socket.close();
  }
});

test('an IPv6 server ([::1]:port) is asked and its answers are taken', async (t) => {
  let v6: TestDnsServer;
  try {
    v6 = await startDnsServer({ records: RECORDS, host: '::1' });
  } catch {
    t.pass('no IPv6 loopback here');
    return;
  }
  try {
    const answer = await new LiveDnsSource({ servers: [v6.address], timeoutMs: 2000, tries: 1 }).resolve('mx.client.test', 'A');
    t.deepEqual(answer.records, ['192.0.2.25']);
  } finally {
    await v6.close();
  }
});

test('a server that refuses the port: ECONNREFUSED at once, then the next server answers', async (t) => {
  const dead = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve));
  const deadAddress = `127.0.0.1:${dead.address().port}`;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  const alone = await new LiveDnsSource({ servers: [deadAddress], timeoutMs: 5000, tries: 1 }).resolve('victim.client.test', 'TXT');
  t.is(alone.status, 'error');
  t.true(['ECONNREFUSED', 'ETIMEOUT'].includes(alone.error!), alone.error);
  const both = await new LiveDnsSource({ servers: [deadAddress, server.address], timeoutMs: 5000, tries: 1 }).resolve('victim.client.test', 'TXT');
  t.deepEqual(both.records, [['v=spf1 -all']]);
});

test('once answered, nothing of the client keeps the process alive: not the 60 s timer, not the socket', async (t) => {
  const live = new URL('../src/dns/live.js', import.meta.url).href;
  const script = `const { LiveDnsSource } = await import(${JSON.stringify(live)});
    const a = await new LiveDnsSource({ servers: [${JSON.stringify(server.address)}], timeoutMs: 60000, tries: 1 }).resolve('victim.client.test', 'TXT');
    console.log(a.status);`;
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(code, 0);
  t.is(out.trim(), 'ok');
  t.true(Date.now() - started < 30_000, 'the process ended long before the 60 s timeout');
});

test('an answer that arrived while the event loop was busy past the deadline is taken, not timed out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-client-'));
  const recordsFile = join(dir, 'records.json');
  writeFileSync(recordsFile, JSON.stringify(RECORDS));
  const other = await startDnsServerProcess({ recordsFile });
  try {
    const client = new DnsClient({ servers: [other.address], timeoutMs: 150, tries: 1, maxInFlight: 4 });
    t.is((await client.query({ name: 'mx.client.test', type: 'A' })).rcode, 'NOERROR', 'the socket is connected');
    // Asked from the check phase, and busy there past the deadline: the next loop turn starts with
    // the timers, while the answer (from a server in another process) waits in the socket.
    const answer = await new Promise<Promise<unknown>>((resolve) =>
      setImmediate(() => {
        const asked = client.query({ name: 'victim.client.test', type: 'TXT' });
        const until = Date.now() + 600;
        while (Date.now() < until) {
          // busy past the 150 ms deadline
        }
        resolve(asked);
      }),
    );
    t.is(((await answer) as { rcode: string }).rcode, 'NOERROR');
  } finally {
    await other.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
