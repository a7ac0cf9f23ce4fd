/**
 * The GitHub Action: reads its inputs, audits, and reports the way GitHub shows it — SARIF for code
 * scanning (one run, in the `category` input's category), a job summary, annotations on zone-file lines, step
 * outputs — then fails the step per `fail-on`. I/O goes through `ActionIo` so tests can run it.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { audit } from '../audit.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, exitCodeFor, parseInvocation, UsageError } from '../cli.js';
import { RuleLoadError } from '../engine/load.js';
import { InputError } from '../input/domain.js';
import { renderJson } from '../report/json.js';
import { DEFAULT_SARIF_CATEGORY, renderSarif } from '../report/sarif.js';
import { renderText } from '../report/text.js';
import type { DomainReport } from '../types.js';
import { annotationCommand, annotationFor, escapeData, selectAnnotations } from './commands.js';
import { expandZones, getInput, getList, splitArgs } from './inputs.js';
import { renderSummary } from './summary.js';

export interface ActionIo {
  env: NodeJS.ProcessEnv;
  /** The log: workflow commands and the report. */
  stdout: (text: string) => void;
}

/** GitHub code scanning rejects a SARIF run with more results than this. */
const SARIF_RESULTS_PER_RUN = 25_000;

const FORMATS = new Set(['text', 'json', 'sarif']);
const FAIL_ON = new Set(['error', 'warning', 'note', 'none']);

/** Appends `name=value` lines to $GITHUB_OUTPUT (values here never contain newlines). */
function setOutputs(env: NodeJS.ProcessEnv, outputs: Record<string, string | number>): void {
  const lines = Object.entries(outputs).map(([k, v]) => `${k}=${String(v).replace(/[\r\n]/g, ' ')}\n`);
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, lines.join(''));
}

