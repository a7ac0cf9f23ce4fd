// First: on an unsupported Node, importing the library throws one clear error before anything else runs.
import './runtime-guard.js';
export { audit, type AuditOptions, REPORT_SCHEMA_VERSION } from './audit.js';
export { InputError, parseDomainName, type DomainName } from './input/domain.js';
export { builtinRules, loadRules, RuleLoadError } from './engine/load.js';
export type { Rule, Condition } from './engine/rule.js';
export type { Report, DomainReport, Finding, FindingLocation, Severity, SeverityCounts } from './types.js';
export type * from './facts/index.js';
export type { DnsSource, DnsAnswer, RRType } from './dns/types.js';
export { renderText } from './report/text.js';
export { renderJson } from './report/json.js';
export { renderSarif } from './report/sarif.js';
export { loadConfig, CONFIG_FILE_NAME, type Config, type ConfigFile } from './config.js';
export type { DomainPolicy, PolicyFacts } from './facts/index.js';
// Lists of domains (issue 7)
export { auditStream, DEFAULT_STREAM_CONCURRENCY } from './audit.js';
export { readDomainList, type ListedDomain, type BadLine } from './input/list.js';
export { renderNdjsonLine } from './report/ndjson.js';
export { renderCsvHeader, renderCsvRow, CSV_COLUMNS } from './report/csv.js';
// HTML report and the fleet view (issue 17)
export { renderHtml } from './report/html.js';
export { renderFleetHtml } from './report/fleet-html.js';
export { renderFleetText } from './report/fleet-text.js';
export { runReport, type ReportOptions } from './fleet/command.js';
export { FleetAggregator } from './fleet/summary.js';
export { BaselineComparer } from './fleet/compare.js';
export type { FleetDocument } from './fleet/document.js';
export { AREAS, domainVerdicts, categoryLookup, type AreaVerdict, type Level } from './fleet/verdicts.js';
