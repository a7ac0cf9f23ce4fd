import type { DomainFacts } from './facts/index.js';

export type Severity = 'error' | 'warning' | 'note';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'note'];

/** Where a finding points: the DNS owner name and type, and the zone file line when there is one. */
export interface FindingLocation {
  name: string;
  type: string;
  file?: string;
  line?: number;
}

/** A finding is data: the rule, where, and the values its message was made from. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  location: FindingLocation;
  args: Record<string, unknown>;
}

export type SeverityCounts = Record<Severity, number>;

export interface DomainReport {
  domain: string;
  input: string;
  findings: Finding[];
  summary: SeverityCounts;
  /** The facts the findings were derived from. */
  records: DomainFacts;
}

export interface Report {
  schemaVersion: string;
  tool: { name: 'mailaudit'; version: string };
  generatedAt: string;
  domains: DomainReport[];
  summary: SeverityCounts & { domains: number };
}
