/**
 * Synthetic domains for the benchmark, shaped like real ones: MX at a shared provider, SPF with two
 * levels of includes, DMARC with an external rua (and its authorization record), an A record; a third
 * of them sign with DKIM, each under one built-in selector (common and rare ones in turn), the rest
 * publish no key; a tenth of them broken in various ways.
 */
import { reverseName } from '../src/dns/reverse.js';
import { generateKeyPairSync } from 'node:crypto';
import type { RRType, ZoneRecord } from '../src/dns/types.js';

const origin = { file: 'bench', line: 1 };
const rec = <T extends RRType>(name: string, type: T, data: ZoneRecord<T>['data']): ZoneRecord =>
  ({ name, type, ttl: 300, data, origin }) as ZoneRecord;

export interface BenchZone {
  records: ZoneRecord[];
  behaviours: Record<string, 'servfail'>;
  domains: string[];
}

/** The kinds of breakage, one per broken domain in turn. */
export const BREAKAGES = ['no-spf', 'spf-pass-all', 'dmarc-none', 'mx-no-address', 'nxdomain', 'two-spf', 'servfail', 'no-dmarc'] as const;

/** Built-in selectors the signing domains use, in turn: the common ones and a few rare ones. */
export const BENCH_SELECTORS = ['selector1', 'google', 'selector2', 's1', 'k1', 'default', 'protonmail', 'sig1', 'fm2'] as const;

export function domainName(i: number): string {
  return `shop-${i.toString(36)}.brand${i % 97}.test`;
}

function dkimKey(): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** The shared provider: MX hosts, the SPF include tree, the DMARC report receiver. */
function providerRecords(): ZoneRecord[] {
  return [
    rec('mx1.mailhost.test', 'A', '192.0.2.10'),
    rec('mx1.mailhost.test', 'AAAA', '2001:db8::10'),
    rec('mx2.mailhost.test', 'A', '192.0.2.11'),
    // The provider's reverse DNS, forward-confirmed, as a real mail host has it.
    rec(reverseName('192.0.2.10'), 'PTR', 'mx1.mailhost.test'),
    rec(reverseName('2001:db8::10'), 'PTR', 'mx1.mailhost.test'),
    rec(reverseName('192.0.2.11'), 'PTR', 'mx2.mailhost.test'),
    rec('_spf.mailhost.test', 'TXT', ['v=spf1 include:_spf1.mailhost.test include:_spf2.mailhost.test ~all']),
    rec('_spf1.mailhost.test', 'TXT', ['v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip6:2001:db8::/32 ~all']),
    rec('_spf2.mailhost.test', 'TXT', ['v=spf1 ip4:203.0.113.0/24 a:out.mailhost.test ~all']),
    rec('out.mailhost.test', 'A', '203.0.113.5'),
    rec('spf.newsletter.test', 'TXT', ['v=spf1 ip4:198.18.0.0/15 -all']),
    rec('*._report._dmarc.reports.test', 'TXT', ['v=DMARC1']),
  ];
}

export function benchZone(n: number): BenchZone {
  const key = dkimKey();
  const keyChunks = [`v=DKIM1; k=rsa; p=${key}`].flatMap((s) => s.match(/.{1,255}/g) ?? []);
  const records = providerRecords();
  const behaviours: Record<string, 'servfail'> = {};
  const domains: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = domainName(i);
    domains.push(d);
    const broken = i % 10 === 9 ? BREAKAGES[Math.floor(i / 10) % BREAKAGES.length] : undefined;
    if (broken === 'nxdomain') continue;
    if (broken === 'servfail') behaviours[d] = 'servfail';
    records.push(rec(d, 'A', `198.51.100.${i % 250}`));
    if (broken === 'mx-no-address') records.push(rec(d, 'MX', { preference: 10, exchange: `mx.${d}` }));
    else {
      records.push(rec(d, 'MX', { preference: 10, exchange: 'mx1.mailhost.test' }));
      records.push(rec(d, 'MX', { preference: 20, exchange: 'mx2.mailhost.test' }));
    }
    const spf = broken === 'spf-pass-all' ? 'v=spf1 include:_spf.mailhost.test +all' : 'v=spf1 include:_spf.mailhost.test include:spf.newsletter.test -all';
    if (broken !== 'no-spf') records.push(rec(d, 'TXT', [spf]));
    if (broken === 'two-spf') records.push(rec(d, 'TXT', ['v=spf1 mx -all']));
    records.push(rec(d, 'TXT', [`google-site-verification=${i.toString(16).padStart(12, '0')}`]));
    if (broken !== 'no-dmarc') {
      const p = broken === 'dmarc-none' ? 'none' : i % 3 === 0 ? 'quarantine' : 'reject';
      records.push(rec(`_dmarc.${d}`, 'TXT', [`v=DMARC1; p=${p}; rua=mailto:agg@reports.test; adkim=s`]));
    }
    if (i % 3 === 0) records.push(rec(`${BENCH_SELECTORS[(i / 3) % BENCH_SELECTORS.length]}._domainkey.${d}`, 'TXT', keyChunks));
  }
  return { records, behaviours, domains };
}