/** Runs the Action; returns the process exit code (0 pass, 1 findings at or above fail-on, 2 bad input). */
export async function runAction(io: ActionIo): Promise<number> {
  const { env } = io;
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  try {
    const format = getInput(env, 'format') || 'text';
    if (!FORMATS.has(format)) throw new UsageError(`the format input must be text, json or sarif, got "${format}"`);
    const failOn = getInput(env, 'fail-on') || 'error';
    const category = getInput(env, 'category') || DEFAULT_SARIF_CATEGORY;
    if (!FAIL_ON.has(failOn)) throw new UsageError(`the fail-on input must be error, warning, note or none, got "${failOn}"`);
    const domains = getList(env, 'domains');
    const zonePatterns = getList(env, 'zones');
    const { files: zones, unmatched } = await expandZones(zonePatterns, workspace);
    for (const pattern of unmatched) io.stdout(`::warning title=mailaudit::${escapeData(`the zone pattern ${pattern} matched no file`)}\n`);
    if (domains.length === 0 && zones.length === 0) {
      if (zonePatterns.length === 0) throw new UsageError('give the domains input, the zones input, or both');
      // A pull request that changed no zone file: nothing to lint, and that is fine.
      io.stdout('mailaudit: no zone file matched: nothing to audit\n');
      setOutputs(env, { errors: 0, warnings: 0, notes: 0, domains: 0, 'sarif-file': '' });
      if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `## mailaudit\n\nNo zone file matched ${zonePatterns.map((p) => `\`${p}\``).join(', ')}: nothing to audit.\n`);
      return EXIT_OK;
    }
    const passThrough = splitArgs(getInput(env, 'args'));
    // `--opt=value` and domains after `--`: a file or domain named like an option stays a value.
    const argv = [
      ...zones.map((z) => `--zone=${z}`),
      ...getList(env, 'disable').map((id) => `--disable=${id}`),
      ...getList(env, 'dkim-selectors').map((s) => `--dkim-selector=${s}`),
      ...(getInput(env, 'config') ? [`--config=${getInput(env, 'config')}`] : []),
      ...passThrough,
      // The fail-on input, unless the args input sets --fail-on itself.
      ...(passThrough.some((a) => a === '--fail-on' || a.startsWith('--fail-on=')) ? [] : [`--fail-on=${failOn}`]),
      ...(domains.length ? ['--', ...domains] : []),
    ];
    const inv = await parseInvocation(argv, workspace);
    if (inv.command !== 'audit') throw new UsageError('the args input cannot run a command other than the audit');
    // Both inputs: the live domains and every zone file's origin.
    const report = await audit(inv.domains, { ...inv.options, auditZoneOrigins: true });
    const severityOf = (r: { id: string; severity: 'error' | 'warning' | 'note' }) => inv.options.severity?.[r.id] ?? r.severity;

    // The log. Record data is untrusted (a TXT record can hold a line starting with `::`): workflow
    // commands are off while the report is printed.
    const token = randomUUID();
    io.stdout(`::stop-commands::${token}\n`);
    io.stdout(format === 'json' ? renderJson(report) : format === 'sarif' ? renderSarif(report, { rules: inv.rules, severityOf, cwd: workspace, category }) : renderText(report, { rules: inv.rules, color: false }));
    io.stdout(`::${token}::\n`);

    // SARIF for github/codeql-action/upload-sarif.
    const sarifInput = getInput(env, 'sarif-file') || 'mailaudit.sarif';
    const sarifPath = isAbsolute(sarifInput) ? sarifInput : join(workspace, sarifInput);
    mkdirSync(dirname(sarifPath), { recursive: true });
    writeFileSync(sarifPath, renderSarif(report, { rules: inv.rules, severityOf, cwd: workspace, category }));
    const results = report.summary.error + report.summary.warning + report.summary.note;
    if (results > SARIF_RESULTS_PER_RUN) {
      io.stdout(`::warning title=mailaudit::${escapeData(`${results} SARIF results: code scanning rejects a run of more than ${SARIF_RESULTS_PER_RUN}; split the domains over several steps, each with its own category input`)}\n`);
    }

    // Annotations, most severe first, within GitHub's per-step limits.
    const repoPath = (file: string) => {
      const rel = relative(workspace, isAbsolute(file) ? file : join(workspace, file));
      return (rel.startsWith('..') ? file : rel).split(sep).join('/');
    };
    const fileOf = (d: DomainReport) => (d.records.zone ? repoPath(d.records.zone.file) : undefined);
    const all = report.domains.flatMap((d) => d.findings.map((f) => annotationFor(f, d.domain, f.location.file ? repoPath(f.location.file) : undefined)));
    const { shown, omitted } = selectAnnotations(all);
    for (const a of shown) io.stdout(`${annotationCommand(a)}\n`);
    if (omitted) io.stdout(`mailaudit: ${omitted} more finding(s) not annotated (GitHub shows 10 per level and step): see the job summary\n`);

    const code = exitCodeFor(report, inv.failOn);
    const sarifShown = relative(workspace, sarifPath).split(sep).join('/');
    if (env.GITHUB_STEP_SUMMARY) {
      appendFileSync(
        env.GITHUB_STEP_SUMMARY,
        renderSummary(report, { fileOf, repoPath, failOn: inv.failOn, failed: code !== EXIT_OK, annotationsOmitted: omitted, sarifFile: sarifShown, unmatched }),
      );
    }
    setOutputs(env, {
      errors: report.summary.error,
      warnings: report.summary.warning,
      notes: report.summary.note,
      domains: report.summary.domains,
      'sarif-file': sarifPath,
    });
    if (code === EXIT_FINDINGS) io.stdout(`::error title=mailaudit::${escapeData(`findings at or above ${inv.failOn} (fail-on): see the job summary`)}\n`);
    return code;
  } catch (err) {
    const known = err instanceof UsageError || err instanceof InputError || err instanceof RuleLoadError;
    const message = (err as Error)?.message ?? String(err);
    io.stdout(`::error title=mailaudit::${escapeData(known ? message : `internal error: ${message}`)}\n`);
    return EXIT_USAGE;
  }
}
