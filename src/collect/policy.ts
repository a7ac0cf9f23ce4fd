import type { DomainFacts, DomainPolicy, PolicyFacts, PolicyParkedFact } from '../facts/index.js';

const norm = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');
const shownExchange = (exchange: string) => (exchange === '' ? '.' : exchange);

/** Targets of the record's top-level `include:` mechanisms and `redirect=` modifier (RFC 7208 §5.2, §6.1). */
export function spfIncludes(record: string): string[] {
  const targets: string[] = [];
  for (const term of record.trim().split(/\s+/).slice(1)) {
    const m = /^[+\-~?]?include:(.+)$/i.exec(term) ?? /^redirect=(.+)$/i.exec(term);
    if (m) targets.push(norm(m[1]!));
  }
  return targets;
}

/**
 * Compares what DNS publishes (the collected facts) with what the owner expects of the domain.
 * Nothing is derived from an undetermined lookup: dns-lookup-failed covers those.
 */
export function policyFacts(facts: DomainFacts, policy: DomainPolicy): PolicyFacts {
  const out: PolicyFacts = { unexpectedMx: [], missingMx: [], missingSpfIncludes: [], parked: Boolean(policy.parked) };
  const mx = facts.mx;
  if (policy.mx) {
    out.expectedMx = policy.mx.map(norm);
    if (mx && mx.status !== 'undetermined') {
      const expected = new Set(out.expectedMx);
      const published = new Set(mx.hosts.map((h) => shownExchange(h.exchange)));
      for (const h of mx.hosts) {
        const exchange = shownExchange(h.exchange);
        if (!expected.has(exchange)) out.unexpectedMx.push(h.origin ? { exchange, expected: out.expectedMx, origin: h.origin } : { exchange, expected: out.expectedMx });
      }
      for (const exchange of out.expectedMx) if (!published.has(exchange)) out.missingMx.push({ exchange, expected: out.expectedMx });
    }
  }
  const spf = facts.spf;
  if (policy.spfIncludes) {
    out.expectedSpfIncludes = policy.spfIncludes.map(norm);
    const record = spf?.status === 'found' && spf.count === 1 ? spf.records[0] : undefined;
    if (record) {
      const have = new Set(spfIncludes(record.text));
      for (const include of out.expectedSpfIncludes) {
        if (have.has(include)) continue;
        out.missingSpfIncludes.push(record.origin ? { include, record: record.text, origin: record.origin } : { include, record: record.text });
      }
    }
  }
  if (policy.parked) {
    const fact = (found: string, origin?: { file: string; line: number }): PolicyParkedFact => (origin ? { found, origin } : { found });
    if (mx && mx.status !== 'undetermined' && !(mx.nullMx && !mx.nullMixed)) {
      const found = mx.hosts.map((h) => `${h.preference} ${shownExchange(h.exchange)}`).join(', ') || 'no MX record';
      out.parkedMx = fact(found, mx.origin);
    }
    if (spf && spf.status !== 'undetermined') {
      const only = spf.count === 1 ? spf.records[0]!.text.trim().replace(/\s+/g, ' ').toLowerCase() : undefined;
      if (only !== 'v=spf1 -all') out.parkedSpf = fact(spf.records.map((r) => r.text).join(' | ') || 'no SPF record', spf.origin);
    }
    const dmarc = facts.dmarc;
    if (dmarc && dmarc.status !== 'undetermined' && dmarc.effective?.policy !== 'reject') {
      const found = dmarc.effective ? `p=${dmarc.effective.policy} (from ${dmarc.effective.source})` : 'no DMARC record';
      out.parkedDmarc = fact(found, dmarc.effective?.origin ?? dmarc.origin);
    }
  }
  return out;
}
