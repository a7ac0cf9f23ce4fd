import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import { ConcurrencyLimit } from './limit.js';
import { RawDnsError, splitServer, tcpExchange, type RawAnswer } from './raw.js';

/**
 * The DNS client of every live question (issue 15, issue 12.8): one UDP socket per server, queries
 * matched by ID and question, answers accepted only from the address and port asked, one timer
 * queue that never keeps the process alive, the socket replaced after QUERIES_PER_SOCKET queries
 * (a fresh source port: RFC 5452 §9.2), TCP when an answer comes back truncated, `tries` rounds over
 * the servers, and a bound on the questions outstanding at once.
 *
 * Names go on the wire as given (RFC 2181 §11: any octet in a label), encoded as UTF-8; only a name
 * that cannot be encoded at all (an empty label, a label over 63 octets, over 253 octets in all)
 * is refused, with EBADNAME.
 */

export interface DnsClientOptions {
  /** `ip`, `ip:port` or `[ip6]:port`, asked in order. */
  servers: string[];
  /** Per try, in milliseconds. */
  timeoutMs: number;
  /** Rounds over the servers. */
  tries: number;
  /** Questions outstanding at once (all tries of a question count as one). */
  maxInFlight: number;
  /** Largest response read, in octets (default 65535). */
  maxBytes?: number;
  /** Queries sent on one UDP socket before it is replaced (default QUERIES_PER_SOCKET). */
  queriesPerSocket?: number;
}

export interface ClientQuestion {
  name: string;
  /** A type dns-packet names: 'A', 'TXT', 'SPF', … */
  type: string;
  /** Set the DO bit (RFC 3225) to learn whether the resolver validated the answer (AD). */
  dnssecOk?: boolean;
}

export const QUERIES_PER_SOCKET = 4096;
const EDNS_PAYLOAD = 1232;
const DEFAULT_MAX_BYTES = 65535;

/** Lower-case, without one trailing dot. Only ASCII letters fold (RFC 4343). */
export const canonicalName = (name: string): string => (name.endsWith('.') ? name.slice(0, -1) : name).replace(/[A-Z]+/g, (s) => s.toLowerCase());

/** Why a name cannot go on the wire, or undefined. */
export function nameProblem(name: string): string | undefined {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n === '') return undefined;
  let total = 1;
  for (const label of n.split('.')) {
    const bytes = Buffer.byteLength(label);
    if (bytes === 0) return 'an empty label';
    if (bytes > 63) return `a label of ${bytes} octets (at most 63)`;
    total += bytes + 1;
  }
  return total > 255 ? `${total} octets (at most 255)` : undefined;
}

interface Pending {
  id: number;
  name: string;
  type: string;
  deadline: number;
  channel: Channel;
  settled: boolean;
  resolve(res: dnsPacket.DecodedPacket): void;
  reject(err: RawDnsError): void;
}

/** One UDP socket to one server, and the questions waiting for an answer on it. */
interface Channel {
  socket: dgram.Socket;
  /** Queries waiting for the socket to be connected (connect is asynchronous). */
  unsent: { packet: Buffer; pending: Pending }[] | undefined;
  pending: Map<number, Pending>;
  sent: number;
  retired: boolean;
}

interface Server {
  text: string;
  host: string;
  /** The host as rinfo reports it (IPv6 in its compressed form). */
  address: string;
  port: number;
  family: 'udp4' | 'udp6';
  current?: Channel;
}

const noop = (): void => {};

const canonicalAddress = (host: string): string => (isIP(host) === 6 ? new URL(`http://[${host}]/`).hostname.slice(1, -1) : host);

