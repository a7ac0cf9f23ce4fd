import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import { BoundedMap } from './cache.js';
import { canonicalName, DnsClient } from './client.js';
import { interpret } from './interpret.js';
import { RawDnsError, type RawAnswer } from './raw.js';
import type { DnsAnswer, DnsSource, RRType } from './types.js';

export interface LiveDnsOptions {
  /** Servers as `ip` or `ip:port` (IPv6 as `[ip]:port`); empty = the system's resolvers. */
  servers?: string[];
  /** Per-query timeout in milliseconds. */
  timeoutMs?: number;
  /** Tries per server. */
  tries?: number;
  /** Questions outstanding at once (default 64). */
  maxInFlight?: number;
  /** A client to share (with the DNSSEC check); the options above are then its own. */
  client?: DnsClient;
}

export const DEFAULT_DNS_TIMEOUT_MS = 5000;
export const DEFAULT_DNS_TRIES = 2;
export const DEFAULT_DNS_IN_FLIGHT = 64;

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

/**
 * DNS through the system's (or the given) recursive resolvers, with the project's own client
 * (src/dns/client.ts): node:dns (c-ares) hides the owner names of answer records (issue 12.8),
 * refuses names RFC 2181 §11 allows (EBADNAME), and costs more CPU per question (BENCHMARKS.md).
 */
export class LiveDnsSource implements DnsSource {
  readonly client: DnsClient;
  /**
   * Questions with the DO bit, shared with the DNSSEC check (its MX question is the MX answer). Both
   * ask at the start of a domain's audit, so a few hundred recent ones are enough.
   */
  private readonly withDo = new BoundedMap<string, Promise<RawAnswer>>(512);

  constructor(options: LiveDnsOptions = {}) {
    this.client =
      options.client ??
      new DnsClient({
        servers: options.servers?.length ? options.servers : getServers(),
        timeoutMs: options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS,
        tries: options.tries ?? DEFAULT_DNS_TRIES,
        maxInFlight: options.maxInFlight ?? DEFAULT_DNS_IN_FLIGHT,
      });
  }

  async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    try {
      const raw = type === 'MX' ? await this.askWithDo(name, type) : await this.client.query({ name, type });
      return { ...interpret(name, type, raw), servers: this.client.serverList };
    } catch (err) {
      const code = err instanceof RawDnsError ? err.code : 'EUNKNOWN';
      return { name, type, status: 'error', records: [], error: code, source: 'dns', servers: this.client.serverList };
    }
  }

  /**
   * The question with the DO bit set (RFC 3225), asked once for both its askers: the MX collector
   * (records) and the DNSSEC check (AD flag). A validating resolver gives the same records with or
   * without DO, and fails a bogus answer (SERVFAIL) either way.
   */
  askWithDo(name: string, type: string): Promise<RawAnswer> {
    const key = `${type} ${canonicalName(name)}`;
    let answer = this.withDo.get(key);
    if (!answer) {
      answer = this.client.query({ name, type, dnssecOk: true });
      this.withDo.set(key, answer);
      answer.catch(() => {});
    }
    return answer;
  }
}
