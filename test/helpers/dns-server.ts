/**
 * A small authoritative DNS server for tests and benchmarks: serves ZoneRecords on loopback over UDP
 * and TCP (same port), so that the real node:dns (c-ares) resolver can be pointed at it.
 *
 * Semantics follow a real authoritative server closely enough for a resolver client: NXDOMAIN vs
 * NODATA (empty non-terminals exist), SOA in the authority section of negative answers, CNAME chains
 * followed inside the served data, RFC 4592 wildcards, TC over UDP when the answer does not fit
 * (512 bytes, or the EDNS payload size the client advertised), EDNS OPT echoed, AD bit for
 * "authenticated" zones, and per-name failure behaviours (timeout, SERVFAIL, REFUSED, forced TC).
 * Not implemented: delegations/referrals (NS records are served as plain data), DNAME, DNSSEC
 * records, zone transfers, EDNS version negotiation.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import type { RecordDataByType, RRType, ZoneRecord } from '../../src/dns/types.js';

export interface Behaviour {
  /** timeout-nodata: no answer to a question the name has no record of that type for (the RFC 7208 suite's TIMEOUT). nxdomain: NXDOMAIN whatever exists (a server that denies empty non-terminals, breaking RFC 8020). */
  kind: 'timeout' | 'servfail' | 'refused' | 'truncate-udp' | 'nxdomain' | 'timeout-nodata';
}

export interface DnsServerOptions {
  /** What it serves, authoritatively. Names are matched case-insensitively; a trailing dot is ignored. */
  records: ZoneRecord[];
  /**
   * Names mapped to a behaviour: an exact name ('slow.example') or a suffix rule ('*.slow.example',
   * which matches names strictly below slow.example, not slow.example itself). An exact entry wins
   * over suffix rules; the most specific suffix rule wins. Applies to the question name only.
   */
  behaviours?: Record<string, Behaviour['kind']>;
  /**
   * A lying (or spoofing) server: any question for one of these names (exact, case-insensitive) is
   * answered NOERROR with exactly these records in the answer section, whatever their owner and type
   * (a `victim.example TXT` answer to `TXT poison.example?`, an A record answering an MX question).
   */
  forged?: Record<string, ZoneRecord[]>;
  /** Set the AD bit on answers for question names at or below these zones (a validating resolver). */
  authenticatedZones?: string[];
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 = pick a free one; UDP and TCP share the same port number. */
  port?: number;
  /**
   * Delay every answer by this many milliseconds (default 0 = answer synchronously). With a delay,
   * `inFlightMax` records the largest number of questions waiting for their answer at once.
   */
  delayMs?: number;
  /** Idle TCP connections are closed after this many milliseconds. Default 5000. */
  tcpIdleTimeoutMs?: number;
}

export interface QueryLogEntry {
  /** Question name, lower-case, without the trailing dot. */
  name: string;
  /** Question type as dns-packet names it: 'A', 'TXT', 'SPF', ... or 'UNKNOWN_<n>'. */
  type: string;
  transport: 'udp' | 'tcp';
  /** Date.now() when the question was received. */
  at: number;
}

export interface TestDnsServer {
  host: string;
  port: number;
  /** `${host}:${port}` (`[host]:port` for an IPv6 host), ready for Resolver#setServers. */
  address: string;
  /** Every question received, in order (including ones that were never answered). */
  queries: QueryLogEntry[];
  /** Questions received for this name (case-insensitive), optionally of this type only. */
  countQueries(name: string, type?: string): number;
  /** Largest number of delayed answers pending at once; stays 0 without `delayMs`. */
  inFlightMax: number;
  /** Replace the served records (the query log is kept). */
  setRecords(records: ZoneRecord[]): void;
  /** Close both sockets, every TCP connection and every pending timer. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Zone index

/** A record ready for dns-packet's encoder (everything converted once, when the records are set). */
interface WireRecord {
  type: string;
  ttl: number;
  data: unknown;
}

interface SoaEntry {
  apex: string;
  record: WireRecord;
  /** TTL of the SOA in negative answers: min(SOA TTL, SOA minimum), as RFC 2308 says. */
  negativeTtl: number;
}

interface ZoneIndex {
  /** Owner name → type → records. */
  byName: Map<string, Map<string, WireRecord[]>>;
  /** Every name that exists: owners and all their ancestors (empty non-terminals). */
  existing: Set<string>;
  /** Zone apex → its SOA. */
  soa: Map<string, SoaEntry>;
}

type AnyZoneRecord = { [T in RRType]: ZoneRecord<T> }[RRType];

const KNOWN_TYPES: ReadonlySet<string> = new Set<RRType>([
  'A', 'AAAA', 'MX', 'TXT', 'SPF', 'CNAME', 'NS', 'SOA', 'PTR', 'TLSA', 'CAA', 'SRV',
]);

export function normalizeName(name: string): string {
  let n = name.toLowerCase();
  while (n.endsWith('.')) n = n.slice(0, -1);
  return n;
}

/** The parent of a name; '' (the root) for a single label. */
function parentName(name: string): string {
  const i = name.indexOf('.');
  return i < 0 ? '' : name.slice(i + 1);
}

/** A domain name for dns-packet's encoder: '' (the root) must be '.'. */
function wireName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n === '' ? '.' : n;
}

