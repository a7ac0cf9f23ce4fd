/**
 * Rule examples as zones: `examples.bad` / `examples.good` of a rule are zone-file lines relative to
 * `$ORIGIN example.com.`, laid over the clean baseline zone (fixtures/_examples/baseline.zone):
 *
 * - every RRset (owner + type) the example publishes replaces the baseline's RRset of that owner and type;
 * - `; delete OWNER TYPE` removes a baseline RRset (OWNER relative to example.com, `@` for the apex);
 * - `; policy {JSON}` audits the example with that entry of `.mailauditrc.json` `domains."example.com"`
 *   (expected MX hosts, SPF includes, parked);
 * - other comments are comments. An example that does not parse is kept as written (zone-syntax-error).
 *
 * docs/examples.md and ARCHITECTURE.md describe the same convention: keep them in step.
 */
import { readFileSync } from 'node:fs';
import { parseZone, ZoneSyntaxError } from '../../src/dns/zonefile.js';
import type { DnsSource, RRType } from '../../src/dns/types.js';
import type { DomainPolicy } from '../../src/facts.js';

export const EXAMPLE_DOMAIN = 'example.com';
export const BASELINE_FILE = 'fixtures/_examples/baseline.zone';

export interface LaidExample {
  /** The whole zone: baseline minus what the example replaces or deletes, then the example. */
  zone: string;
  policy?: DomainPolicy;
}

const absolute = (owner: string) => (owner === '@' ? EXAMPLE_DOMAIN : owner.endsWith('.') ? owner.slice(0, -1).toLowerCase() : `${owner.toLowerCase()}.${EXAMPLE_DOMAIN}`);

export function layExample(example: string, baseline: string = readFileSync(BASELINE_FILE, 'utf8')): LaidExample {
  const drop = new Set<string>();
  let policy: DomainPolicy | undefined;
  for (const line of example.split('\n')) {
    const del = /^\s*;\s*delete\s+(\S+)\s+([A-Za-z0-9]+)\s*$/i.exec(line);
    if (del) drop.add(`${absolute(del[1]!)} ${del[2]!.toUpperCase()}`);
    const pol = /^\s*;\s*policy\s+(\{.*\})\s*$/i.exec(line);
    if (pol) policy = JSON.parse(pol[1]!) as DomainPolicy;
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
  const laid: LaidExample = { zone: `${kept.join('\n')}\n; --- the example ---\n${header}${example}\n` };
  if (policy) laid.policy = policy;
  return laid;
}

/** DNS beyond the example zone: nothing exists (`.example` names are reserved; tests never go online). */
export const NOTHING_ELSE: DnsSource = {
  async resolve<T extends RRType>(name: string, type: T) {
    return { name, type, status: 'nxdomain' as const, records: [], source: 'dns' as const };
  },
};
