import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ZoneRecord } from '../../src/dns/types.js';
import type { Behaviour } from './dns-server.js';

/**
 * The openspf RFC 7208 test suite (test/conformance/rfc7208/, BSD licence), read into zone records
 * for the loopback test DNS server, with the conventions of the suite's reference driver (pyspf's
 * testspf.py): a name whose only record is `SPF` is served as TXT too, unless it has a `TXT` entry
 * (`TXT: NONE` blocks that); `TIMEOUT` on a name: questions for a type the name has no record of
 * are never answered; a name not in the zone data does not exist (NXDOMAIN).
 */

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { loadAll(text: string): unknown[] };

export const SUITE_FILE = join(process.cwd(), 'test', 'conformance', 'rfc7208', 'rfc7208-tests.yml');

export type SuiteResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SuiteTest {
  scenario: string;
  name: string;
  /** The client IP. */
  host: string;
  mailfrom: string;
  helo: string;
  /** Every acceptable result. */
  results: SuiteResult[];
  spec: string;
  description?: string;
}

export interface SuiteScenario {
  description: string;
  records: ZoneRecord[];
  behaviours: Record<string, Behaviour['kind']>;
  tests: SuiteTest[];
}

type Entry = Record<string, unknown> | 'TIMEOUT';

const text = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);

function recordsOf(name: string, entries: Entry[]): { records: ZoneRecord[]; timeout: boolean } {
  const records: ZoneRecord[] = [];
  let timeout = false;
  const hasTxt = entries.some((e) => typeof e === 'object' && 'TXT' in e);
  for (const entry of entries) {
    if (entry === 'TIMEOUT') {
      timeout = true;
      continue;
    }
    for (const [type, value] of Object.entries(entry)) {
      if (value === 'NONE') continue;
      switch (type) {
        case 'SPF':
          records.push({ name, type: 'SPF', data: text(value) } as ZoneRecord);
          if (!hasTxt) records.push({ name, type: 'TXT', data: text(value) } as ZoneRecord);
          break;
        case 'TXT':
          records.push({ name, type: 'TXT', data: text(value) } as ZoneRecord);
          break;
        case 'A':
        case 'AAAA':
        case 'PTR':
        case 'CNAME':
          records.push({ name, type, data: String(value) } as ZoneRecord);
          break;
        case 'MX': {
          const [preference, exchange] = value as [number, string];
          records.push({ name, type: 'MX', data: { preference, exchange: String(exchange) } } as ZoneRecord);
          break;
        }
        default:
          throw new Error(`rfc7208 suite: record type ${type} at ${name} is not served`);
      }
    }
  }
  return { records, timeout };
}

export function loadSuite(file = SUITE_FILE): SuiteScenario[] {
  const docs = yaml.loadAll(readFileSync(file, 'utf8')) as {
    description: string;
    tests: Record<string, Record<string, unknown>>;
    zonedata?: Record<string, Entry[] | null>;
  }[];
  return docs.map((doc) => {
    const records: ZoneRecord[] = [];
    const behaviours: Record<string, Behaviour['kind']> = {};
    for (const [owner, entries] of Object.entries(doc.zonedata ?? {})) {
      const name = owner.toLowerCase().replace(/\.$/, '');
      const r = recordsOf(name, entries ?? []);
      records.push(...r.records);
      if (r.timeout) behaviours[name] = 'timeout-nodata';
    }
    const tests = Object.entries(doc.tests).map(([name, t]) => ({
      scenario: doc.description,
      name,
      host: String(t.host),
      mailfrom: String(t.mailfrom ?? ''),
      helo: String(t.helo ?? ''),
      results: (Array.isArray(t.result) ? t.result : [t.result]).map(String) as SuiteResult[],
      spec: String(t.spec ?? ''),
      description: t.description === undefined ? undefined : String(t.description).trim(),
    }));
    return { description: doc.description, records, behaviours, tests };
  });
}

/** The domain check_host is given for a test: MAIL FROM's domain, or the HELO name for the null reverse-path (RFC 7208 §2.4). */
export function identityDomain(t: SuiteTest): string {
  if (t.mailfrom === '') return t.helo;
  return t.mailfrom.slice(t.mailfrom.lastIndexOf('@') + 1);
}
