import type { DomainFacts, FetchFact, Presence } from '../facts/index.js';
import { labelled } from './text-layout.js';

/** One line per standard (MTA-STS, TLS-RPT, BIMI, DNSSEC, DANE), each with its verdict. */
export function transportLines(facts: DomainFacts): string[] {
  const lines: string[] = [];
  const line = (label: string, text: string) => lines.push(labelled(label, text));
  const missing = (status: Presence, applicable = true) =>
    status === 'undetermined'
      ? 'undetermined (lookup failed)'
      : !applicable && facts.mx?.nullMx
        ? 'none (not needed: the domain accepts no mail)'
        : 'none';
  const fetchFailure = (f: FetchFact) => (f.status === 'undetermined' ? 'undetermined (lookup failed)' : `unavailable (${f.stage}: ${f.reason})`);

  const sts = facts.mtaSts;
  if (sts) {
    if (sts.status !== 'found') line('MTA-STS', missing(sts.status, sts.applicable));
    else if (sts.errors.some((e) => e.type === 'TXT')) line('MTA-STS', `invalid record (${sts.errors.find((e) => e.type === 'TXT')!.message})`);
    else if (!sts.policy || sts.policy.fetch.status !== 'ok') line('MTA-STS', `id ${sts.id}, policy ${sts.policy ? fetchFailure(sts.policy.fetch) : 'not fetched'}`);
    else if (!sts.policy.valid) line('MTA-STS', `id ${sts.id}, policy invalid (${sts.errors.find((e) => e.type === 'HTTPS')?.message ?? 'syntax'})`);
    else {
      const p = sts.policy;
      const mx = p.mode === 'none' ? '' : sts.mxMismatches.length ? `, ${sts.mxMismatches.length} MX host(s) not covered` : ', every MX host covered';
      line('MTA-STS', `mode ${p.mode} (id ${sts.id}, max_age ${p.maxAge})${mx}`);
    }
  }
  const rpt = facts.tlsRpt;
  if (rpt) {
    if (rpt.status !== 'found') line('TLS-RPT', missing(rpt.status, rpt.applicable));
    else line('TLS-RPT', rpt.errors.length ? `invalid (${rpt.errors[0]!.message})` : `reports to ${rpt.rua.join(', ')}`);
  }
  const bimi = facts.bimi;
  if (bimi) {
    if (bimi.status !== 'found') line('BIMI', missing(bimi.status));
    else if (bimi.errors.length) line('BIMI', `invalid (${bimi.errors[0]!.message})`);
    else if (bimi.declined) line('BIMI', 'declined (empty l= and a=)');
    else {
      const logo = !bimi.logo
        ? 'logo not checked'
        : bimi.logo.fetch.status !== 'ok'
          ? `logo ${fetchFailure(bimi.logo.fetch)}`
          : bimi.logo.valid
            ? 'logo is SVG Tiny PS'
            : `logo invalid (${bimi.logo.problem})`;
      const dmarc = bimi.dmarcEnforced === undefined ? 'DMARC undetermined' : bimi.dmarcEnforced ? 'DMARC enforced' : `DMARC not enforced (p=${bimi.dmarcPolicy}, pct=${bimi.dmarcPct})`;
      line('BIMI', `${bimi.logoUrl}: ${logo}; ${dmarc}`);
    }
  }
  const dnssec = facts.dnssec;
  if (dnssec) {
    const verdict = {
      signed: 'signed (the resolver set AD)',
      unsigned: 'not authenticated (no AD from the resolver; this depends on the resolver validating)',
      undetermined: `undetermined (${dnssec.domain.error ?? 'query failed'})`,
      'not-checked': 'not checked (records from a zone file)',
    }[dnssec.status];
    const checked = dnssec.mxHosts.filter((h) => h.authenticated !== undefined);
    const mx = checked.length ? `; MX hosts authenticated: ${checked.filter((h) => h.authenticated).length}/${dnssec.mxHosts.length}` : '';
    line('DNSSEC', `${verdict}${mx}`);
  }
  const dane = facts.dane;
  if (dane) {
    const hosts = dane.hosts.filter((h) => h.verdict !== 'none');
    if (dane.hosts.length === 0) line('DANE', 'no MX hosts');
    else if (hosts.length === 0) line('DANE', 'no TLSA records');
    else {
      const describe = (h: (typeof hosts)[number]) => {
        const signed = h.authenticated === false ? ', not DNSSEC-authenticated' : '';
        const verdict = h.verdict === 'not-probed' ? 'TLSA published, certificates not probed' : h.verdict === 'unusable' ? 'only TLSA records SMTP ignores' : h.verdict;
        return `${h.host} ${verdict}${signed}`;
      };
      line('DANE', hosts.map(describe).join('; '));
    }
  }
  return lines;
}
