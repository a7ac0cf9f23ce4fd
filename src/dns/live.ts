import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import { ConcurrencyLimit } from './limit.js';
import { characterStrings, RawDnsError, rawQuery } from './raw.js';
import type { DnsAnswer, DnsSource, RRType, RecordDataByType } from './types.js';

export interface LiveDnsOptions {
  /** Servers as `ip` or `ip:port` (IPv6 as `[ip]:port`); empty = the system's resolvers. */
  servers?: string[];
  /** Per-query timeout in milliseconds. */
  timeoutMs?: number;
  /** Tries per server. */
  tries?: number;
  /** Questions outstanding at once (default 64). */
  maxInFlight?: number;
}

export const DEFAULT_DNS_TIMEOUT_MS = 5000;
export const DEFAULT_DNS_TRIES = 2;
export const DEFAULT_DNS_IN_FLIGHT = 64;

type Resolver = dnsPromises.Resolver;

const strip = (name: string): string => name.replace(/\.$/, '').toLowerCase();

/** Per record type: how node:dns asks, and how its answer becomes our typed data. */
const QUERIES: { [T in RRType]?: (r: Resolver, name: string) => Promise<RecordDataByType[T][]> } = {
  A: (r, n) => r.resolve4(n),
  AAAA: (r, n) => r.resolve6(n),
  MX: async (r, n) => (await r.resolveMx(n)).map((m) => ({ preference: m.priority, exchange: strip(m.exchange) })),
  TXT: async (r, n) => (await r.resolveTxt(n)).map((chunks) => chunks.map(decodeTxt)),
  CNAME: async (r, n) => (await r.resolveCname(n)).map(strip),
  NS: async (r, n) => (await r.resolveNs(n)).map(strip),
  PTR: async (r, n) => (await r.resolvePtr(n)).map(strip),
  SOA: async (r, n) => {
    const s = await r.resolveSoa(n);
    return [
      {
        mname: strip(s.nsname),
        rname: strip(s.hostmaster),
        serial: s.serial,
        refresh: s.refresh,
        retry: s.retry,
        expire: s.expire,
        minimum: s.minttl,
      },
    ];
  },
  CAA: async (r, n) =>
    (await r.resolveCaa(n)).map((c) => {
      const { critical, ...rest } = c as unknown as Record<string, unknown> & { critical: number };
      const tag = Object.keys(rest)[0] ?? '';
      return { flags: critical, tag, value: String(rest[tag] ?? '') };
    }),
  SRV: async (r, n) =>
    (await r.resolveSrv(n)).map((s) => ({ priority: s.priority, weight: s.weight, port: s.port, target: strip(s.name) })),
  TLSA: async (r, n) => {
    const records = await (
      r as unknown as {
        resolveTlsa(n: string): Promise<{ certUsage: number; selector: number; match: number; data: ArrayBuffer }[]>;
      }
    ).resolveTlsa(n);
    return records.map((t) => ({
      usage: t.certUsage,
      selector: t.selector,
      matchingType: t.match,
      data: Buffer.from(t.data).toString('hex'),
    }));
  },
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** c-ares hands TXT bytes over one character per byte (latin1): read them as UTF-8 where they are. */
function decodeTxt(latin1: string): string {
  if (!/[\x80-\xff]/.test(latin1)) return latin1;
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return latin1;
  }
}

/** c-ares error codes that mean the name or the data does not exist. */
const ABSENT: Record<string, 'nxdomain' | 'nodata'> = { ENOTFOUND: 'nxdomain', ENODATA: 'nodata' };

/** Validates `ip` or `ip:port` / `[ip6]:port`; returns the form node:dns accepts, or throws with a reason. */
export function parseDnsServer(text: string): string {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4 = /^([0-9.]+)(?::(\d+))?$/.exec(text);
  const [ip, port] = v6 ? [v6[1]!, v6[2]] : v4 ? [v4[1]!, v4[2]] : [text, undefined];
  if (!isIP(ip)) throw new Error(`invalid --dns-server ${JSON.stringify(text)}: expected IP or IP:PORT`);
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw new Error(`invalid --dns-server ${JSON.stringify(text)}: port must be 1-65535`);
  }
  if (isIP(ip) === 6) return port ? `[${ip}]:${port}` : ip;
  return port ? `${ip}:${port}` : ip;
}

/** Response codes of a raw answer other than NOERROR/NXDOMAIN, as c-ares names them. */
const RCODE_ERRORS: Record<string, string> = { SERVFAIL: 'ESERVFAIL', REFUSED: 'EREFUSED', NOTIMP: 'ENOTIMP', FORMERR: 'EFORMERR' };

/** DNS through the system's (or the given) recursive resolvers, with node:dns (c-ares). */
export class LiveDnsSource implements DnsSource {
  private readonly resolver: Resolver;
  private readonly hardLimitMs: number;
  /** What the user allowed per question: timeout × tries. */
  private readonly budgetMs: number;
  private readonly servers: string[];
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly limit: ConcurrencyLimit;

  constructor(options: LiveDnsOptions = {}) {
    const timeout = options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
    const tries = options.tries ?? DEFAULT_DNS_TRIES;
    this.resolver = new dnsPromises.Resolver({ timeout, tries, maxTimeout: timeout } as ConstructorParameters<
      typeof dnsPromises.Resolver
    >[0]);
    if (options.servers?.length) this.resolver.setServers(options.servers);
    this.servers = options.servers?.length ? [...options.servers] : dnsPromises.getServers();
    this.timeoutMs = timeout;
    this.tries = tries;
    const servers = options.servers?.length || this.resolver.getServers().length || 1;
    // c-ares is bounded by timeout × tries per server; this is a backstop should it ever not be.
    this.hardLimitMs = timeout * tries * servers + 1000;
    this.budgetMs = timeout * tries;
    this.limit = new ConcurrencyLimit(options.maxInFlight ?? DEFAULT_DNS_IN_FLIGHT);
  }

