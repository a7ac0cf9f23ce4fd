import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseZone } from '../../src/dns/zonefile.js';
import type { ZoneRecord } from '../../src/dns/types.js';
import { startDnsServer, type TestDnsServer } from './dns-server.js';

export const FIXTURES_DIR = join(process.cwd(), 'fixtures');

export interface ExpectedFinding {
  ruleId: string;
  location: { name: string; type: string; line?: number };
  args: Record<string, unknown>;
}

/** fixtures/<case>/: a zone file (zone.db) and expected.json with the findings it must produce. */
export interface FixtureCase {
  name: string;
  domain: string;
  /** Path of the zone file relative to the repository root, when the case has one. */
  zoneFile?: string;
  /** Only meaningful against live DNS (the case is about DNS failures or missing zones). */
  liveOnly: boolean;
  behaviours: Record<string, 'timeout' | 'servfail' | 'refused' | 'truncate-udp'>;
  /** Extra CLI arguments the case needs. */
  args: string[];
  /**
   * Rule categories whose findings the case compares (`dns` always is). Without it: every category
   * except OPT_IN_CATEGORIES, whose notes (no MTA-STS, no TLS-RPT, unsigned zone) fire for nearly
   * every domain and would otherwise have to be repeated in every case.
   */
  categories?: string[];
  /** Zones the test DNS server answers with the AD flag, as a validating resolver would for signed zones. */
  authenticatedZones: string[];
  findings: ExpectedFinding[];
}

/** Categories a case compares only when it lists them in `categories`. */
export const OPT_IN_CATEGORIES: ReadonlySet<string> = new Set(['mta-sts', 'tls-rpt', 'bimi', 'dnssec', 'dane']);

/** Whether a case compares findings of this rule category. */
export function caseCompares(c: Pick<FixtureCase, 'categories'>, category: string | undefined): boolean {
  if (category === 'dns') return true;
  if (c.categories) return category !== undefined && c.categories.includes(category);
  return !OPT_IN_CATEGORIES.has(category ?? '');
}

export function loadFixtureCases(): FixtureCase[] {
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FIXTURES_DIR, d.name, 'expected.json')))
    .map((d) => {
      const dir = join(FIXTURES_DIR, d.name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
      const zone = join('fixtures', d.name, 'zone.db');
      return {
        name: d.name,
        domain: expected.domain,
        zoneFile: existsSync(zone) ? zone : undefined,
        liveOnly: Boolean(expected.liveOnly),
        behaviours: expected.behaviours ?? {},
        args: expected.args ?? [],
        authenticatedZones: expected.authenticatedZones ?? [],
        ...(expected.categories ? { categories: expected.categories as string[] } : {}),
        findings: expected.findings,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function zoneFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && (e.name === 'zone.db' || e.name.endsWith('.zone')) && !e.parentPath.includes('zonefile') && !e.parentPath.includes('_examples'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every record of every fixture zone (the cases' and fixtures/_shared/), as the test DNS server serves them. */
export function fixtureRecords(): ZoneRecord[] {
  return zoneFilesUnder(FIXTURES_DIR).flatMap((file) => parseZone(readFileSync(file, 'utf8'), { file }).records);
}

/** A DNS server on loopback serving every fixture zone, with each case's failure behaviours. */
export function startFixtureDns(): Promise<TestDnsServer> {
  const cases = loadFixtureCases();
  const behaviours = Object.assign({}, ...cases.map((c) => c.behaviours));
  const authenticatedZones = cases.flatMap((c) => c.authenticatedZones);
  return startDnsServer({ records: fixtureRecords(), behaviours, authenticatedZones });
}

/** Notes every fixture domain gets (no MTA-STS, TLS-RPT, DNSSEC): tests about other areas turn them off. */
export const QUIET_RULES = ['mta-sts-missing', 'tlsrpt-missing', 'dnssec-unsigned'];