/** TXT/SPF character-strings, UTF-8 encoded; a string longer than 255 bytes is split into several. */
function characterStrings(chunks: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const bytes = Buffer.from(chunk, 'utf8');
    if (bytes.length === 0) out.push(bytes);
    for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  }
  // A TXT RR holds at least one character-string.
  if (out.length === 0) out.push(Buffer.alloc(0));
  return out;
}

function toWire(rec: AnyZoneRecord): WireRecord {
  const ttl = typeof rec.ttl === 'number' && rec.ttl >= 0 ? rec.ttl : 300;
  const where = `${rec.type} record for ${rec.name}`;
  switch (rec.type) {
    case 'A':
      if (!net.isIPv4(rec.data)) throw new Error(`${where}: not an IPv4 address: ${String(rec.data)}`);
      return { type: 'A', ttl, data: rec.data };
    case 'AAAA':
      if (!net.isIPv6(rec.data)) throw new Error(`${where}: not an IPv6 address: ${String(rec.data)}`);
      return { type: 'AAAA', ttl, data: rec.data };
    case 'MX':
      return { type: 'MX', ttl, data: { preference: rec.data.preference, exchange: wireName(rec.data.exchange) } };
    case 'TXT':
      return { type: 'TXT', ttl, data: characterStrings(rec.data) };
    case 'SPF': {
      // dns-packet does not know type 99: give it the raw rdata (same wire format as TXT).
      const strings = characterStrings(rec.data);
      const rdata = Buffer.concat(strings.flatMap((s) => [Buffer.from([s.length]), s]));
      return { type: 'SPF', ttl, data: rdata };
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { type: rec.type, ttl, data: wireName(rec.data) };
    case 'SOA':
      return {
        type: 'SOA',
        ttl,
        data: {
          mname: wireName(rec.data.mname),
          rname: wireName(rec.data.rname),
          serial: rec.data.serial,
          refresh: rec.data.refresh,
          retry: rec.data.retry,
          expire: rec.data.expire,
          minimum: rec.data.minimum,
        },
      };
    case 'TLSA': {
      const hex = rec.data.data;
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`${where}: data is not hex`);
      return {
        type: 'TLSA',
        ttl,
        data: {
          usage: rec.data.usage,
          selector: rec.data.selector,
          matchingType: rec.data.matchingType,
          certificate: Buffer.from(hex, 'hex'),
        },
      };
    }
    case 'CAA':
      return { type: 'CAA', ttl, data: { flags: rec.data.flags, tag: rec.data.tag, value: rec.data.value } };
    case 'SRV':
      return {
        type: 'SRV',
        ttl,
        data: {
          priority: rec.data.priority,
          weight: rec.data.weight,
          port: rec.data.port,
          target: wireName(rec.data.target),
        },
      };
  }
}

