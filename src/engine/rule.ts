import type { Severity } from '../types.js';

/** One condition on a value found at `path` (relative to the node `given` selected; `$.` = the domain's facts). */
export interface Condition {
  path: string;
  exists?: boolean;
  absent?: boolean;
  equals?: unknown;
  notEquals?: unknown;
  in?: unknown[];
  notIn?: unknown[];
  matches?: string;
  notMatches?: string;
  lt?: number;
  lte?: number;
  gt?: number;
  gte?: number;
}

/** A rule file, as rules/rule.schema.json describes it. */
export interface Rule {
  id: string;
  category: string;
  severity: Severity;
  summary: string;
  given: string;
  when: Condition[];
  message: string;
  location: { name: string; type: string };
  references: string[];
  rationale: string;
  fix: string;
  examples?: { bad?: string; good?: string };
}
