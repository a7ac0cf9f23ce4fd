import { InputError, parseDomainName } from './input/domain.js';
import { VERSION } from './paths.js';
import { auditDomain } from './run/domain.js';
import type { AuditOptions } from './run/options.js';
import { prepareRun } from './run/prepare.js';
import type { DomainReport, Report } from './types.js';

export type { AuditOptions } from './run/options.js';
export { prepareRun, type AuditRun } from './run/prepare.js';
export { auditDomain } from './run/domain.js';
export { zoneFor } from './run/zones.js';
export { auditStream, DEFAULT_STREAM_CONCURRENCY } from './run/stream.js';

export const REPORT_SCHEMA_VERSION = '1.0.0';

/** Runs `work` over `items` with at most `limit` at once, keeping results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function buildReport(domains: DomainReport[]): Report {
  const summary = { domains: domains.length, error: 0, warning: 0, note: 0 };
  for (const d of domains) {
    summary.error += d.summary.error;
    summary.warning += d.summary.warning;
    summary.note += d.summary.note;
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'mailaudit', version: VERSION },
    generatedAt: new Date().toISOString(),
    domains,
    summary,
  };
}

/**
 * Audits each domain (names as a user would type them) and returns the report.
 * With zone files and no domain, each zone's origin is audited. Throws InputError for bad input.
 */
export async function audit(domains: string | string[], options: AuditOptions = {}): Promise<Report> {
  const names = (Array.isArray(domains) ? domains : [domains]).map(parseDomainName);
  const run = await prepareRun(options, names[0]?.name);
  if (names.length === 0 && run.zones.length === 0) throw new InputError('no domain given: expected at least one domain name such as example.com');
  if (names.length === 0 || options.auditZoneOrigins) {
    // Each zone file is audited for its origin, in the order given.
    const seen = new Set(names.map((n) => n.name));
    for (const origin of new Set(run.zones.map((z) => z.origin))) if (!seen.has(origin)) names.push(parseDomainName(origin));
  }
  const reports = await mapConcurrent(names, options.concurrency ?? 8, (d) => auditDomain(run, d));
  return buildReport(reports);
}