export function buildZoneIndex(records: readonly ZoneRecord[]): ZoneIndex {
  const byName = new Map<string, Map<string, WireRecord[]>>();
  const existing = new Set<string>();
  const soa = new Map<string, SoaEntry>();
  for (const rec of records) {
    const type = String(rec.type).toUpperCase();
    if (!KNOWN_TYPES.has(type)) throw new Error(`Unsupported record type ${String(rec.type)} for ${rec.name}`);
    const name = normalizeName(rec.name);
    const wire = toWire((type === rec.type ? rec : { ...rec, type }) as AnyZoneRecord);
    let types = byName.get(name);
    if (!types) byName.set(name, (types = new Map()));
    let list = types.get(type);
    if (!list) types.set(type, (list = []));
    list.push(wire);
    if (type === 'SOA' && !soa.has(name)) {
      const minimum = (rec.data as RecordDataByType['SOA']).minimum;
      soa.set(name, { apex: name, record: wire, negativeTtl: Math.min(wire.ttl, minimum) });
    }
    if (!existing.has(name)) {
      existing.add(name);
      // Invariant: a name in the set has all its ancestors in the set, so stop at the first one.
      for (let p = parentName(name); p !== '' && !existing.has(p); p = parentName(p)) existing.add(p);
    }
  }
  return { byName, existing, soa };
}

// ---------------------------------------------------------------------------------------------
// Answering

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const FLAG_AA = 1 << 10;
const FLAG_TC = 1 << 9;
const FLAG_RD = 1 << 8;
const FLAG_RA = 1 << 7;
const FLAG_AD = 1 << 5;
const FLAG_CD = 1 << 4;
const OPCODE_MASK = 0xf << 11;

/** Longest CNAME chain followed in one answer. */
const MAX_CNAME_CHAIN = 8;
/** The UDP payload size this server advertises in its own OPT record. */
const SERVER_UDP_PAYLOAD = 1232;

interface Resolution {
  rcode: number;
  answers: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
}

type Lookup = { exists: false } | { exists: true; rrsets: Map<string, WireRecord[]> | undefined };

function lookupName(index: ZoneIndex, name: string): Lookup {
  const rrsets = index.byName.get(name);
  if (rrsets) return { exists: true, rrsets };
  if (index.existing.has(name)) return { exists: true, rrsets: undefined }; // empty non-terminal
  // RFC 4592: find the closest encloser, then the source of synthesis '*.<closest encloser>'.
  let encloser = parentName(name);
  while (encloser !== '' && !index.existing.has(encloser)) encloser = parentName(encloser);
  const wildcard = index.byName.get(encloser === '' ? '*' : `*.${encloser}`);
  if (wildcard) return { exists: true, rrsets: wildcard };
  return { exists: false };
}

function enclosingSoa(index: ZoneIndex, name: string): SoaEntry | undefined {
  if (index.soa.size === 0) return undefined;
  for (let n = name; ; n = parentName(n)) {
    const entry = index.soa.get(n);
    if (entry) return entry;
    if (n === '') return undefined;
  }
}

function soaAuthority(index: ZoneIndex, name: string): dnsPacket.Answer[] {
  const entry = enclosingSoa(index, name);
  if (!entry) return [];
  return [{ name: wireName(entry.apex), type: 'SOA', class: 'IN', ttl: entry.negativeTtl, data: entry.record.data }];
}

function pushRecords(out: dnsPacket.Answer[], owner: string, records: readonly WireRecord[]): void {
  for (const r of records) out.push({ name: owner, type: r.type, class: 'IN', ttl: r.ttl, data: r.data });
}

/** Answer one question from the index, following CNAMEs inside the served data. */
function resolveQuestion(index: ZoneIndex, askedName: string, qtype: string): Resolution {
  const answers: dnsPacket.Answer[] = [];
  let name = normalizeName(askedName);
  // The first owner keeps the spelling of the question (resolvers compare it with the question).
  let owner = wireName(askedName);
  const seen = new Set<string>();
  for (;;) {
    const found = lookupName(index, name);
    if (!found.exists) {
      // Inside the chain, a target outside every served zone is not ours to deny: just stop.
      const ours = answers.length === 0 || index.soa.size === 0 || enclosingSoa(index, name) !== undefined;
      return ours
        ? { rcode: RCODE.NXDOMAIN, answers, authorities: soaAuthority(index, name) }
        : { rcode: RCODE.NOERROR, answers, authorities: [] };
    }
    const { rrsets } = found;
    if (qtype === 'ANY') {
      if (rrsets) for (const records of rrsets.values()) pushRecords(answers, owner, records);
      return { rcode: RCODE.NOERROR, answers, authorities: answers.length ? [] : soaAuthority(index, name) };
    }
    const cname = qtype === 'CNAME' ? undefined : rrsets?.get('CNAME');
    if (cname && cname.length > 0) {
      const first = cname[0];
      pushRecords(answers, owner, [first]);
      seen.add(name);
      const target = normalizeName(first.data as string);
      if (answers.length >= MAX_CNAME_CHAIN || seen.has(target)) {
        return { rcode: RCODE.NOERROR, answers, authorities: [] };
      }
      name = target;
      owner = wireName(target);
      continue;
    }
    const direct = rrsets?.get(qtype);
    if (direct && direct.length > 0) {
      pushRecords(answers, owner, direct);
      return { rcode: RCODE.NOERROR, answers, authorities: [] };
    }
    return { rcode: RCODE.NOERROR, answers, authorities: soaAuthority(index, name) }; // NODATA
  }
}

