import type { DomainReport } from '../types.js';

/** One line of `--format ndjson`: a domain's report (schemas/report.schema.json#/definitions/domainReport). */
export function renderNdjsonLine(report: DomainReport): string {
  return `${JSON.stringify(report)}\n`;
}
