import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP, Socket } from 'node:net';
import dnsPacket from 'dns-packet';

/**
 * A small DNS client on dns-packet for what node:dns (c-ares) cannot ask: record types it has no
 * resolver for (SPF, 99), and later the DO bit / AD flag for DNSSEC. One question to one server:
 * UDP first, TCP when the answer comes back truncated; a timeout per try, a number of tries, a size
 * cap on what it reads; answers whose id or question do not match the query are ignored.
 */

export interface RawQuery {
  /** `ip`, `ip:port` or `[ip6]:port`. */
  server: string;
  name: string;
  /** A type dns-packet names: 'A', 'TXT', 'SPF', … */
  type: string;
  timeoutMs: number;
  tries: number;
  /** Set the DO bit (EDNS0) to ask for DNSSEC records and validation. */
  dnssecOk?: boolean;
  /** Largest response read, in octets (default 65535). */
  maxBytes?: number;
}

/**
 * One record of an answer section as dns-packet decodes it. Declared here, not as dns-packet's type,
 * so that the published declarations need no types for dns-packet (which ships none).
 */
export interface RawRecord {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  flush?: boolean;
  data?: unknown;
}

export interface RawAnswer {
  /** 'NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', … */
  rcode: string;
  /** Authenticated Data flag of the response. */
  ad: boolean;
  /** The UDP response was truncated (the answer given is then the TCP one, if TCP worked). */
  tc: boolean;
  /** The answer section as dns-packet decodes it; unknown types carry their raw rdata Buffer. */
  answers: RawRecord[];
}

/** A failed exchange: code ETIMEOUT, ECONNREFUSED, EBADRESP, … */
export class RawDnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const EDNS_PAYLOAD = 1232;
const DEFAULT_MAX_BYTES = 65535;

export function splitServer(server: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (v6) return { host: v6[1]!, port: Number(v6[2] ?? 53) };
  if (isIP(server) === 6) return { host: server, port: 53 };
  const v4 = /^([^:]+)(?::(\d+))?$/.exec(server);
  if (v4) return { host: v4[1]!, port: Number(v4[2] ?? 53) };
  throw new RawDnsError('EBADSERVER', `invalid DNS server ${JSON.stringify(server)}`);
}

function buildQuery(id: number, q: RawQuery): dnsPacket.Packet {
  const packet: dnsPacket.Packet = {
    id,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: q.name, type: q.type, class: 'IN' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: EDNS_PAYLOAD, flags: q.dnssecOk ? dnsPacket.DNSSEC_OK : 0 }],
  };
  return packet;
}

const sameName = (a: string, b: string) => a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

/** The decoded response if it answers this query, else undefined (a stray or spoofed packet). */
function matching(buf: Buffer, id: number, q: RawQuery): dnsPacket.DecodedPacket | undefined {
  let res: dnsPacket.DecodedPacket;
  try {
    res = dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
  if (res.type !== 'response' || res.id !== id) return undefined;
  const question = res.questions[0];
  if (res.questions.length !== 1 || !question) return undefined;
  if (!sameName(question.name, q.name) || question.type !== q.type) return undefined;
  return res;
}

function toAnswer(res: RawResponse, tc: boolean): RawAnswer {
  return { rcode: res.rcode, ad: res.flag_ad, tc, answers: res.answers };
}

function udpExchange(q: RawQuery, host: string, port: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const id = randomInt(0, 65536);
    const socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    let finished = false;
    const done = (err?: Error, res?: dnsPacket.DecodedPacket) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => done(new RawDnsError('ETIMEOUT', `${q.type} ${q.name}: no answer from ${host}:${port} in ${q.timeoutMs} ms`)), q.timeoutMs);
    socket.on('error', (err) => done(new RawDnsError((err as NodeJS.ErrnoException).code ?? 'ECONNREFUSED', err.message)));
    socket.on('message', (msg) => {
      if (msg.length > (q.maxBytes ?? DEFAULT_MAX_BYTES)) return;
      const res = matching(msg, id, q);
      if (res) done(undefined, res);
    });
    socket.send(dnsPacket.encode(buildQuery(id, q)), port, host);
  });
}

/** What `tcpExchange` gives of a response (a decoded packet has more; this much is public API's reach). */
export interface RawResponse {
  rcode: string;
  flag_ad: boolean;
  flag_tc: boolean;
  answers: RawRecord[];
}

export function tcpExchange(q: RawQuery, host: string, port: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const id = randomInt(0, 65536);
    const socket = new Socket();
    const max = (q.maxBytes ?? DEFAULT_MAX_BYTES) + 2;
    let buf = Buffer.alloc(0);
    let finished = false;
    const done = (err?: Error, res?: dnsPacket.DecodedPacket) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => done(new RawDnsError('ETIMEOUT', `${q.type} ${q.name}: no answer from ${host}:${port} over TCP in ${q.timeoutMs} ms`)), q.timeoutMs);
    socket.on('error', (err) => done(new RawDnsError((err as NodeJS.ErrnoException).code ?? 'ECONNREFUSED', err.message)));
    socket.on('close', () => done(new RawDnsError('EBADRESP', `${q.type} ${q.name}: ${host}:${port} closed the TCP connection without an answer`)));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > max) return done(new RawDnsError('EBADRESP', `${q.type} ${q.name}: TCP answer longer than ${max - 2} octets`));
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < len + 2) return;
        const res = matching(buf.subarray(2, len + 2), id, q);
        if (res) return done(undefined, res);
        buf = buf.subarray(len + 2);
      }
    });
    socket.connect(port, host, () => socket.write(dnsPacket.streamEncode(buildQuery(id, q))));
  });
}

/**
 * Asks one question of one server. Tries UDP `tries` times; a truncated answer is asked again over
 * TCP. Throws RawDnsError when no usable answer came (ETIMEOUT, ECONNREFUSED, EBADRESP).
 */
export async function rawQuery(q: RawQuery): Promise<RawAnswer> {
  const { host, port } = splitServer(q.server);
  let last: unknown;
  for (let attempt = 0; attempt < Math.max(1, q.tries); attempt++) {
    try {
      const res = await udpExchange(q, host, port);
      if (!res.flag_tc) return toAnswer(res, false);
      try {
        return toAnswer(await tcpExchange(q, host, port), true);
      } catch (err) {
        last = err;
        continue;
      }
    } catch (err) {
      last = err;
      if (err instanceof RawDnsError && err.code !== 'ETIMEOUT') break;
    }
  }
  throw last instanceof RawDnsError ? last : new RawDnsError('EUNKNOWN', String(last));
}

/** Character-strings of TXT-format rdata (TXT, SPF): length-prefixed, decoded as UTF-8. */
export function characterStrings(rdata: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < rdata.length; ) {
    const len = rdata[i]!;
    out.push(rdata.subarray(i + 1, i + 1 + len).toString('utf8'));
    i += 1 + len;
  }
  return out;
}