function isAtOrBelow(name: string, zones: ReadonlySet<string>): boolean {
  if (zones.size === 0) return false;
  for (let n = name; ; n = parentName(n)) {
    if (zones.has(n)) return true;
    if (n === '') return false;
  }
}

interface BehaviourRules {
  exact: Map<string, Behaviour['kind']>;
  /** 'slow.example' for the rule '*.slow.example'. */
  below: Map<string, Behaviour['kind']>;
}

function compileBehaviours(behaviours: Record<string, Behaviour['kind']> | undefined): BehaviourRules {
  const rules: BehaviourRules = { exact: new Map(), below: new Map() };
  for (const [key, kind] of Object.entries(behaviours ?? {})) {
    const name = normalizeName(key);
    if (name === '*') rules.below.set('', kind);
    else if (name.startsWith('*.')) rules.below.set(name.slice(2), kind);
    else rules.exact.set(name, kind);
  }
  return rules;
}

function behaviourFor(rules: BehaviourRules, name: string): Behaviour['kind'] | undefined {
  const exact = rules.exact.get(name);
  if (exact) return exact;
  if (rules.below.size === 0 || name === '') return undefined;
  for (let p = parentName(name); ; p = parentName(p)) {
    const kind = rules.below.get(p);
    if (kind) return kind;
    if (p === '') return undefined;
  }
}

/** What to send back for one message: nothing (ignore or time out), or a packet. */
interface Reply {
  packet: dnsPacket.Packet;
  /** Client-advertised UDP payload size (512 without EDNS). */
  udpLimit: number;
  /** Behaviour 'truncate-udp': over UDP, always answer with TC. */
  forceTruncateUdp: boolean;
}

// ---------------------------------------------------------------------------------------------
// Server

