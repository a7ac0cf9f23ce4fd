/**
 * `mailaudit report` (the fleet view of ndjson results) and `--shard auto`, with the real CLI against
 * the loopback test DNS server: the Kubernetes Indexed Job of docs/k8s/ is checked for shape and
 * simulated as three shards with the same environment variables; merged, they give exactly the
 * result of one unsharded run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import yaml from 'js-yaml';
import type { DomainReport } from '../src/types.js';
import type { FleetDocument } from '../src/fleet/document.js';
import { parseShard } from '../src/input/shard.js';
import { runCli } from './helpers/cli.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { fleetDomain, fleetRecords, fleetSigned } from './helpers/html-fixtures.js';

const N = 24;
const dir = mkdtempSync(join(tmpdir(), 'mailaudit-fleet-'));
const list = join(dir, 'domains.txt');
const all = join(dir, 'all.ndjson');
let dns: TestDnsServer;
let manifest: Record<string, any>;
let shardFiles: string[] = [];
let shardRuns: { code: number | null; stderr: string }[] = [];

const dnsArgs = () => ['--dns-server', dns.address, '--timeout', '3000', '--tries', '1', '--no-smtp', '--http-timeout', '1000', '--quiet'];
const readNdjson = (file: string): DomainReport[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** What Kubernetes does with `$(VAR)` in args: the container's variables substituted. */
const expand = (arg: string, env: Record<string, string>) => arg.replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? `$(${name})`);

function indexedJob(): Record<string, any> {
  const docs = yaml.loadAll(readFileSync(join('docs', 'k8s', 'indexed-job.yaml'), 'utf8')) as Record<string, any>[];
  return docs.find((d) => d.kind === 'Job' && d.spec?.completionMode === 'Indexed')!;
}

test.before(async () => {
  dns = await startDnsServer({ records: fleetRecords(N), authenticatedZones: fleetSigned(N) });
  writeFileSync(list, `${Array.from({ length: N }, (_, i) => fleetDomain(i)).join('\n')}\n`);
  const whole = await runCli(['--input', list, '--format', 'ndjson', '--output', all, ...dnsArgs()]);
  if (whole.code === 2) throw new Error(whole.stderr);
  // The Indexed Job's pods, as Kubernetes runs them: its args, its env, and the index it injects.
  manifest = indexedJob();
  const container = manifest.spec.template.spec.containers[0];
  const count = Number(manifest.spec.completions);
  shardRuns = await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const env: Record<string, string> = { JOB_COMPLETION_INDEX: String(index) };
      for (const e of container.env) env[e.name] = String(e.value);
      const args = (container.args as string[]).map((a) => expand(a, env).replace(/^\/list\//, `${dir}/`).replace(/^\/results\//, `${dir}/`));
      shardFiles.push(join(dir, `shard-${index}.ndjson`));
      return runCli([...args, ...dnsArgs()], { ...env, MAILAUDIT_SHARD_INDEX: '' });
    }),
  );
});

test.after.always(async () => {
  await dns?.close();
});

test('the Indexed Job manifest has what an Indexed Job needs, and runs mailaudit with --shard auto', (t) => {
  const job = manifest;
  t.is(job.apiVersion, 'batch/v1');
  t.is(job.spec.completionMode, 'Indexed');
  t.true(Number.isInteger(job.spec.completions) && job.spec.completions > 1);
  t.true(Number.isInteger(job.spec.parallelism) && job.spec.parallelism >= 1);
  t.is(job.spec.template.spec.restartPolicy, 'Never', 'a Job pod never restarts in place');
  const c = job.spec.template.spec.containers[0];
  t.truthy(c.image);
  t.deepEqual(c.command, ['mailaudit']);
  const args: string[] = c.args;
  t.is(args[args.indexOf('--shard') + 1], 'auto');
  t.is(args[args.indexOf('--format') + 1], 'ndjson');
  t.regex(args[args.indexOf('--output') + 1]!, /\$\(JOB_COMPLETION_INDEX\)/, 'one output file per index');
  const count = c.env.find((e: { name: string }) => e.name === 'MAILAUDIT_SHARD_COUNT');
  t.is(String(count?.value), String(job.spec.completions), 'the shard count is the number of completions');
  const mounts = new Set(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath));
  t.true(mounts.has('/results'), 'the shards are kept on a volume');
  const merge = (yaml.loadAll(readFileSync(join('docs', 'k8s', 'indexed-job.yaml'), 'utf8')) as Record<string, any>[]).find((d) => d.kind === 'Job' && d.spec?.completionMode !== 'Indexed');
  t.regex(JSON.stringify(merge?.spec.template.spec.containers[0].args), /mailaudit report \/results\/shard-\*\.ndjson/);
});

