/**
 * A minimal DNS client on dns-packet, for what node:dns does not expose: the AD flag of an answer
 * (asked with the DO bit set) and records of any type. UDP first, TCP when the answer is truncated.
 * Every wait is bounded by `timeoutMs` per try; answers are capped at 64 KiB (the DNS maximum).
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface RawQueryOptions {
  /** `ip` or `ip:port` (IPv6 as `[ip]:port`); port 53 when none is given. */
  server: string;
  name: string;
  /** 'A', 'TXT', 'TLSA', … as dns-packet names them. */
  type: string;
  timeoutMs: number;
  /** Tries over UDP before giving up (each bounded by timeoutMs). */
  tries: number;
  /** Set the EDNS DO bit (RFC 3225), asking a validating resolver for DNSSEC data and the AD flag. */
  dnssecOk?: boolean;
}

export interface RawAnswer {
  /** 'NOERROR', 'NXDOMAIN', 'SERVFAIL', … */
  rcode: string;
  /** Authenticated Data: the resolver validated the answer with DNSSEC (RFC 4035 §3.2.3). */
  ad: boolean;
  /** The UDP answer was truncated (only set when TCP could not be used). */
  tc: boolean;
  answers: dnsPacket.Answer[];
}

/** An error with a c-ares-like code: ETIMEOUT, ECONNREFUSED, EBADRESP, … */
export class RawQueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function splitServer(server: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 53 };
  if (net.isIPv6(server)) return { host: server, port: 53 };
  const m = /^([^:]+)(?::(\d+))?$/.exec(server);
  if (!m) throw new RawQueryError('EBADSERVER', `bad DNS server ${server}`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 53 };
}

function buildQuery(opts: RawQueryOptions, id: number): dnsPacket.Packet {
  return {
    id,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED | (opts.dnssecOk ? dnsPacket.AUTHENTIC_DATA : 0),
    questions: [{ name: opts.name, type: opts.type, class: 'IN' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, flags: opts.dnssecOk ? dnsPacket.DNSSEC_OK : 0 }],
  };
}

function toAnswer(packet: dnsPacket.DecodedPacket): RawAnswer {
  return { rcode: packet.rcode, ad: packet.flag_ad, tc: packet.flag_tc, answers: packet.answers ?? [] };
}

function udpOnce(host: string, port: number, query: Buffer, id: number, timeoutMs: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const done = (err: Error | undefined, packet?: dnsPacket.DecodedPacket) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(packet!);
    };
    const timer = setTimeout(() => done(new RawQueryError('ETIMEOUT', `no answer from ${host}:${port} in ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => done(new RawQueryError((err as NodeJS.ErrnoException).code ?? 'ECONNREFUSED', err.message)));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== port) return;
      let packet: dnsPacket.DecodedPacket;
      try {
        packet = dnsPacket.decode(msg);
      } catch {
        return; // not ours or garbled: keep waiting until the timeout
      }
      if (packet.id !== id || packet.type !== 'response') return;
      done(undefined, packet);
    });
    socket.send(query, port, host, (err) => {
      if (err) done(new RawQueryError((err as NodeJS.ErrnoException).code ?? 'ECONNREFUSED', err.message));
    });
  });
}

function tcpOnce(host: string, port: number, query: Buffer, id: number, timeoutMs: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = Buffer.alloc(0);
    const done = (err: Error | undefined, packet?: dnsPacket.DecodedPacket) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(packet!);
    };
    const timer = setTimeout(() => done(new RawQueryError('ETIMEOUT', `no TCP answer from ${host}:${port} in ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => done(new RawQueryError((err as NodeJS.ErrnoException).code ?? 'ECONNREFUSED', err.message)));
    socket.on('connect', () => {
      const framed = Buffer.alloc(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 2) return;
      const len = buffer.readUInt16BE(0);
      if (buffer.length < 2 + len) return;
      try {
        const packet = dnsPacket.decode(buffer.subarray(2, 2 + len));
        if (packet.id !== id) done(new RawQueryError('EBADRESP', 'answer id does not match the query'));
        else done(undefined, packet);
      } catch {
        done(new RawQueryError('EBADRESP', 'malformed DNS answer'));
      }
    });
    socket.on('end', () => done(new RawQueryError('ECONNRESET', 'connection closed before the answer')));
  });
}

/** Asks one server one question; rejects with a RawQueryError when no usable answer comes back. */
export async function rawQuery(opts: RawQueryOptions): Promise<RawAnswer> {
  const { host, port } = splitServer(opts.server);
  const id = randomInt(0, 0x10000);
  const query = dnsPacket.encode(buildQuery(opts, id));
  const tries = Math.max(1, opts.tries);
  let lastError: Error = new RawQueryError('ETIMEOUT', 'no answer');
  for (let i = 0; i < tries; i++) {
    let packet: dnsPacket.DecodedPacket;
    try {
      packet = await udpOnce(host, port, query, id, opts.timeoutMs);
    } catch (err) {
      lastError = err as Error;
      if ((err as RawQueryError).code !== 'ETIMEOUT') break;
      continue;
    }
    if (!packet.flag_tc) return toAnswer(packet);
    try {
      return toAnswer(await tcpOnce(host, port, query, id, opts.timeoutMs));
    } catch {
      return toAnswer(packet); // keep the truncated answer: its flags are still meaningful
    }
  }
  throw lastError;
}
