import type { Report } from '../types.js';

/** The JSON report (schemas/report.schema.json). */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
