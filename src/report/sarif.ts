import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Rule } from '../engine/rule.js';
import { DOCS_BASE_URL } from '../paths.js';
import type { DomainReport, Finding, Report, Severity } from '../types.js';
import { fingerprint } from './fingerprint.js';
import { JsonStreamWriter } from './json-stream.js';

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

/**
 * A zone file as a SARIF `artifactLocation.uri`, which must be a URI reference (RFC 3986): relative to
 * the working directory (the repository root in CI) with each path segment percent-encoded
 * (`we ird#1%zz [x].zone` → `we%20ird%231%25zz%20%5Bx%5D.zone`, `é.zone` → `%C3%A9.zone`); a file
 * outside it becomes a `file:` URL.
 */
export function artifactUri(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return pathToFileURL(resolve(cwd, file)).href;
  return rel.split(sep).map(encodeURIComponent).join('/');
}

/** Code scanning's default category for mailaudit's results (the Action's `category` input). */
export const DEFAULT_SARIF_CATEGORY = 'mailaudit';

export interface SarifOptions {
  rules: readonly Rule[];
  /** Severity per rule after user overrides. */
  severityOf?: (rule: Rule) => Severity;
  cwd?: string;
  /**
   * The code-scanning category (`automationDetails.id` is `<category>/`, default `mailaudit/`).
   * It does not depend on which domains or zones were audited, so adding a domain to the list does
   * not close (orphan) the alerts of the others: one category holds every domain's results, each
   * told apart by its fingerprint and logical location.
   */
  category?: string;
}

function result(domain: string, f: Finding, ruleIndex: number, cwd: string) {
  const uri = f.location.file ? artifactUri(f.location.file, cwd) : `dns/${encodeURIComponent(domain)}`;
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
          { name: domain, fullyQualifiedName: domain, kind: 'namespace' },
        ],
      },
    ],
    partialFingerprints: { 'mailauditFinding/v1': fingerprint(domain, f) },
    properties: { domain, recordType: f.location.type, args: f.args },
  };
}

/** The SARIF document around its single run: `{ $schema, version, runs: [run] }`. */
const DOCUMENT_HEAD = { $schema: SARIF_SCHEMA, version: '2.1.0' };

/**
 * The one run of a report in three parts, shared by renderSarif and SarifStreamWriter: the head
 * (`tool` with the rule catalogue, `automationDetails`), the results of each domain, and the tail
 * (`invocations`). Nothing in the run depends on every domain but the end time in the tail (no
 * `artifacts` list, no run properties), so a run can be written domain by domain.
 */
function sarifRun(options: SarifOptions, toolVersion: string) {
  const cwd = options.cwd ?? process.cwd();
  const index = new Map(options.rules.map((r, i) => [r.id, i]));
  const category = (options.category ?? DEFAULT_SARIF_CATEGORY).replace(/\/+$/, '') || DEFAULT_SARIF_CATEGORY;
  return {
    head: {
      tool: {
        driver: {
          name: 'mailaudit',
          version: toolVersion,
          semanticVersion: toolVersion,
          informationUri: DOCS_BASE_URL.replace(/blob\/main\/docs\/rules\/$/, ''),
          rules: options.rules.map((r) => descriptor(r, options.severityOf?.(r) ?? r.severity)),
        },
      },
      automationDetails: { id: `${category}/` },
    },
    results: (d: DomainReport) => d.findings.map((f) => result(d.domain, f, index.get(f.ruleId) ?? -1, cwd)),
    tail: (endTimeUtc: string) => ({ invocations: [{ executionSuccessful: true, endTimeUtc }] }),
  };
}

/**
 * SARIF 2.1.0, as GitHub code scanning accepts it: one run for the whole report (code scanning takes
 * one run per upload and category), the rule catalogue once in `tool.driver.rules`.
 */
export function renderSarif(report: Report, options: SarifOptions): string {
  const run = sarifRun(options, report.tool.version);
  const results = report.domains.flatMap((d) => run.results(d));
  const sarif = { ...DOCUMENT_HEAD, runs: [{ ...run.head, results, ...run.tail(report.generatedAt) }] };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/**
 * The same text as renderSarif, written domain by domain (`--format sarif` of a list run): the
 * head of the run first, each domain's results as its report arrives, the tail at the end, so no
 * string ever holds the whole document. `add` the domains in the report's order, then `finish`.
 */
export class SarifStreamWriter {
  private readonly run: ReturnType<typeof sarifRun>;
  private readonly document: JsonStreamWriter;
  private results: JsonStreamWriter | undefined;

  /**
   * @param write where the text goes (the promise resolves once it may go on: backpressure)
   * @param toolVersion the report's `tool.version`
   */
  constructor(write: (text: string) => Promise<void>, options: SarifOptions, toolVersion: string) {
    this.run = sarifRun(options, toolVersion);
    this.document = new JsonStreamWriter(write);
  }

  private async open(): Promise<JsonStreamWriter> {
    if (!this.results) {
      await this.document.open(DOCUMENT_HEAD, 'runs');
      this.results = await this.document.openObjectItem();
      await this.results.open(this.run.head, 'results');
    }
    return this.results;
  }

  /** Writes one domain's results. */
  async add(report: DomainReport): Promise<void> {
    const results = await this.open();
    for (const r of this.run.results(report)) await results.item(r);
  }

  /** Closes the run with its tail (`endTimeUtc`: the report's `generatedAt`) and the document. */
  async finish(endTimeUtc: string): Promise<void> {
    const results = await this.open();
    await results.close(this.run.tail(endTimeUtc));
    await this.document.close({}, '\n');
  }
}
