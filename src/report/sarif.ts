import { relative, sep } from 'node:path';
import type { Rule } from '../engine/rule.js';
import { DOCS_BASE_URL } from '../paths.js';
import type { DomainReport, Finding, Report, Severity } from '../types.js';
import { fingerprint } from './fingerprint.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** `Dmarc policy none` → `DmarcPolicyNone`: SARIF's reportingDescriptor.name is an identifier. */
const pascal = (id: string) => id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

function helpText(rule: Rule): { text: string; markdown: string } {
  const refs = rule.references.join(', ');
  const text = `${rule.rationale}\n\nFix: ${rule.fix}\n\nReferences: ${refs}`;
  const examples = [
    rule.examples?.bad ? `Bad:\n\n\`\`\`\n${rule.examples.bad}\n\`\`\`` : '',
    rule.examples?.good ? `Good:\n\n\`\`\`\n${rule.examples.good}\n\`\`\`` : '',
  ].filter(Boolean);
  const markdown = [`**${rule.summary}**`, rule.rationale, `**Fix:** ${rule.fix}`, ...examples, `**References:** ${refs}`].join('\n\n');
  return { text, markdown };
}

function descriptor(rule: Rule, severity: Severity) {
  return {
    id: rule.id,
    name: pascal(rule.id),
    shortDescription: { text: rule.summary },
    fullDescription: { text: rule.rationale },
    help: helpText(rule),
    helpUri: `${DOCS_BASE_URL}${rule.id}.md`,
    defaultConfiguration: { level: severity },
    properties: { tags: ['email', rule.category], references: rule.references },
  };
}

/** Zone files relative to the working directory (the repository root in CI), with forward slashes. */
export function artifactUri(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return (rel.startsWith('..') ? file : rel).split(sep).join('/');
}

export interface SarifOptions {
  rules: readonly Rule[];
  /** Severity per rule after user overrides. */
  severityOf?: (rule: Rule) => Severity;
  cwd?: string;
  /**
   * `single` (default): one run for the whole report. `per-target`: one run per domain, each with its
   * own automationDetails id (`mailaudit/<domain>/`, or `mailaudit/zone/<file>/` for the domains
   * audited from a zone file, together), which code scanning uses as the category: uploads for one domain
   * or zone do not close the alerts of another.
   */
  runs?: 'single' | 'per-target';
}

/** The code-scanning category of one domain's results. */
export function sarifCategory(d: DomainReport, cwd: string): string {
  const zone = d.records.zone;
  return zone ? `mailaudit/zone/${artifactUri(zone.file, cwd)}/` : `mailaudit/${d.domain}/`;
}

function result(domain: string, f: Finding, ruleIndex: number, cwd: string) {
  const uri = f.location.file ? artifactUri(f.location.file, cwd) : `dns/${domain}`;
  const physical = { artifactLocation: { uri }, region: { startLine: f.location.line ?? 1 } };
  return {
    ruleId: f.ruleId,
    ruleIndex,
    level: f.severity,
    message: { text: f.message },
    locations: [
      {
        physicalLocation: physical,
        logicalLocations: [
          { name: f.location.name, fullyQualifiedName: `${f.location.name} ${f.location.type}`, kind: 'resource' },
        ],
      },
    ],
    partialFingerprints: { 'mailauditFinding/v1': fingerprint(domain, f) },
    properties: { domain, recordType: f.location.type, args: f.args },
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** SARIF 2.1.0, as GitHub code scanning accepts it. */
export function renderSarif(report: Report, options: SarifOptions): string {
  const cwd = options.cwd ?? process.cwd();
  const index = new Map(options.rules.map((r, i) => [r.id, i]));
  const run = (domains: DomainReport[], id: string) => ({
    tool: {
      driver: {
        name: 'mailaudit',
        version: report.tool.version,
        semanticVersion: report.tool.version,
        informationUri: DOCS_BASE_URL.replace(/blob\/main\/docs\/rules\/$/, ''),
        rules: options.rules.map((r) => descriptor(r, options.severityOf?.(r) ?? r.severity)),
      },
    },
    automationDetails: { id },
    results: domains.flatMap((d) => d.findings.map((f) => result(d.domain, f, index.get(f.ruleId) ?? -1, cwd))),
    invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
  });
  const runs =
    options.runs === 'per-target'
      ? [...groupBy(report.domains, (d) => sarifCategory(d, cwd))].map(([id, domains]) => run(domains, id))
      : [run(report.domains, `mailaudit/${report.domains.map((d) => d.domain).join(',')}/`)];
  const sarif = { $schema: SARIF_SCHEMA, version: '2.1.0', runs };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