test('the GitHub Actions workflow: a matrix whose jobs set the shard variables, artifacts kept, merged by mailaudit report', (t) => {
  const wf = yaml.load(readFileSync(join('docs', 'github', 'matrix.yml'), 'utf8')) as Record<string, any>;
  const auditJob = wf.jobs.audit;
  t.true(Array.isArray(auditJob.strategy.matrix.shard) && auditJob.strategy.matrix.shard.length > 1);
  t.is(auditJob.env.MAILAUDIT_SHARD_INDEX, '${{ strategy.job-index }}');
  t.is(auditJob.env.MAILAUDIT_SHARD_COUNT, '${{ strategy.job-total }}');
  const runs = auditJob.steps.map((s: { run?: string }) => s.run ?? '').join('\n');
  t.regex(runs, /mailaudit .*--shard auto .*--format ndjson/);
  t.true(auditJob.steps.some((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact')));
  t.is(wf.jobs.report.needs, 'audit');
  t.regex(wf.jobs.report.steps.map((s: { run?: string }) => s.run ?? '').join('\n'), /mailaudit report shard-\*\.ndjson/);
});

test('three shards from the Indexed Job environment split the list: every domain in exactly one shard', (t) => {
  for (const r of shardRuns) t.not(r.code, 2, r.stderr);
  const per = shardFiles.map((f) => readNdjson(f).map((d) => d.domain));
  for (const names of per) t.true(names.length > 0, 'no empty shard for this list');
  const merged = per.flat().sort();
  t.deepEqual(merged, readNdjson(all).map((d) => d.domain).sort());
  t.is(new Set(merged).size, N);
});

test('mailaudit report of the three shards is exactly the report of the unsharded run', async (t) => {
  const merged = await runCli(['report', ...shardFiles, '--format', 'json']);
  const whole = await runCli(['report', all, '--format', 'json']);
  t.is(merged.code, 0, merged.stderr);
  const strip = (text: string) => {
    const doc = JSON.parse(text) as Partial<FleetDocument>;
    delete doc.generatedAt;
    delete doc.inputs;
    return doc;
  };
  t.deepEqual(strip(merged.stdout), strip(whole.stdout));
  const text = await runCli(['report', ...shardFiles]);
  const textWhole = await runCli(['report', all]);
  t.is(text.stdout.split('\n').slice(1).join('\n'), textWhole.stdout.split('\n').slice(1).join('\n'), 'the text view too, but for the file count');
});

test('the fleet numbers are the reports counted: DMARC policies, SPF, DKIM, rules by domain', async (t) => {
  const reports = readNdjson(all);
  const doc = JSON.parse((await runCli(['report', all, '-f', 'json'])).stdout) as FleetDocument;
  t.is(doc.schema, 'mailaudit-fleet/1');
  t.is(doc.domains, N);
  const counts = (area: string) => Object.fromEntries(doc.areas.find((a) => a.area === area)!.counts.map((c) => [c.key, c.count]));
  const tally = (keys: string[]) => keys.reduce<Record<string, number>>((m, k) => ((m[k] = (m[k] ?? 0) + 1), m), {});
  // DMARC: the policy applied, else missing (no record) or invalid (records, none usable).
  t.deepEqual(
    counts('dmarc'),
    tally(reports.map((r) => r.records.dmarc!.effective?.policy ?? (r.records.dmarc!.count > 0 ? 'invalid' : 'missing'))),
  );
  t.deepEqual(counts('dmarc'), { reject: 10, quarantine: 5, none: 5, missing: 2, invalid: 2 }, 'the fixture has every DMARC case');
  t.is(counts('dkim').found, reports.filter((r) => r.records.dkim!.keys.length > 0).length);
  t.is(counts('spf')['too-many-lookups'], reports.filter((r) => (r.records.spf!.lookupCount ?? 0) > 10).length);
  t.is(counts('spf').missing, reports.filter((r) => r.records.spf!.status === 'absent').length);
  t.is(counts('dnssec').signed, fleetSigned(N).length);
  for (const rule of doc.rules) t.is(rule.domains, reports.filter((r) => r.findings.some((f) => f.ruleId === rule.ruleId)).length, rule.ruleId);
  t.is(doc.rows.length, N);
  t.deepEqual(
    doc.rows.map((r) => r.domain),
    reports.map((r) => r.domain).sort(),
  );
  t.is(doc.severity.error, reports.reduce((n, r) => n + r.summary.error, 0));
});

test('csv: one row per domain with its verdict per area; html: one page with the charts', async (t) => {
  const csv = await runCli(['report', all, '-f', 'csv']);
  const lines = csv.stdout.split('\r\n').filter(Boolean);
  t.is(lines.length, N + 1);
  t.regex(lines[0]!, /^domain,verdict,errors,warnings,notes,mx_verdict,mx,spf_verdict,spf,dmarc_verdict,dmarc,/);
  const out = join(dir, 'posture.html');
  const h = await runCli(['report', all, '-o', out]);
  t.is(h.code, 0, h.stderr);
  const page = readFileSync(out, 'utf8');
  t.true(page.startsWith('<!doctype html>'), '-o *.html picks html');
  t.is((page.match(/<tbody data-domain=/g) ?? []).length, N);
  t.regex(page, /<script>/, 'the table script');
});

test('--baseline: domains that got better or worse, new and fixed findings', async (t) => {
  // Yesterday one domain that publishes p=reject today had no DMARC record: today it is better.
  const today = readNdjson(all);
  const target = today.find((r) => r.records.dmarc!.effective?.policy === 'reject')!;
  const records = fleetRecords(N).filter((r) => !(r.type === 'TXT' && r.name === `_dmarc.${target.domain}`));
  const older = await startDnsServer({ records, authenticatedZones: fleetSigned(N) });
  const baseline = join(dir, 'baseline.ndjson');
  try {
    const b = await runCli(['--input', list, '--format', 'ndjson', '--output', baseline, ...dnsArgs().map((a) => (a === dns.address ? older.address : a))]);
    t.not(b.code, 2, b.stderr);
  } finally {
    await older.close();
  }
  const doc = JSON.parse((await runCli(['report', all, '--baseline', baseline, '-f', 'json'])).stdout) as FleetDocument;
  const c = doc.comparison!;
  t.is(c.baselineDomains, N);
  t.is(c.counts.better, 1);
  t.is(c.counts.worse, 0);
  t.is(c.better[0]!.domain, target.domain);
  t.deepEqual(
    c.better[0]!.changes.map((x) => [x.area, x.from, x.to, x.fromKey, x.toKey]),
    [['dmarc', 'bad', 'good', 'missing', 'reject']],
  );
  t.true(c.fixedFindings.some((f) => f.domain === target.domain && f.ruleId === 'dmarc-missing'));
  t.is(c.counts.newFindings, c.newFindings.length);
  t.true(c.newFindings.every((f) => f.domain === target.domain), 'only the changed domain has new findings');
  // The other way round: the same change is a domain that got worse.
  const back = JSON.parse((await runCli(['report', baseline, '--baseline', all, '-f', 'json'])).stdout) as FleetDocument;
  t.is(back.comparison!.counts.worse, 1);
  t.true(back.comparison!.newFindings.some((f) => f.ruleId === 'dmarc-missing'));
  const page = await runCli(['report', baseline, '--baseline', all, '-f', 'html']);
  t.regex(page.stdout, /<span class="big delta-worse" data-kpi="worse">1<\/span>/);
  t.true(page.stdout.includes(`<span class="delta-worse mono">${target.domain}</span> <span class="pill">DMARC: Good → Failing</span>`));
  const fromStdin = await runCli(['report', '-', '--baseline', all, '-f', 'json'], {}, readFileSync(baseline, 'utf8'));
  t.deepEqual((JSON.parse(fromStdin.stdout) as FleetDocument).comparison!.counts, back.comparison!.counts, '- reads stdin');
  const text = await runCli(['report', baseline, '--baseline', all]);
  t.regex(text.stdout, new RegExp(`worse  ${target.domain.replace(/\./g, '\\.')}: DMARC good → failing`));
});

test('report: bad input is one line and exit 2; a line cut short is skipped and said', async (t) => {
  const missing = await runCli(['report', join(dir, 'nope.ndjson')]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^mailaudit: cannot read .*nope\.ndjson: ENOENT\n$/);
  const none = await runCli(['report']);
  t.is(none.code, 2);
  t.is(none.stderr.split('\n').length, 2);
  const garbage = join(dir, 'garbage.ndjson');
  writeFileSync(garbage, 'domain,errors\nexample.com,1\n');
  const g = await runCli(['report', garbage]);
  t.is(g.code, 2);
  t.regex(g.stderr, /no domain report in .*garbage\.ndjson/);
  const cut = join(dir, 'cut.ndjson');
  const text = readFileSync(all, 'utf8');
  writeFileSync(cut, text.slice(0, text.length - 40));
  const c = await runCli(['report', cut, '-f', 'json']);
  t.is(c.code, 0);
  t.regex(c.stderr, /cut\.ndjson:24: not JSON; skipped/);
  const doc = JSON.parse(c.stdout) as FleetDocument;
  t.is(doc.domains, N - 1);
  t.is(doc.skippedLines, 1);
  const dup = await runCli(['report', all, all, '-f', 'json']);
  t.is((JSON.parse(dup.stdout) as FleetDocument).duplicates, N, 'a domain in two inputs is counted once');
});

test('--shard auto: the index from the Kubernetes or CI variables, the count from --shard-count or the environment', (t) => {
  t.deepEqual(parseShard('auto', { JOB_COMPLETION_INDEX: '0', MAILAUDIT_SHARD_COUNT: '3' }), { index: 1, count: 3 });
  t.deepEqual(parseShard('auto', { JOB_COMPLETION_INDEX: '2' }, 3), { index: 3, count: 3 });
  t.deepEqual(parseShard('auto', { MAILAUDIT_SHARD_INDEX: '1', JOB_COMPLETION_INDEX: '0', MAILAUDIT_SHARD_COUNT: '4' }), { index: 2, count: 4 }, 'the explicit variable wins');
  t.throws(() => parseShard('auto', {}), { message: /^--shard auto: no shard index in the environment: set MAILAUDIT_SHARD_INDEX/ });
  t.throws(() => parseShard('auto', { JOB_COMPLETION_INDEX: '0' }), { message: /no shard count: give --shard-count N or set MAILAUDIT_SHARD_COUNT/ });
  t.throws(() => parseShard('auto', { JOB_COMPLETION_INDEX: '3', MAILAUDIT_SHARD_COUNT: '3' }), { message: /expected 0 to 2 for 3 shards/ });
  t.throws(() => parseShard('auto', { JOB_COMPLETION_INDEX: 'x', MAILAUDIT_SHARD_COUNT: '3' }), { message: /invalid JOB_COMPLETION_INDEX/ });
  t.throws(() => parseShard('auto', { JOB_COMPLETION_INDEX: '0', MAILAUDIT_SHARD_COUNT: '0' }), { message: /invalid shard count/ });
  t.throws(() => parseShard('1/2', {}, 2), { message: /--shard-count goes with --shard auto/ });
});

test('CLI: --shard auto with nothing set fails with one line', async (t) => {
  const r = await runCli(['--input', list, '--shard', 'auto', '-f', 'ndjson', ...dnsArgs()], { JOB_COMPLETION_INDEX: '', MAILAUDIT_SHARD_INDEX: '' });
  t.is(r.code, 2);
  t.regex(r.stderr, /^mailaudit: --shard auto: no shard index in the environment[^\n]*\n$/);
  t.is(r.stdout, '');
});
