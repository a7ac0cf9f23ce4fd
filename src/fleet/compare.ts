import { fingerprint } from '../report/fingerprint.js';
import type { DomainReport, Severity } from '../types.js';
import { AREA_BY_ID, AREAS, domainVerdicts, type AreaId, type AreaVerdict, type CategoryOf, type Level } from './verdicts.js';

/**
 * Two runs compared (`--baseline old.ndjson`): domains whose verdicts got better or worse, findings that
 * are new and findings that were fixed. The baseline is held as a compact entry per domain (levels and
 * finding fingerprints); the current run streams past it. Listed items are capped at `listLimit` per
 * list; the counts cover everything.
 */

export const DEFAULT_LIST_LIMIT = 1000;

/** Higher is better; unknown and not-checked are not compared. */
const QUALITY: Partial<Record<Level, number>> = { bad: 0, weak: 1, none: 2, good: 3 };

export interface AreaChange {
  area: AreaId;
  label: string;
  from: Level;
  to: Level;
  fromKey: string;
  toKey: string;
}

export interface DomainChange {
  domain: string;
  changes: AreaChange[];
}

export interface FindingChange {
  domain: string;
  ruleId: string;
  severity: Severity;
  message: string;
}

export interface Comparison {
  baselineDomains: number;
  counts: { better: number; worse: number; unchanged: number; added: number; removed: number; newFindings: number; fixedFindings: number };
  better: DomainChange[];
  worse: DomainChange[];
  added: string[];
  removed: string[];
  newFindings: FindingChange[];
  fixedFindings: FindingChange[];
  listLimit: number;
}

interface BaselineEntry {
  levels: Map<AreaId, { level: Level; key: string }>;
  findings: Map<string, { ruleId: string; severity: Severity; message: string }>;
}

const short = (m: string) => (m.length > 400 ? `${m.slice(0, 400)}…` : m);

export class BaselineComparer {
  private readonly baseline = new Map<string, BaselineEntry>();
  private readonly c: Comparison;

  constructor(
    private readonly categoryOf: CategoryOf,
    listLimit = DEFAULT_LIST_LIMIT,
  ) {
    this.c = {
      baselineDomains: 0,
      counts: { better: 0, worse: 0, unchanged: 0, added: 0, removed: 0, newFindings: 0, fixedFindings: 0 },
      better: [],
      worse: [],
      added: [],
      removed: [],
      newFindings: [],
      fixedFindings: [],
      listLimit,
    };
  }

  private push<T>(list: T[], item: T): void {
    if (list.length < this.c.listLimit) list.push(item);
  }

  addBaseline(r: DomainReport): void {
    if (this.baseline.has(r.domain)) return;
    const levels = new Map(domainVerdicts(r, this.categoryOf).map((v) => [v.area, { level: v.level, key: v.key }]));
    const findings = new Map(r.findings.map((f) => [fingerprint(r.domain, f), { ruleId: f.ruleId, severity: f.severity, message: short(f.message) }]));
    this.baseline.set(r.domain, { levels, findings });
    this.c.baselineDomains++;
  }

  /** Compares one domain of the current run (each domain once). */
  compare(r: DomainReport, verdicts: AreaVerdict[]): void {
    const old = this.baseline.get(r.domain);
    const c = this.c;
    if (!old) {
      c.counts.added++;
      this.push(c.added, r.domain);
      for (const f of r.findings) {
        c.counts.newFindings++;
        this.push(c.newFindings, { domain: r.domain, ruleId: f.ruleId, severity: f.severity, message: short(f.message) });
      }
      return;
    }
    this.baseline.delete(r.domain);
    const better: AreaChange[] = [];
    const worse: AreaChange[] = [];
    for (const v of verdicts) {
      const before = old.levels.get(v.area);
      if (!before) continue;
      const q0 = QUALITY[before.level];
      const q1 = QUALITY[v.level];
      if (q0 === undefined || q1 === undefined || q0 === q1) continue;
      const change = { area: v.area, label: AREA_BY_ID.get(v.area)!.label, from: before.level, to: v.level, fromKey: before.key, toKey: v.key };
      (q1 > q0 ? better : worse).push(change);
    }
    if (worse.length) {
      c.counts.worse++;
      this.push(c.worse, { domain: r.domain, changes: [...worse, ...better] });
    } else if (better.length) {
      c.counts.better++;
      this.push(c.better, { domain: r.domain, changes: better });
    } else c.counts.unchanged++;
    const now = new Set<string>();
    for (const f of r.findings) {
      const id = fingerprint(r.domain, f);
      now.add(id);
      if (!old.findings.has(id)) {
        c.counts.newFindings++;
        this.push(c.newFindings, { domain: r.domain, ruleId: f.ruleId, severity: f.severity, message: short(f.message) });
      }
    }
    for (const [id, f] of old.findings) {
      if (now.has(id)) continue;
      c.counts.fixedFindings++;
      this.push(c.fixedFindings, { domain: r.domain, ...f });
    }
  }

  /** Domains of the baseline the current run does not have are "removed" (their findings are not counted as fixed). */
  finish(): Comparison {
    const removed = [...this.baseline.keys()].sort();
    this.c.counts.removed = removed.length;
    this.c.removed = removed.slice(0, this.c.listLimit);
    const byDomain = (a: { domain: string }, b: { domain: string }) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0);
    for (const list of [this.c.better, this.c.worse, this.c.newFindings, this.c.fixedFindings]) list.sort(byDomain);
    this.c.added.sort();
    return this.c;
  }
}

export const AREA_LABELS = new Map(AREAS.map((a) => [a.id, a.label]));