export class DnsClient {
  private readonly servers: Server[];
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly maxBytes: number;
  private readonly perSocket: number;
  readonly limit: ConcurrencyLimit;
  /** Deadlines in order of sending: every try has the same timeout, so the queue is FIFO. */
  private queue: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: DnsClientOptions) {
    this.servers = options.servers.map((text) => {
      const { host, port } = splitServer(text);
      if (!isIP(host)) throw new RawDnsError('EBADSERVER', `invalid DNS server ${JSON.stringify(text)}`);
      return { text, host, address: canonicalAddress(host), port, family: isIP(host) === 6 ? 'udp6' : 'udp4' };
    });
    this.timeoutMs = Math.max(1, options.timeoutMs);
    this.tries = Math.max(1, Math.floor(options.tries));
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.perSocket = options.queriesPerSocket ?? QUERIES_PER_SOCKET;
    this.limit = new ConcurrencyLimit(options.maxInFlight);
  }

  /** The servers asked, as given. */
  get serverList(): string[] {
    return this.servers.map((s) => s.text);
  }

  /**
   * Asks one question: `tries` rounds over the servers; a timeout tries the next server (or the next
   * round), an error response (SERVFAIL, REFUSED, …) the next server of the round. Resolves with the
   * first NOERROR or NXDOMAIN answer, else the last error answer; throws RawDnsError when no server
   * answered at all (ETIMEOUT, EBADNAME, a socket error).
   */
  query(q: ClientQuestion): Promise<RawAnswer> {
    const problem = nameProblem(q.name);
    if (problem) return Promise.reject(new RawDnsError('EBADNAME', `${q.type} ${q.name}: not a domain name: ${problem}`));
    return this.limit.run(() => this.ask(q));
  }

  private async ask(q: ClientQuestion): Promise<RawAnswer> {
    let lastAnswer: RawAnswer | undefined;
    let lastError: RawDnsError | undefined;
    for (let round = 0; round < this.tries; round++) {
      let answered = false;
      for (const server of this.servers) {
        try {
          const res = await this.udp(server, q);
          let answer: RawAnswer = { rcode: res.rcode, ad: res.flag_ad, tc: res.flag_tc, answers: res.answers };
          if (res.flag_tc) {
            const tcp = await tcpExchange({ ...q, server: server.text, timeoutMs: this.timeoutMs, tries: 1, maxBytes: this.maxBytes }, server.host, server.port);
            answer = { rcode: tcp.rcode, ad: tcp.flag_ad, tc: true, answers: tcp.answers };
          }
          if (answer.rcode === 'NOERROR' || answer.rcode === 'NXDOMAIN') return answer;
          lastAnswer = answer;
          answered = true;
        } catch (err) {
          lastError = err instanceof RawDnsError ? err : new RawDnsError('EUNKNOWN', String(err));
        }
      }
      // Every server answered with an error: asking again would only repeat it.
      if (answered && lastAnswer) return lastAnswer;
    }
    if (lastAnswer) return lastAnswer;
    throw lastError ?? new RawDnsError('ENOSERVER', 'no DNS server to ask');
  }

  private channel(server: Server): Channel {
    let ch = server.current;
    if (ch && ch.sent < this.perSocket) return ch;
    if (ch) {
      ch.retired = true;
      if (ch.pending.size === 0) ch.socket.close();
    }
    const socket = dgram.createSocket(server.family);
    const fresh: Channel = { socket, unsent: [], pending: new Map(), sent: 0, retired: false };
    // Connected: the kernel drops datagrams from any other address, sends need no address lookup, and
    // an ICMP port unreachable comes back as ECONNREFUSED instead of a timeout.
    socket.connect(server.port, server.host, () => {
      const unsent = fresh.unsent ?? [];
      fresh.unsent = undefined;
      for (const { packet, pending } of unsent) this.send(fresh, packet, pending);
    });
    socket.on('message', (msg, rinfo) => this.onMessage(server, fresh, msg, rinfo));
    socket.on('error', (err) => {
      // A socket-level error (EMFILE at bind, ECONNREFUSED, …) fails every question waiting on it.
      const code = (err as NodeJS.ErrnoException).code ?? 'ESOCKET';
      fresh.unsent = undefined;
      for (const p of [...fresh.pending.values()]) this.settle(p, new RawDnsError(code, err.message));
      fresh.retired = true;
      if (server.current === fresh) server.current = undefined;
      try {
        socket.close();
      } catch {
        // already closed
      }
    });
    server.current = fresh;
    return fresh;
  }

  private udp(server: Server, q: ClientQuestion): Promise<dnsPacket.DecodedPacket> {
    return new Promise((resolve, reject) => {
      const ch = this.channel(server);
      let id = randomInt(0, 65536);
      while (ch.pending.has(id)) id = (id + 1) & 0xffff;
      const p: Pending = {
        id,
        name: canonicalName(q.name),
        type: q.type,
        deadline: Date.now() + this.timeoutMs,
        channel: ch,
        settled: false,
        resolve,
        reject,
      };
      let packet: Buffer;
      try {
        packet = dnsPacket.encode({
          id,
          type: 'query',
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ name: q.name, type: q.type, class: 'IN' }],
          additionals: [{ name: '.', type: 'OPT', udpPayloadSize: EDNS_PAYLOAD, flags: q.dnssecOk ? dnsPacket.DNSSEC_OK : 0 }],
        });
      } catch (err) {
        reject(new RawDnsError('EBADNAME', `${q.type} ${q.name}: ${(err as Error).message}`));
        return;
      }
      if (ch.pending.size === 0) ch.socket.ref();
      ch.pending.set(id, p);
      ch.sent++;
      this.enqueue(p);
      if (ch.unsent) ch.unsent.push({ packet, pending: p });
      else this.send(ch, packet, p);
    });
  }

  private send(ch: Channel, packet: Buffer, p: Pending): void {
    if (p.settled) return;
    try {
      ch.socket.send(packet, (err) => {
        if (err) this.settle(p, new RawDnsError((err as NodeJS.ErrnoException).code ?? 'ESEND', err.message));
      });
    } catch (err) {
      this.settle(p, new RawDnsError((err as NodeJS.ErrnoException).code ?? 'ESEND', (err as Error).message));
    }
  }

  private onMessage(server: Server, ch: Channel, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.port !== server.port) return;
    if (rinfo.address !== server.address && canonicalAddress(rinfo.address) !== server.address) return;
    if (msg.length < 12 || msg.length > this.maxBytes) return;
    const p = ch.pending.get(msg.readUInt16BE(0));
    if (!p) return;
    let res: dnsPacket.DecodedPacket;
    try {
      res = dnsPacket.decode(msg);
    } catch {
      return; // garbage with a matching id: keep waiting for the real answer
    }
    const question = res.questions[0];
    if (res.type !== 'response' || res.questions.length !== 1 || !question) return;
    if (question.type !== p.type || canonicalName(question.name) !== p.name) return;
    this.settle(p, undefined, res);
  }

  private settle(p: Pending, err?: RawDnsError, res?: dnsPacket.DecodedPacket): void {
    if (p.settled) return;
    p.settled = true;
    const ch = p.channel;
    ch.pending.delete(p.id);
    if (ch.pending.size === 0) {
      if (ch.retired) ch.socket.close();
      else ch.socket.unref();
    }
    const { resolve, reject } = p;
    // The timer queue holds settled entries until their deadline: keep nothing big reachable from them.
    p.resolve = p.reject = noop;
    if (err) reject(err);
    else resolve(res!);
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    if (!this.timer) this.arm(p.deadline);
  }

  private arm(at: number): void {
    // Expired in the check phase, after the poll phase has read what arrived: when the event loop was
    // busy past a deadline, an answer already waiting in the socket is taken, not timed out.
    this.timer = setTimeout(() => setImmediate(() => this.expire()), Math.max(1, at - Date.now()));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    while (this.head < this.queue.length) {
      const p = this.queue[this.head]!;
      if (!p.settled && p.deadline > now) break;
      this.head++;
      if (!p.settled) this.settle(p, new RawDnsError('ETIMEOUT', `${p.type} ${p.name}: no answer in ${this.timeoutMs} ms`));
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const next = this.queue[this.head];
    if (next) this.arm(next.deadline);
  }
}
