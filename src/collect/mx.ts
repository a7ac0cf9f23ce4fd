import { isIP } from 'node:net';
import { reverseName } from '../dns/reverse.js';
import type { MxFacts, MxHostFact, MxReverseFact, Presence } from '../facts/index.js';
import { presenceOf, type CollectContext } from './context.js';

const IPV4_LIKE = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * MX hosts whose addresses, alias and reverse DNS are looked up, in preference order (and then DANE
 * and DNSSEC): an MX answer can hold a thousand hosts, and each costs several questions. The others
 * are listed with `resolved: false` (MxFacts.unresolvedHosts counts them); every host is still
 * counted and matched against an MTA-STS policy.
 */
export const MAX_MX_HOSTS_RESOLVED = 32;

function isIpLiteral(exchange: string): boolean {
  const bare = exchange.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 || IPV4_LIKE.test(bare);
}

/** A and AAAA of a name, together: found if either has addresses, undetermined if either failed. */
export async function addressesOf(ctx: CollectContext, name: string): Promise<{ addresses: string[]; status: Presence }> {
  const [a, aaaa] = await Promise.all([ctx.dns.resolve(name, 'A'), ctx.dns.resolve(name, 'AAAA')]);
  const addresses = [...a.records, ...aaaa.records];
  const failed = a.status === 'error' || aaaa.status === 'error';
  const status: Presence = addresses.length ? 'found' : failed ? 'undetermined' : 'absent';
  return { addresses, status };
}

async function describeHost(ctx: CollectContext, preference: number, exchange: string, resolve = true): Promise<MxHostFact> {
  const host: MxHostFact = {
    preference,
    exchange,
    isNull: exchange === '',
    ipLiteral: exchange !== '' && isIpLiteral(exchange),
    addresses: [],
    addressStatus: 'absent',
  };
  if (host.isNull || host.ipLiteral) return host;
  if (!resolve) {
    // Not looked up (over MAX_MX_HOSTS_RESOLVED): unknown, and no rule reads it as "no address".
    host.addressStatus = 'undetermined';
    host.resolved = false;
    return host;
  }
  const [cname, addrs] = await Promise.all([ctx.dns.resolve(exchange, 'CNAME'), addressesOf(ctx, exchange)]);
  if (cname.status === 'ok' && cname.records[0]) host.cname = cname.records[0];
  host.addresses = addrs.addresses;
  host.addressStatus = addrs.status;
  const routable = host.addresses.filter((a) => !isLoopback(a));
  if (routable.length) host.reverse = await Promise.all(routable.map((a) => reverseOf(ctx, exchange, a)));
  return host;
}

/** Loopback addresses have no reverse DNS on the internet to check (a lab or test zone uses them). */
const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';

/** Forward-confirmed reverse DNS of one address: its PTR names, and whether one resolves back to it. */
async function reverseOf(ctx: CollectContext, host: string, address: string): Promise<MxReverseFact> {
  const name = reverseName(address);
  const answer = await ctx.dns.resolve(name, 'PTR');
  const fact: MxReverseFact = { host, address, name, status: presenceOf(answer), ptr: answer.records, ptrText: answer.records.join(', ') || 'none' };
  if (fact.status === 'absent') {
    fact.confirmed = false;
    fact.mismatch = true;
  } else if (fact.status === 'found') {
    const forward = await Promise.all(fact.ptr.map((p) => addressesOf(ctx, p)));
    fact.confirmed = forward.some((f) => f.addresses.includes(address));
    if (!fact.confirmed && forward.some((f) => f.status === 'undetermined')) delete fact.confirmed;
    else fact.mismatch = !fact.confirmed;
  }
  return fact;
}

/** MX records of the domain (RFC 5321 §5.1, RFC 7505), each target's addresses and aliasing. */
export async function collectMx(ctx: CollectContext): Promise<MxFacts> {
  const answer = await ctx.dns.resolve(ctx.domain, 'MX');
  const status = presenceOf(answer);
  const facts: MxFacts = { status, hosts: [], nullMx: false, nullMixed: false, hostCount: 0 };
  if (status === 'absent') {
    const implicit = await addressesOf(ctx, ctx.domain);
    facts.implicitAddresses = implicit.addresses;
    return facts;
  }
  if (status !== 'found') return facts;
  const order = answer.records
    .map((data, i) => ({ data, origin: answer.origins?.[i] }))
    .sort((x, y) => x.data.preference - y.data.preference || x.data.exchange.localeCompare(y.data.exchange));
  facts.hosts = await Promise.all(
    order.map(async ({ data, origin }, i) => {
      const host = await describeHost(ctx, data.preference, data.exchange, i < MAX_MX_HOSTS_RESOLVED);
      if (origin) host.origin = origin;
      return host;
    }),
  );
  facts.nullMx = facts.hosts.some((h) => h.isNull);
  facts.nullMixed = facts.nullMx && facts.hosts.some((h) => !h.isNull);
  facts.hostCount = new Set(facts.hosts.filter((h) => !h.isNull).map((h) => h.exchange)).size;
  const unresolved = facts.hosts.filter((h) => h.resolved === false).length;
  if (unresolved) facts.unresolvedHosts = unresolved;
  const firstOrigin = facts.hosts.find((h) => h.origin)?.origin;
  if (firstOrigin) facts.origin = firstOrigin;
  return facts;
}
