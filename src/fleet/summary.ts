import { nameDigest } from '../input/list.js';
import type { DomainReport, Severity, SeverityCounts } from '../types.js';
import { AREAS, domainVerdicts, overallLevel, type AreaId, type AreaVerdict, type CategoryOf, type Level } from './verdicts.js';

/**
 * The fleet view of many domain reports, built one report at a time: counts per area and verdict, the
 * rules that fire most, and a compact row per domain. Memory grows only with the rows kept (at most
 * `rowLimit`, each a few hundred bytes) and a 6-byte digest per domain to drop duplicates.
 */

export const DEFAULT_ROW_LIMIT = 5_000;
/** Findings kept per row for the page's details (the counts cover all of them). */
export const FINDINGS_PER_ROW = 20;

export interface RowFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  /** `name TYPE` of the record concerned. */
  location: string;
}

export interface FleetRow {
  domain: string;
  level: Level;
  summary: SeverityCounts;
  verdicts: Record<AreaId, Omit<AreaVerdict, 'area'>>;
  /** Distinct rule ids of its findings. */
  rules: string[];
  findings: RowFinding[];
  findingsOmitted: number;
}

export interface AreaCount {
  key: string;
  label: string;
  count: number;
}

export interface AreaSummary {
  area: AreaId;
  label: string;
  /** Domains per key, in the area's order; keys no domain has are left out. */
  counts: AreaCount[];
  levels: Record<Level, number>;
}

export interface RuleCount {
  ruleId: string;
  category: string;
  /** The highest severity it fired with. */
  severity: Severity;
  domains: number;
  findings: number;
}

export interface FleetSummary {
  domains: number;
  /** Reports of a domain already seen (overlapping shards): ignored. */
  duplicates: number;
  /** Lines of the inputs that were not domain reports. */
  skippedLines: number;
  severity: SeverityCounts & { domainsWithErrors: number; domainsWithWarnings: number };
  /** Domains by their worst area. */
  levels: Record<Level, number>;
  areas: AreaSummary[];
  /** Most domains first. */
  rules: RuleCount[];
  /** By domain name; at most `rowLimit` (the first read), `rowsOmitted` more. */
  rows: FleetRow[];
  rowLimit: number;
  rowsOmitted: number;
}

const emptyLevels = (): Record<Level, number> => ({ good: 0, weak: 0, bad: 0, none: 0, unknown: 0, off: 0 });
const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, note: 1 };

export function toRow(r: DomainReport, verdicts: AreaVerdict[]): FleetRow {
  const rules = [...new Set(r.findings.map((f) => f.ruleId))];
  const sorted = [...r.findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  return {
    domain: r.domain,
    level: overallLevel(verdicts, r.summary),
    summary: { error: r.summary.error, warning: r.summary.warning, note: r.summary.note },
    verdicts: Object.fromEntries(verdicts.map(({ area, ...v }) => [area, v])) as FleetRow['verdicts'],
    rules,
    findings: sorted.slice(0, FINDINGS_PER_ROW).map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      message: f.message,
      location: `${f.location.name} ${f.location.type}`,
    })),
    findingsOmitted: Math.max(0, sorted.length - FINDINGS_PER_ROW),
  };
}

export class FleetAggregator {
  private readonly seen = new Set<number>();
  private readonly areaCounts = new Map<AreaId, Map<string, number>>(AREAS.map((a) => [a.id, new Map()]));
  private readonly areaLevels = new Map<AreaId, Record<Level, number>>(AREAS.map((a) => [a.id, emptyLevels()]));
  private readonly ruleCounts = new Map<string, RuleCount>();
  private readonly rows: FleetRow[] = [];
  private readonly s: FleetSummary;

  constructor(
    private readonly categoryOf: CategoryOf,
    private readonly rowLimit = DEFAULT_ROW_LIMIT,
  ) {
    this.s = {
      domains: 0,
      duplicates: 0,
      skippedLines: 0,
      severity: { error: 0, warning: 0, note: 0, domainsWithErrors: 0, domainsWithWarnings: 0 },
      levels: emptyLevels(),
      areas: [],
      rules: [],
      rows: [],
      rowLimit,
      rowsOmitted: 0,
    };
  }

  skipLine(): void {
    this.s.skippedLines++;
  }

  /** Adds one report; returns its verdicts, or undefined for a domain already added. */
  add(r: DomainReport): AreaVerdict[] | undefined {
    const digest = nameDigest(r.domain);
    if (this.seen.has(digest)) {
      this.s.duplicates++;
      return undefined;
    }
    this.seen.add(digest);
    const s = this.s;
    s.domains++;
    s.severity.error += r.summary.error;
    s.severity.warning += r.summary.warning;
    s.severity.note += r.summary.note;
    if (r.summary.error) s.severity.domainsWithErrors++;
    if (r.summary.warning) s.severity.domainsWithWarnings++;
    const verdicts = domainVerdicts(r, this.categoryOf);
    s.levels[overallLevel(verdicts, r.summary)]++;
    for (const v of verdicts) {
      const counts = this.areaCounts.get(v.area)!;
      counts.set(v.key, (counts.get(v.key) ?? 0) + 1);
      this.areaLevels.get(v.area)![v.level]++;
    }
    const perRule = new Map<string, { n: number; severity: Severity }>();
    for (const f of r.findings) {
      const e = perRule.get(f.ruleId);
      if (!e) perRule.set(f.ruleId, { n: 1, severity: f.severity });
      else {
        e.n++;
        if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[e.severity]) e.severity = f.severity;
      }
    }
    for (const [ruleId, { n, severity }] of perRule) {
      const c = this.ruleCounts.get(ruleId) ?? { ruleId, category: this.categoryOf({ ruleId }), severity, domains: 0, findings: 0 };
      c.domains++;
      c.findings += n;
      if (SEVERITY_RANK[severity] > SEVERITY_RANK[c.severity]) c.severity = severity;
      this.ruleCounts.set(ruleId, c);
    }
    if (this.rows.length < this.rowLimit) this.rows.push(toRow(r, verdicts));
    else s.rowsOmitted++;
    return verdicts;
  }

  finish(): FleetSummary {
    const s = this.s;
    s.areas = AREAS.map((a) => {
      const counts = this.areaCounts.get(a.id)!;
      const keys = [...Object.keys(a.keys), ...[...counts.keys()].filter((k) => !(k in a.keys)).sort()];
      return {
        area: a.id,
        label: a.label,
        counts: keys.filter((k) => counts.has(k)).map((k) => ({ key: k, label: a.keys[k] ?? k, count: counts.get(k)! })),
        levels: this.areaLevels.get(a.id)!,
      };
    });
    s.rules = [...this.ruleCounts.values()].sort((a, b) => b.domains - a.domains || b.findings - a.findings || (a.ruleId < b.ruleId ? -1 : 1));
    s.rows = [...this.rows].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
    return s;
  }
}
