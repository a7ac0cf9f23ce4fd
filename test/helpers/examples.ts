/**
 * Rule examples as zones: `examples.bad` / `examples.good` of a rule are zone-file lines relative to
 * `$ORIGIN example.com.`, laid over the clean baseline zone (fixtures/_examples/baseline.zone):
 *
 * - every RRset (owner + type) the example publishes replaces the baseline's RRset of that owner and type;
 * - `; delete OWNER TYPE` removes a baseline RRset (OWNER relative to example.com, `@` for the apex);
 * - `; policy {JSON}` audits the example with that entry of `.mailauditrc.json` `domains."example.com"`
 *   (expected MX hosts, SPF includes, parked);
 * - `; audit NAME` audits NAME (relative to example.com) instead of the apex: a subdomain of the zone,
 *   for rules about what a subdomain inherits from its parent (dmarc-inherited);
 * - other comments are comments. An example that does not parse is kept as written (zone-syntax-error).
 *
 * docs/examples.md and ARCHITECTURE.md describe the same convention: keep them in step.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import net, { isIP } from 'node:net';
import { parseZone, ZoneSyntaxError } from '../../src/dns/zonefile.js';
import type { DnsSource, RRType } from '../../src/dns/types.js';
import type { DomainPolicy } from '../../src/facts/index.js';

export const EXAMPLE_DOMAIN = 'example.com';
export const BASELINE_FILE = 'fixtures/_examples/baseline.zone';

export interface LaidExample {
  /** The whole zone: baseline minus what the example replaces or deletes, then the example. */
  zone: string;
  policy?: DomainPolicy;
  /** The domain audited: example.com unless `; audit NAME` names one of its subdomains. */
  domain: string;
}

const absolute = (owner: string) => (owner === '@' ? EXAMPLE_DOMAIN : owner.endsWith('.') ? owner.slice(0, -1).toLowerCase() : `${owner.toLowerCase()}.${EXAMPLE_DOMAIN}`);

export function layExample(example: string, baseline: string = readFileSync(BASELINE_FILE, 'utf8')): LaidExample {
  const drop = new Set<string>();
  let policy: DomainPolicy | undefined;
  let domain = EXAMPLE_DOMAIN;
  for (const line of example.split('\n')) {
    const del = /^\s*;\s*delete\s+(\S+)\s+([A-Za-z0-9]+)\s*$/i.exec(line);
    if (del) drop.add(`${absolute(del[1]!)} ${del[2]!.toUpperCase()}`);
    const pol = /^\s*;\s*policy\s+(\{.*\})\s*$/i.exec(line);
    if (pol) policy = JSON.parse(pol[1]!) as DomainPolicy;
    const aud = /^\s*;\s*audit\s+(\S+)\s*$/i.exec(line);
    if (aud) domain = absolute(aud[1]!);
  }
  const header = `$ORIGIN ${EXAMPLE_DOMAIN}.\n$TTL 3600\n`;
  try {
    for (const r of parseZone(header + example, { file: 'example', origin: EXAMPLE_DOMAIN }).records) drop.add(`${r.name} ${r.type}`);
  } catch (err) {
    if (!(err instanceof ZoneSyntaxError)) throw err;
  }
  const base = parseZone(baseline, { file: BASELINE_FILE });
  const dropLines = new Set(base.records.filter((r) => drop.has(`${r.name} ${r.type}`)).map((r) => r.origin.line));
  const kept = baseline.split('\n').filter((_, i) => !dropLines.has(i + 1));
  const laid: LaidExample = { zone: `${kept.join('\n')}\n; --- the example ---\n${header}${example}\n`, domain };
  if (policy) laid.policy = policy;
  return laid;
}

/** DNS beyond the example zone: nothing exists (`.example` names are reserved; tests never go online). */
export const NOTHING_ELSE: DnsSource = {
  async resolve<T extends RRType>(name: string, type: T) {
    return { name, type, status: 'nxdomain' as const, records: [], source: 'dns' as const };
  },
};

/**
 * Connections the examples' audits attempted to addresses outside 127.0.0.0/8 and ::1, each refused
 * before any packet leaves the machine. `guardLoopbackOnly` patches net.Socket#connect (the SMTP
 * probe and node:https both connect through it) so a connection to any other address, by IP or by a
 * name its lookup resolves, fails with EACCES instead; the test asserts this list stays empty.
 */
export const blockedConnections: string[] = [];

const isLoopback = (address: string) => (isIP(address) === 4 ? address.startsWith('127.') : address === '::1' || /^::ffff:127\./i.test(address));

export function guardLoopbackOnly(): void {
  const proto = net.Socket.prototype as unknown as { connect: (...args: unknown[]) => unknown; __loopbackOnly?: true };
  if (proto.__loopbackOnly) return;
  const original = proto.connect;
  const refuse = (what: string) => {
    blockedConnections.push(what);
    return Object.assign(new Error(`the rule examples test refuses to connect to ${what} (not loopback)`), { code: 'EACCES' });
  };
  proto.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as (net.TcpNetConnectOpts & { path?: string }) | number | string | undefined;
    if (typeof options === 'object' && options !== null && !options.path) {
      const host = options.host ?? 'localhost';
      if (isIP(host)) {
        if (!isLoopback(host)) {
          process.nextTick(() => this.destroy(refuse(`${host}:${options.port}`)));
          return this;
        }
      } else {
        const lookup = options.lookup ?? (dnsLookup as unknown as net.LookupFunction);
        const guarded: net.LookupFunction = (hostname, opts, callback) =>
          lookup(hostname, opts, ((err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
            const list = err ? [] : Array.isArray(address) ? address.map((a) => a.address) : [address];
            const outside = list.find((a) => !isLoopback(a));
            if (outside !== undefined) return (callback as (e: Error) => void)(refuse(`${hostname} (${outside}):${options.port}`));
            (callback as (e: NodeJS.ErrnoException | null, a: string | LookupAddress[], f?: number) => void)(err, address, family);
          }) as never);
        options.lookup = guarded;
      }
    }
    return original.apply(this, args);
  };
  proto.__loopbackOnly = true;
}
