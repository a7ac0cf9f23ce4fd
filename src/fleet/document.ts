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

/**
 * Headline shares: what a manager asks first. Each share is of the domains where the area was checked
 * (`total`): a run with --no-smtp says nothing about STARTTLS.
 */
export function headline(doc: FleetDocument): { label: string; count: number; total: number; note: string }[] {
  const area = (id: string) => doc.areas.find((a) => a.area === id)?.counts ?? [];
  const count = (id: string, keys: string[]) => area(id).reduce((n, c) => n + (keys.includes(c.key) ? c.count : 0), 0);
  const checked = (id: string) => area(id).reduce((n, c) => n + (c.key === 'off' ? 0 : c.count), 0);
  const share = (label: string, id: string, keys: string[], note: string) => ({ label, count: count(id, keys), total: checked(id), note });
  return [
    share('DMARC enforced', 'dmarc', ['reject', 'quarantine'], 'p=reject or p=quarantine applies'),
    share('SPF ok', 'spf', ['ok'], 'one valid record within 10 lookups'),
    share('DKIM key found', 'dkim', ['found'], 'among the selectors tried'),
    share('STARTTLS trusted', 'smtp', ['trusted'], 'every MX address, trusted certificate'),
    share('MTA-STS enforce', 'mta-sts', ['enforce'], 'mode enforce'),
    { label: 'Failing', count: doc.levels.bad, total: doc.domains, note: 'an error finding or a missing core record' },
  ];
}
