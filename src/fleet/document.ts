import type { Comparison } from './compare.js';
import type { FleetSummary } from './summary.js';

export const FLEET_SCHEMA = 'mailaudit-fleet/1';

/** What `mailaudit report --format json` writes, and what the text, CSV and HTML views are rendered from. */
export interface FleetDocument extends FleetSummary {
  schema: typeof FLEET_SCHEMA;
  tool: { name: 'mailaudit'; version: string };
  generatedAt: string;
  /** The NDJSON files read, in order. */
  inputs: string[];
  /** `--baseline` files, when given. */
  baseline?: string[];
  comparison?: Comparison;
}

/** Share of a count in a total, as a percentage with one decimal ("0.0" for an empty fleet). */
export const percent = (count: number, total: number) => (total ? ((count / total) * 100).toFixed(1) : '0.0');

/** Headline shares: what a manager asks first. */
export function headline(doc: FleetDocument): { label: string; count: number; note: string }[] {
  const area = (id: string) => doc.areas.find((a) => a.area === id)?.counts ?? [];
  const count = (id: string, keys: string[]) => area(id).reduce((n, c) => n + (keys.includes(c.key) ? c.count : 0), 0);
  return [
    { label: 'DMARC enforced', count: count('dmarc', ['reject', 'quarantine']), note: 'p=reject or p=quarantine applies' },
    { label: 'SPF ok', count: count('spf', ['ok']), note: 'one valid record within 10 lookups' },
    { label: 'DKIM key found', count: count('dkim', ['found']), note: 'among the selectors tried' },
    { label: 'STARTTLS trusted', count: count('smtp', ['trusted']), note: 'every MX address, trusted certificate' },
    { label: 'MTA-STS enforce', count: count('mta-sts', ['enforce']), note: 'mode enforce' },
    { label: 'Failing', count: doc.levels.bad, note: 'an error finding or a missing core record' },
  ];
}