export async function startDnsServer(opts: DnsServerOptions): Promise<TestDnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const delayMs = opts.delayMs ?? 0;
  const idleMs = opts.tcpIdleTimeoutMs ?? 5000;
  let index = buildZoneIndex(opts.records);
  const rules = compileBehaviours(opts.behaviours);
  const authenticated = new Set((opts.authenticatedZones ?? []).map(normalizeName));
  const forged = new Map(
    Object.entries(opts.forged ?? {}).map(([name, records]) => [
      normalizeName(name),
      records.map((r): dnsPacket.Answer => {
        const wire = toWire(r as AnyZoneRecord);
        return { name: wireName(r.name), type: wire.type, class: 'IN', ttl: wire.ttl, data: wire.data } as dnsPacket.Answer;
      }),
    ]),
  );
  const queries: QueryLogEntry[] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let inFlightMax = 0;
  let closed = false;

  function prepareReply(msg: Buffer, transport: 'udp' | 'tcp'): Reply | undefined {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined; // malformed: ignore
    }
    if (query.type !== 'query') return undefined;
    const at = Date.now();
    for (const q of query.questions) queries.push({ name: normalizeName(q.name), type: q.type, transport, at });

    const opt = query.additionals.find((a) => a.type === 'OPT');
    const udpLimit = opt ? Math.max(512, opt.udpPayloadSize ?? 512) : 512;
    const packet: dnsPacket.Packet = {
      id: query.id,
      type: 'response',
      flags: (query.flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | FLAG_RA,
      questions: query.questions,
      answers: [],
      authorities: [],
      additionals: opt
        ? [{ name: '.', type: 'OPT', udpPayloadSize: SERVER_UDP_PAYLOAD, flags: (opt.flags ?? 0) & dnsPacket.DNSSEC_OK }]
        : [],
    };
    const reply: Reply = { packet, udpLimit, forceTruncateUdp: false };
    const fail = (rcode: number): Reply => {
      packet.flags = (packet.flags ?? 0) | rcode;
      return reply;
    };

    if (query.opcode !== 'QUERY') return fail(RCODE.NOTIMP);
    if (query.questions.length !== 1) return fail(RCODE.FORMERR);
    const question = query.questions[0];
    const qname = normalizeName(question.name);
    const behaviour = behaviourFor(rules, qname);
    if (behaviour === 'timeout') return undefined;
    if (behaviour === 'servfail') return fail(RCODE.SERVFAIL);
    if (behaviour === 'refused') return fail(RCODE.REFUSED);
    if (behaviour === 'nxdomain') {
      packet.authorities = soaAuthority(index, qname);
      return fail(RCODE.NXDOMAIN | FLAG_AA);
    }
    if (question.class !== 'IN') return fail(RCODE.REFUSED);
    reply.forceTruncateUdp = behaviour === 'truncate-udp';
    const lie = forged.get(qname);
    if (lie) {
      packet.answers = lie;
      packet.flags = (packet.flags ?? 0) | FLAG_AA;
      return reply;
    }

    const result = resolveQuestion(index, question.name, question.type);
    if (behaviour === 'timeout-nodata' && result.answers.length === 0) return undefined;
    packet.answers = result.answers;
    packet.authorities = result.authorities;
    let flags = (packet.flags ?? 0) | FLAG_AA | result.rcode;
    if (isAtOrBelow(qname, authenticated)) flags |= FLAG_AD;
    packet.flags = flags;
    return reply;
  }

  /** Encode a reply for the transport: TC and no records when it does not fit a UDP datagram. */
  function encodeReply(reply: Reply, transport: 'udp' | 'tcp'): Buffer | undefined {
    const { packet } = reply;
    const truncated = (): Buffer =>
      dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | FLAG_TC, answers: [], authorities: [] });
    try {
      if (transport === 'udp' && reply.forceTruncateUdp) return truncated();
      const buf = dnsPacket.encode(packet);
      const limit = transport === 'udp' ? reply.udpLimit : 0xffff;
      return buf.length > limit ? truncated() : buf;
    } catch {
      // Records dns-packet cannot encode: answer SERVFAIL rather than crash or stay silent.
      try {
        const rcodeFree = (packet.flags ?? 0) & ~(0xf | FLAG_AA | FLAG_AD);
        return dnsPacket.encode({ ...packet, flags: rcodeFree | RCODE.SERVFAIL, answers: [], authorities: [] });
      } catch {
        return undefined;
      }
    }
  }

  function handleMessage(msg: Buffer, transport: 'udp' | 'tcp', send: (buf: Buffer) => void): void {
    const reply = prepareReply(msg, transport);
    if (!reply) return;
    const deliver = (): void => {
      if (closed) return;
      const buf = encodeReply(reply, transport);
      if (buf) send(buf);
    };
    if (delayMs <= 0) {
      deliver();
      return;
    }
    inFlight++;
    inFlightMax = Math.max(inFlightMax, inFlight);
    const timer = setTimeout(() => {
      timers.delete(timer);
      inFlight--;
      deliver();
    }, delayMs);
    timers.add(timer);
  }

  function onTcpConnection(socket: net.Socket): void {
    if (closed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        handleMessage(msg, 'tcp', (buf) => {
          if (socket.destroyed || !socket.writable) return;
          const framed = Buffer.allocUnsafe(2 + buf.length);
          framed.writeUInt16BE(buf.length, 0);
          buf.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
  }

  const { udp, tcp, port } = await bindUdpAndTcp(host, opts.port ?? 0, onTcpConnection);
  udp.on('error', () => {});
  tcp.on('error', () => {});
  udp.on('message', (msg, rinfo) => {
    handleMessage(msg, 'udp', (buf) => {
      if (!closed) udp.send(buf, rinfo.port, rinfo.address, () => {});
    });
  });

  let closing: Promise<void> | undefined;
  const server: TestDnsServer = {
    host,
    port,
    address: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    countQueries(name: string, type?: string): number {
      const n = normalizeName(name);
      const t = type?.toUpperCase();
      let count = 0;
      for (const q of queries) if (q.name === n && (t === undefined || q.type === t)) count++;
      return count;
    },
    get inFlightMax(): number {
      return inFlightMax;
    },
    set inFlightMax(value: number) {
      inFlightMax = value;
    },
    setRecords(records: ZoneRecord[]): void {
      index = buildZoneIndex(records);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        inFlight = 0;
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        await Promise.all([
          new Promise<void>((resolve) => tcp.close(() => resolve())),
          new Promise<void>((resolve) => udp.close(() => resolve())),
        ]);
      })();
      return closing;
    },
  };
  return server;
}

