import { DnsClient } from '../dns/client.js';
import { interpret } from '../dns/interpret.js';
import { DEFAULT_DNS_IN_FLIGHT } from '../dns/live.js';
import type { RawAnswer } from '../dns/raw.js';
import type { RRType } from '../dns/types.js';
import type { DnssecFacts, DnssecNameFact, MxFacts } from '../facts/index.js';
import type { CollectContext, DnssecSettings } from './context.js';

export const DNSSEC_NOTE =
  'AD (Authenticated Data) is set by the resolver asked, and only if it validates DNSSEC: a non-validating resolver never sets it, so "unsigned" can also mean "not validated by this resolver".';

/**
 * Asks the run's resolvers, with the DO bit set (RFC 3225), and reports whether the answer was
 * authenticated (AD, RFC 4035 §3.2.3). Servers are tried in order until one answers NOERROR or
 * NXDOMAIN (the client does that).
 */
export async function authenticated(settings: DnssecSettings, name: string, type: string): Promise<DnssecNameFact> {
  const key = `${type} ${name.toLowerCase()}`;
  let answer = settings.cache?.get(key) as Promise<DnssecNameFact> | undefined;
  if (!answer) {
    answer = ask(settings, name, type);
    settings.cache?.set(key, answer);
  }
  return { ...(await answer) };
}

/** Settings without the run's client get one of their own, bounded like the run's. */
const ownClients = new WeakMap<DnssecSettings, DnsClient>();

function askerOf(settings: DnssecSettings): (name: string, type: string) => Promise<RawAnswer> {
  if (settings.askWithDo) return settings.askWithDo;
  let client = ownClients.get(settings);
  if (!client) {
    client = new DnsClient({ servers: settings.servers, timeoutMs: settings.timeoutMs, tries: settings.tries, maxInFlight: DEFAULT_DNS_IN_FLIGHT });
    ownClients.set(settings, client);
  }
  const own = client;
  return (name, type) => own.query({ name, type, dnssecOk: true });
}

async function ask(settings: DnssecSettings, name: string, type: string): Promise<DnssecNameFact> {
  const fact: DnssecNameFact = { name, type };
  try {
    const answer = await askerOf(settings)(name, type);
    if (answer.rcode !== 'NOERROR' && answer.rcode !== 'NXDOMAIN') {
      fact.error = `E${answer.rcode}`;
      return fact;
    }
    // Records of another owner or type make the whole answer untrustworthy, its AD flag included.
    const read = interpret(name, type as RRType, answer);
    if (read.status === 'error') {
      fact.error = read.error ?? 'EBADRESP';
      return fact;
    }
    fact.rcode = answer.rcode;
    fact.authenticated = answer.ad;
  } catch (err) {
    fact.error = (err as { code?: string }).code ?? 'EUNKNOWN';
  }
  return fact;
}

/** Whether the domain's MX answer and each MX host's address answer are DNSSEC-authenticated by the resolver. */
export async function collectDnssec(ctx: CollectContext, mxFacts: Promise<MxFacts>): Promise<DnssecFacts> {
  const settings = ctx.dnssec;
  const facts: DnssecFacts = {
    status: 'not-checked',
    resolvers: settings?.servers ?? [],
    note: settings
      ? DNSSEC_NOTE
      : 'Not checked: DNSSEC is a property of the deployed zone, and these records come from a zone file (or a DNS source given to the library).',
    domain: { name: ctx.domain, type: 'MX' },
    mxHosts: [],
  };
  if (!settings) return facts;
  const domainCheck = authenticated(settings, ctx.domain, 'MX');
  const mx = await mxFacts;
  const hosts = [...new Set(mx.hosts.filter((h) => !h.isNull && !h.ipLiteral && h.resolved !== false).map((h) => h.exchange))];
  const [domain, ...mxHosts] = await Promise.all([domainCheck, ...hosts.map((h) => authenticated(settings, h, 'A'))]);
  facts.domain = domain!;
  facts.mxHosts = mxHosts;
  facts.status = domain!.authenticated === undefined ? 'undetermined' : domain!.authenticated ? 'signed' : 'unsigned';
  return facts;
}