  /**
   * c-ares (1.2x+) adapts its timeouts to the latency it has seen and checks them on a 1 s tick, so
   * after fast answers a burst of questions (DKIM selectors) can get ETIMEOUT long before the timeout
   * the user gave. Such an early timeout is asked again while the user's budget lasts.
   */
  private async ask<T extends RRType>(query: (r: Resolver, n: string) => Promise<RecordDataByType[T][]>, name: string) {
    const started = Date.now();
    for (;;) {
      try {
        return await query(this.resolver, name);
      } catch (err) {
        const early = (err as NodeJS.ErrnoException).code === 'ETIMEOUT' && Date.now() - started < this.budgetMs - 100;
        if (!early) throw err;
      }
    }
  }

  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    return this.limit.run(() => this.resolveNow(name, type));
  }

  private async resolveNow<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    if (type === 'SPF') return (await this.resolveRaw(name, 'SPF')) as DnsAnswer<T>;
    const query = QUERIES[type] as ((r: Resolver, n: string) => Promise<RecordDataByType[T][]>) | undefined;
    if (!query) return { name, type, status: 'error', records: [], error: 'ENOTIMP', source: 'dns' };
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })), this.hardLimitMs);
    });
    try {
      const records = await Promise.race([this.ask(query, name), backstop]);
      return { name, type, status: records.length ? 'ok' : 'nodata', records, source: 'dns' };
    } catch (err) {
      const code = String((err as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
      if (code === 'EBADNAME') return this.resolveBadName(name, type);
      const absent = ABSENT[code];
      if (absent) return { name, type, status: absent, records: [], source: 'dns' };
      return { name, type, status: 'error', records: [], error: code, source: 'dns' };
    } finally {
      clearTimeout(timer);
    }
  }

  // --- SPF branch (issue 13): names c-ares refuses, asked through the raw client. Keep or drop at merge
  // once every question goes through src/dns/raw.ts (branch `dns`). ---
  /**
   * c-ares answers EBADNAME without asking anyone for names RFC 2181 §11 allows (any octet in a
   * label: `foo:bar/baz.example.com`, an SPF macro expanded to spaces or `%`); ask them on the wire.
   */
  private async resolveBadName<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const convert: Partial<Record<RRType, (data: unknown) => unknown>> = {
      A: String,
      AAAA: String,
      PTR: (d) => strip(String(d)),
      CNAME: (d) => strip(String(d)),
      MX: (d) => ({ preference: (d as { preference: number }).preference, exchange: strip(String((d as { exchange: string }).exchange)) }),
      TXT: (d) => (d as Buffer[]).map((b) => decodeTxt(b.toString('latin1'))),
    };
    const to = convert[type];
    const labels = name.replace(/\.$/, '').split('.');
    // An empty label or one over 63 octets cannot be written on the wire at all (RFC 1035 §2.3.4, §3.1).
    if (!to || labels.some((l) => l === '' || Buffer.byteLength(l) > 63) || Buffer.byteLength(name) > 253) return { name, type, status: 'error', records: [], error: 'EBADNAME', source: 'dns' };
    let error = 'ENOSERVER';
    for (const server of this.servers) {
      try {
        const res = await rawQuery({ server, name, type, timeoutMs: this.timeoutMs, tries: this.tries, maxBytes: 65535 });
        if (res.rcode === 'NXDOMAIN') return { name, type, status: 'nxdomain', records: [], source: 'dns' };
        if (res.rcode !== 'NOERROR') {
          error = RCODE_ERRORS[res.rcode] ?? `E${res.rcode}`;
          continue;
        }
        const records = res.answers.filter((a) => a.type === type).map((a) => to(a.data)) as RecordDataByType[T][];
        return { name, type, status: records.length ? 'ok' : 'nodata', records, source: 'dns' };
      } catch (err) {
        error = err instanceof RawDnsError ? err.code : 'EUNKNOWN';
      }
    }
    return { name, type, status: 'error', records: [], error, source: 'dns' };
  }
  // --- end of the SPF branch's EBADNAME fallback ---

  /** Types node:dns cannot ask (SPF, 99): through src/dns/raw.ts, each server in turn. */
  private async resolveRaw(name: string, type: 'SPF'): Promise<DnsAnswer<'SPF'>> {
    let error = 'ENOSERVER';
    for (const server of this.servers) {
      try {
        const res = await rawQuery({ server, name, type, timeoutMs: this.timeoutMs, tries: this.tries, maxBytes: 65535 });
        if (res.rcode === 'NXDOMAIN') return { name, type, status: 'nxdomain', records: [], source: 'dns' };
        if (res.rcode !== 'NOERROR') {
          error = RCODE_ERRORS[res.rcode] ?? `E${res.rcode}`;
          continue;
        }
        const records = res.answers
          .filter((a) => a.type === type && Buffer.isBuffer(a.data))
          .map((a) => characterStrings(a.data as Buffer));
        return { name, type, status: records.length ? 'ok' : 'nodata', records, source: 'dns' };
      } catch (err) {
        error = err instanceof RawDnsError ? err.code : 'EUNKNOWN';
      }
    }
    return { name, type, status: 'error', records: [], error, source: 'dns' };
  }
}
