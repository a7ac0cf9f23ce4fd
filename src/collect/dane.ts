import { authenticated } from './dnssec.js';
import { isUsableForSmtp, matchTlsa } from '../dane/tlsa.js';
import type { DaneFacts, DaneHostFact, DomainFacts, MxFacts, TlsaRecordFact } from '../facts/index.js';
import { presenceOf, type CollectContext } from './context.js';

/** The certificates the SMTP probe saw at one address: DER, leaf first. */
export interface ProbedChain {
  address: string;
  chain: Buffer[];
}

/** The chains the SMTP probe saw (`smtp.addresses[*].tls.chain[*].der`, leaf first), by MX host name. */
export function probedChains(facts: DomainFacts): Map<string, ProbedChain[]> {
  const out = new Map<string, ProbedChain[]>();
  for (const a of facts.smtp?.addresses ?? []) {
    const chain = (a.tls?.chain ?? []).filter((c) => c.der).map((c) => Buffer.from(c.der, 'base64'));
    if (chain.length === 0) continue;
    const name = a.host.toLowerCase().replace(/\.$/, '');
    out.set(name, [...(out.get(name) ?? []), { address: a.address, chain }]);
  }
  return out;
}

/** `_25._tcp.<mx>` TLSA records of each MX host (RFC 7672 §2.2), and whether each answer is DNSSEC-authenticated. */
export async function collectTlsa(ctx: CollectContext, mxFacts: Promise<MxFacts>): Promise<DaneFacts> {
  const mx = await mxFacts;
  const aliases = new Map(mx.hosts.filter((h) => !h.isNull && !h.ipLiteral && h.resolved !== false).map((h) => [h.exchange, h.cname]));
  const hosts = await Promise.all(
    [...aliases].map(async ([host, alias]): Promise<DaneHostFact> => {
      // RFC 7672 §2.2.3: for an MX host that is an alias, the expanded name first, then the MX name itself.
      let name = `_25._tcp.${alias ?? host}`;
      let answer = await ctx.dns.resolve(name, 'TLSA');
      if (alias && (answer.status === 'nxdomain' || answer.status === 'nodata')) {
        name = `_25._tcp.${host}`;
        answer = await ctx.dns.resolve(name, 'TLSA');
      }
      const status = presenceOf(answer);
      const records: TlsaRecordFact[] = answer.records.map((r, i) => {
        const rec: TlsaRecordFact = { ...r, usable: isUsableForSmtp(r) };
        const origin = answer.origins?.[i];
        if (origin) rec.origin = origin;
        return rec;
      });
      const fact: DaneHostFact = { host, name, status, records, addresses: [], verdict: 'none' };
      if (records[0]?.origin) fact.origin = records[0].origin;
      if (status === 'undetermined') fact.verdict = 'undetermined';
      else if (status === 'found') {
        fact.verdict = records.some((r) => r.usable) ? 'not-probed' : 'unusable';
        // Authenticated only means something for answers from live DNS, not for a zone file's records.
        if (ctx.dnssec && answer.source === 'dns') {
          const ad = await authenticated(ctx.dnssec, name, 'TLSA');
          if (ad.authenticated !== undefined) fact.authenticated = ad.authenticated;
        }
      }
      return fact;
    }),
  );
  const facts: DaneFacts = { hosts, mismatches: [], unsigned: [] };
  for (const h of hosts) {
    if (h.status === 'found' && h.authenticated === false) {
      const u: DaneFacts['unsigned'][number] = { host: h.host, name: h.name };
      if (h.origin) u.origin = h.origin;
      facts.unsigned.push(u);
    }
  }
  return facts;
}

/**
 * The DANE stage after the SMTP probe: matches each probed address's certificates against its
 * host's usable TLSA records. Hosts whose addresses presented no certificates stay `not-probed`:
 * a mismatch is only reported for certificates actually seen.
 */
export function applyDane(facts: DomainFacts): void {
  const dane = facts.dane;
  if (!dane) return;
  const chains = probedChains(facts);
  dane.mismatches = [];
  for (const host of dane.hosts) {
    if (host.verdict !== 'not-probed' && host.verdict !== 'match' && host.verdict !== 'mismatch') continue;
    const usable = host.records.filter((r) => r.usable);
    host.addresses = (chains.get(host.host) ?? []).map(({ address, chain }) => {
      const m = matchTlsa(usable, chain);
      const fact: DaneHostFact['addresses'][number] = { address, chainLength: chain.length, matched: m.matched };
      if (m.record !== undefined) fact.matchedRecord = host.records.indexOf(usable[m.record]!);
      return fact;
    });
    if (host.addresses.length === 0) host.verdict = 'not-probed';
    else host.verdict = host.addresses.every((a) => a.matched) ? 'match' : 'mismatch';
    for (const a of host.addresses.filter((x) => !x.matched)) {
      const mismatch: DaneFacts['mismatches'][number] = { host: host.host, name: host.name, address: a.address };
      if (host.origin) mismatch.origin = host.origin;
      dane.mismatches.push(mismatch);
    }
  }
}