/** Bind UDP (port 0 = any free port) then TCP on the same port number; retry if TCP's is taken. */
async function bindUdpAndTcp(
  host: string,
  port: number,
  onConnection: (socket: net.Socket) => void,
): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  const attempts = port === 0 ? 10 : 1;
  for (let attempt = 1; ; attempt++) {
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const boundPort = udp.address().port;
    const tcp = net.createServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host, port: boundPort, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port: boundPort };
    } catch (err) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= attempts) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The same server in a child process (keeps the DNS server's CPU out of a measured process)

export interface DnsServerProcessOptions {
  /** A JSON file: an array of ZoneRecord, or { records, behaviours?, authenticatedZones?, delayMs? }. */
  recordsFile: string;
  host?: string;
  port?: number;
  /** How long to wait for the child to report its address. Default 15000 ms. */
  startTimeoutMs?: number;
}

export interface DnsServerProcessStats {
  queries: number;
  udp: number;
  tcp: number;
}

export interface DnsServerProcess {
  host: string;
  port: number;
  address: string;
  pid: number;
  /** Ask the child for its query counters. */
  stats(): Promise<DnsServerProcessStats>;
  /** SIGTERM the child and wait for it to exit. Idempotent. */
  close(): Promise<void>;
}

/** Path of the compiled CLI (dist/test/helpers/dns-server-main.js next to this file). */
export const dnsServerMainPath = fileURLToPath(new URL('./dns-server-main.js', import.meta.url));

export async function startDnsServerProcess(opts: DnsServerProcessOptions): Promise<DnsServerProcess> {
  const args = [dnsServerMainPath, '--records', opts.recordsFile];
  if (opts.host !== undefined) args.push('--host', opts.host);
  if (opts.port !== undefined) args.push('--port', String(opts.port));
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // Keep stderr for the startup error message; once started, pass it through.
  let started = false;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (started) process.stderr.write(chunk);
    else stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // failed to spawn: there will be no 'exit'
  });
  child.stdin.on('error', () => {}); // EPIPE if the child is gone
  const lines = readline.createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const nextLine = (timeoutMs: number, what: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const onExit = (): void => {
        // Let the last of stderr arrive before reporting.
        setImmediate(() => done(new Error(`dns-server-main exited while waiting for ${what}: ${stderr.trim()}`)));
      };
      const timer = setTimeout(() => done(new Error(`dns-server-main: no ${what} after ${timeoutMs} ms`)), timeoutMs);
      const take = (line: string): void => done(undefined, line);
      function done(err: Error | undefined, line?: string): void {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', onExit);
        const i = waiting.indexOf(take);
        if (i >= 0) waiting.splice(i, 1);
        if (err) reject(err);
        else resolve(line ?? '');
      }
      child.once('exit', onExit);
      child.once('error', onExit);
      waiting.push(take);
    });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      lines.close();
    })();
    return closing;
  };

  try {
    const first = await nextLine(opts.startTimeoutMs ?? 15000, 'address line');
    const { address } = JSON.parse(first) as { address: string };
    started = true;
    if (stderr) process.stderr.write(stderr);
    const sep = address.lastIndexOf(':');
    const host = address.slice(0, sep).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(sep + 1));
    return {
      host,
      port,
      address,
      pid: child.pid ?? -1,
      async stats(): Promise<DnsServerProcessStats> {
        const line = nextLine(10000, 'stats line');
        child.stdin.write('stats\n');
        return JSON.parse(await line) as DnsServerProcessStats;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
