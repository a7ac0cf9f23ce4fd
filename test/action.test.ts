import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import AjvDraft04Module from 'ajv-draft-04';
import { ANNOTATIONS_PER_LEVEL, annotationCommand, escapeData, escapeProperty, selectAnnotations, type Annotation } from '../src/action/commands.js';
import { splitArgs } from '../src/action/inputs.js';
import { escapeCell } from '../src/action/summary.js';
import { builtinRules } from '../src/engine/load.js';
import { DOCS_BASE_URL } from '../src/paths.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { QUIET_RULES, startFixtureDns } from './helpers/fixtures.js';

const AjvDraft04 = AjvDraft04Module.default ?? AjvDraft04Module;
const ENTRY = join(process.cwd(), 'dist', 'src', 'action', 'main.js');
/** The committed bundle action.yml runs (`npm run bundle`). */
const BUNDLE = join(process.cwd(), 'action', 'main.mjs');
let dns: TestDnsServer;

test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

interface ActionResult {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  workspace: string;
}

/** A repository checkout: the workspace, with the files given (path → content, or fixture path to copy). */
function workspace(files: Record<string, string | { copy: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'action-ws-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    if (typeof content === 'string') writeFileSync(join(dir, path), content);
    else copyFileSync(content.copy, join(dir, path));
  }
  return dir;
}

/** Runs the Action's entry point as the runner would: INPUT_* variables, summary and output files. */
/** These tests are about the Action: the probe is off and the notes every fixture domain gets are too. */
const QUIET_ARGS = ['--no-smtp', ...QUIET_RULES.flatMap((id) => ['--disable', id])].join(' ');

function runAction(inputs: Record<string, string>, ws: string, entry = ENTRY): Promise<ActionResult> {
  const meta = mkdtempSync(join(tmpdir(), 'action-runner-'));
  const summaryFile = join(meta, 'summary.md');
  const outputFile = join(meta, 'output.txt');
  writeFileSync(summaryFile, '');
  writeFileSync(outputFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ws,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_OUTPUT: outputFile,
    'INPUT_ARGS': `--dns-server ${dns.address} --timeout 10000 --tries 2 ${QUIET_ARGS}`,
  };
  // The runner's own spelling for node actions keeps hyphens (INPUT_FAIL-ON); action.yml passes underscores.
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { env, cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const outputs = Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      resolve({ code, stdout, stderr, summary: readFileSync(summaryFile, 'utf8'), outputs, workspace: ws });
    });
  });
}

const annotations = (stdout: string) => stdout.split('\n').filter((l) => /^::(error|warning|notice) /.test(l));
const sarifSchema = JSON.parse(readFileSync(join('test', 'schemas', 'sarif-schema-2.1.0.json'), 'utf8'));

test('zone files in a pull request: one SARIF run, annotations on their lines, summary, outputs, failing step', async (t) => {
  const ws = workspace({
    'zones/clean.zone': { copy: 'fixtures/clean/zone.db' },
    'zones/nospf.zone': { copy: 'fixtures/no-spf/zone.db' },
    'zones/mxcname.zone': { copy: 'fixtures/mx-cname/zone.db' },
    'zones/broken.zone': '$ORIGIN broken.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN MX ten mx1\n',
    'zones/README.md': 'not a zone',
  });
  const r = await runAction({ zones: 'zones/*.zone', 'fail-on': 'error' }, ws);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.deepEqual({ ...r.outputs, 'sarif-file': undefined }, { errors: '2', warnings: '1', notes: '0', domains: '4', 'sarif-file': undefined });
  t.is(r.outputs['sarif-file'], join(ws, 'mailaudit.sarif'));

  const sarif = JSON.parse(readFileSync(r.outputs['sarif-file']!, 'utf8'));
  const validate = new AjvDraft04({ allErrors: true, strict: false }).compile(sarifSchema);
  t.true(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
  t.is(sarif.runs.length, 1, 'one run per upload');
  t.is(sarif.runs[0].automationDetails.id, 'mailaudit/', 'the default category, whatever the zones');
  t.is(sarif.runs[0].tool.driver.rules.length, builtinRules().length, 'the rule catalogue once');
  const results = sarif.runs[0].results as { ruleId: string; locations: { physicalLocation: unknown; logicalLocations: { name: string; kind: string }[] }[]; partialFingerprints: Record<string, string> }[];
  t.deepEqual(
    results.map((res) => [res.ruleId, res.locations[0]!.physicalLocation]),
    [
      ['zone-syntax-error', { artifactLocation: { uri: 'zones/broken.zone' }, region: { startLine: 3 } }],
      ['mx-target-cname', { artifactLocation: { uri: 'zones/mxcname.zone' }, region: { startLine: 5 } }],
      ['spf-missing', { artifactLocation: { uri: 'zones/nospf.zone' }, region: { startLine: 3 } }],
    ],
  );
  t.deepEqual(results[2]!.locations[0]!.logicalLocations.find((l) => l.kind === 'namespace')?.name, 'nospf.test', 'the domain is a logical location');

  const lines = annotations(r.stdout);
  t.is(lines[0], `::error file=zones/broken.zone,line=3,title=mailaudit zone-syntax-error (broken.test)::zones/broken.zone line 3 does not parse: bad preference 'ten': expected a number from 0 to 65535. A name server would refuse to load this zone, so nothing else in it was audited.`);
  t.regex(lines[1]!, /^::error file=zones\/nospf\.zone,line=3,title=mailaudit spf-missing \(nospf\.test\)::nospf\.test publishes no SPF record/);
  t.regex(lines[2]!, /^::warning file=zones\/mxcname\.zone,line=5,title=mailaudit mx-target-cname \(mxcname\.test\)::/);
  t.regex(lines[3]!, /^::error title=mailaudit::findings at or above error/);

  t.regex(r.summary, /^## mailaudit: 4 domains, 2 errors, 1 warning, 0 notes/);
  t.true(r.summary.includes('❌ Failed: findings at or above `error`'));
  t.true(r.summary.includes('### nospf.test — `zones/nospf.zone`'));
  t.true(r.summary.includes('| severity | rule | finding | record |'));
  t.true(r.summary.includes(`| 🔴 error | [spf-missing](${DOCS_BASE_URL}spf-missing.md) | nospf.test publishes no SPF record: receivers cannot tell which servers may send its mail \\(SPF result none\\). | nospf.test TXT \\(zones/nospf.zone:3\\) |`), r.summary);
  t.true(r.summary.includes('### clean.test — `zones/clean.zone`\n\n✅ no findings'));
  t.notRegex(r.summary, /not annotated/);
  t.regex(r.stdout, /nospf\.test: 1 error, 0 warnings, 0 notes/, 'the text report is in the log');
});

test('live domains: one SARIF run in the given category, annotations without a file, fail-on none passes', async (t) => {
  const ws = workspace({});
  const r = await runAction({ domains: 'clean.test, nospf.test\ndmarcnone.test', 'fail-on': 'none', 'sarif-file': 'out/ma.sarif', category: 'mail/prod' }, ws);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.like(r.outputs, { errors: '1', warnings: '1', notes: '0', domains: '3', 'sarif-file': join(ws, 'out', 'ma.sarif') });
  const sarif = JSON.parse(readFileSync(join(ws, 'out', 'ma.sarif'), 'utf8'));
  t.deepEqual(sarif.runs.map((run: { automationDetails: { id: string } }) => run.automationDetails.id), ['mail/prod/']);
  const byDomain = Object.fromEntries(sarif.runs[0].results.map((res: { properties: { domain: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => [res.properties.domain, res.locations[0]!.physicalLocation.artifactLocation.uri]));
  t.deepEqual(byDomain, { 'nospf.test': 'dns/nospf.test', 'dmarcnone.test': 'dns/dmarcnone.test' });
  t.deepEqual(annotations(r.stdout).map((l) => l.slice(0, l.indexOf('::', 2))), ['::error title=mailaudit spf-missing (nospf.test)', '::warning title=mailaudit dmarc-policy-none (dmarcnone.test)']);
  t.notRegex(r.summary, /Failed|Passed/, 'fail-on none: no verdict');
});

test('annotations stay within GitHub limits, most severe first; the summary says how many were left out', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 12; i++) {
    files[`zones/z${i}.zone`] = `$ORIGIN z${i}.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN NS ns1\n@ IN MX 10 mx1\n_dmarc IN TXT "v=DMARC1; p=none"\nns1 IN A 127.0.0.53\nmx1 IN A 127.0.0.25\n`;
  }
  // One error (no SPF) and one warning (p=none) per zone: the DKIM and report-address warnings are off here.
  const args = `--dns-server ${dns.address} --timeout 10000 --tries 2 ${QUIET_ARGS} --disable dkim-no-selector-found --disable dmarc-no-rua`;
  const r = await runAction({ zones: 'zones/z*.zone', 'fail-on': 'warning', args }, workspace(files));
  t.is(r.code, 1);
  t.like(r.outputs, { errors: '12', warnings: '12' });
  const lines = annotations(r.stdout).filter((l) => !l.includes('title=mailaudit::'));
  const levels = lines.map((l) => l.slice(2, l.indexOf(' ')));
  t.deepEqual(levels, [...Array(ANNOTATIONS_PER_LEVEL).fill('error'), ...Array(ANNOTATIONS_PER_LEVEL).fill('warning')]);
  t.true(r.summary.includes('4 finding(s) were not annotated: GitHub shows at most 10 error, 10 warning and 10 notice annotations per step'), r.summary.slice(-600));
});

test('record data cannot inject workflow commands: the report is printed with commands stopped', async (t) => {
  const ws = workspace({ 'evil.zone': '$ORIGIN evil.test.\n@ IN SOA ns1 hm ( 1 2 3 4 5 )\n@ IN NS ns1\n@ IN MX 0 .\n@ IN TXT "v=spf1 -all\\010::error::injected"\n_dmarc IN TXT "v=DMARC1; p=reject"\nns1 IN A 127.0.0.53\n' });
  const r = await runAction({ zones: 'evil.zone' }, ws);
  const lines = r.stdout.split('\n');
  // The record's line feed is shown escaped (text-escape.ts): the command never starts a line.
  t.false(lines.includes('::error::injected'));
  const injected = lines.findIndex((l) => l.includes('v=spf1 -all\\x0a::error::injected'));
  t.true(injected > 0, 'the record is in the report');
  const stop = lines.findIndex((l) => l.startsWith('::stop-commands::'));
  const token = lines[stop]!.slice('::stop-commands::'.length);
  t.regex(token, /^[0-9a-f-]{36}$/);
  const resume = lines.indexOf(`::${token}::`);
  t.true(stop < injected && injected < resume, 'commands are off while the report is printed');
});

test('a pull request that changed no zone file passes with nothing to audit', async (t) => {
  const r = await runAction({ zones: 'zones/*.zone' }, workspace({ 'README.md': 'x' }));
  t.is(r.code, 0, r.stdout);
  t.like(r.outputs, { errors: '0', warnings: '0', notes: '0', domains: '0' });
  t.regex(r.stdout, /^::warning title=mailaudit::the zone pattern zones\/\*\.zone matched no file$/m);
  t.regex(r.summary, /nothing to audit/);
});

test('inputs reach the audit: config at the repository root, disable, dkim-selectors, pass-through args', async (t) => {
  const ws = workspace({ '.mailauditrc.json': JSON.stringify({ rules: { 'dmarc-policy-none': 'error' } }) });
  const r = await runAction({ domains: 'nospf.test dmarcnone.test', disable: 'spf-missing', 'dkim-selectors': 'mail, s2024' }, ws);
  t.is(r.code, 1, r.stdout);
  t.like(r.outputs, { errors: '1', warnings: '0' }, 'spf-missing off, dmarc-policy-none raised to error by the config file');
});

test('domains and zones together: the live domains and every zone origin; --fail-on in args wins; a file named like an option is a file', async (t) => {
  const ws = workspace({ '-nospf.zone': { copy: 'fixtures/no-spf/zone.db' } });
  const r = await runAction({ domains: 'dmarcnone.test', zones: '*.zone', 'fail-on': 'error', args: `--dns-server ${dns.address} --timeout 10000 --tries 2 ${QUIET_ARGS} --fail-on none` }, ws);
  t.is(r.code, 0, r.stdout);
  t.like(r.outputs, { domains: '2', errors: '1', warnings: '1' });
  const sarif = JSON.parse(readFileSync(r.outputs['sarif-file']!, 'utf8'));
  t.deepEqual(sarif.runs.map((run: { automationDetails: { id: string } }) => run.automationDetails.id), ['mailaudit/']);
  t.deepEqual(sarif.runs[0].results.map((res: { properties: { domain: string } }) => res.properties.domain).sort(), ['dmarcnone.test', 'nospf.test']);
});

test('bad inputs fail the step with one error command (exit 2)', async (t) => {
  const ws = workspace({ 'bad.json': '{' });
  for (const [inputs, message] of [
    [{ domains: 'clean.test', 'fail-on': 'sometimes' }, /the fail-on input must be/],
    [{ domains: 'clean.test', format: 'xml' }, /the format input must be/],
    [{}, /give the domains input, the zones input, or both/],
    [{ domains: 'clean.test', config: 'bad.json' }, /config file bad\.json: not valid JSON/],
    [{ zones: 'missing.zone' }, /cannot read zone file missing\.zone: ENOENT/],
    [{ domains: 'clean.test', disable: 'no-such-rule' }, /unknown rule id "no-such-rule"/],
  ] as const) {
    const r = await runAction(inputs, ws);
    t.is(r.code, 2, JSON.stringify(inputs));
    t.regex(r.stdout, /^::error title=mailaudit::/m);
    t.regex(r.stdout, message);
  }
});

test('workflow command escaping', (t) => {
  t.is(escapeData('100% sure\r\nnext'), '100%25 sure%0D%0Anext');
  t.is(escapeProperty('a:b,c%\n'), 'a%3Ab%2Cc%25%0A');
  const a: Annotation = { severity: 'note', message: 'line1\nline2 50%', title: 'mailaudit x, y: z', file: 'zones/a,b.zone', line: 7 };
  t.is(annotationCommand(a), '::notice file=zones/a%2Cb.zone,line=7,title=mailaudit x%2C y%3A z::line1%0Aline2 50%25');
});

test('annotation selection keeps 10 per level, errors first, zone-file lines first', (t) => {
  const mk = (severity: Annotation['severity'], file?: string): Annotation => (file ? { severity, message: 'm', title: 't', file, line: 1 } : { severity, message: 'm', title: 't' });
  const all = [...Array(12).fill(0).map(() => mk('note')), mk('warning'), ...Array(11).fill(0).map((_, i) => mk('error', i % 2 ? `f${i}` : undefined))];
  const { shown, omitted } = selectAnnotations(all);
  t.is(omitted, 3);
  t.deepEqual(shown.map((a) => a.severity), [...Array(10).fill('error'), 'warning', ...Array(10).fill('note')]);
  t.true(shown.slice(0, 5).every((a) => a.file), 'findings on zone-file lines come first');
});

test('Markdown table cells are escaped', (t) => {
  t.is(escapeCell('a|b *c* _d_ `e` [f](g) <h> & x\ny'), 'a\\|b \\*c\\* \\_d\\_ \\`e\\` \\[f\\]\\(g\\) &lt;h&gt; &amp; x<br>y');
});

test('pass-through args are split like a shell', (t) => {
  t.deepEqual(splitArgs(`--dns-server 127.0.0.1:53  --disable "spf-missing" 'a b' c\\ d "x\\"y"`), ['--dns-server', '127.0.0.1:53', '--disable', 'spf-missing', 'a b', 'c d', 'x"y']);
  t.deepEqual(splitArgs(''), []);
  t.throws(() => splitArgs('"open'), { message: /unterminated " quote/ });
});

test('action.yml is a JavaScript action: Node 24 runs the committed bundle; it declares every input and output the entry point uses', (t) => {
  const yml = readFileSync('action.yml', 'utf8');
  for (const input of ['domains', 'zones', 'format', 'fail-on', 'disable', 'dkim-selectors', 'config', 'sarif-file', 'category', 'args']) {
    t.regex(yml, new RegExp(`^  ${input}:\\n    description: `, 'm'), `input ${input}`);
  }
  t.regex(yml, /^  category:\n(?:    .*\n)+?    default: mailaudit$/m, 'category defaults to mailaudit');
  for (const output of ['errors', 'warnings', 'notes', 'domains', 'sarif-file']) t.regex(yml, new RegExp(`^  ${output}:\\n    description: `, 'm'), `output ${output}`);
  t.regex(yml, /^runs:\n  using: node24\n  main: action\/main\.mjs\n/m);
  t.true(existsSync(BUNDLE));
  t.true(existsSync(ENTRY));
  const bundle = readFileSync(BUNDLE, 'utf8');
  t.false(bundle.includes(process.cwd()), 'no absolute path of the machine that built it');
  t.false(bundle.includes('sourceMappingURL'));
});

/**
 * The committed bundle, as the runner uses it: a folder with only what the repository holds next to
 * action.yml (no package.json, no node_modules), INPUT_* variables spelled as the runner spells them
 * (hyphens kept, every input with its default), and Node 24.
 */
test('the committed bundle runs from a clean checkout of the action with nothing installed', async (t) => {
  const action = mkdtempSync(join(tmpdir(), 'action-checkout-'));
  for (const dir of ['rules', 'schemas', 'docs', 'data']) cpSync(dir, join(action, dir), { recursive: true });
  copyFileSync('action.yml', join(action, 'action.yml'));
  mkdirSync(join(action, 'action'));
  copyFileSync(BUNDLE, join(action, 'action', 'main.mjs'));
  const defaults = Object.fromEntries(
    [...readFileSync('action.yml', 'utf8').matchAll(/^  ([a-z-]+):\n(?:    .*\n)*?    default: (.*)$/gm)].map((m) => [m[1]!, m[2] === "''" ? '' : m[2]!]),
  );
  const ws = workspace({ 'zones/nospf.zone': { copy: 'fixtures/no-spf/zone.db' }, 'zones/we ird#1%zz [x].zone': { copy: 'fixtures/mx-cname/zone.db' } });
  const args = `--dns-server ${dns.address} --timeout 10000 --tries 2 ${QUIET_ARGS}`;
  const r = await runAction({ ...defaults, zones: 'zones/*.zone', 'fail-on': 'error', args }, ws, join(action, 'action', 'main.mjs'));
  t.is(r.code, 1, r.stdout + r.stderr);
  t.is(r.stderr, '');
  t.like(r.outputs, { errors: '1', warnings: '1', domains: '2', 'sarif-file': join(ws, 'mailaudit.sarif') });
  const sarif = JSON.parse(readFileSync(r.outputs['sarif-file']!, 'utf8'));
  const validate = new AjvDraft04({ allErrors: true, strict: false }).compile(sarifSchema);
  t.true(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
  t.is(sarif.runs[0].automationDetails.id, 'mailaudit/');
  t.is(sarif.runs[0].tool.driver.version, JSON.parse(readFileSync('package.json', 'utf8')).version);
  t.deepEqual(sarif.runs[0].results.map((res: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => res.locations[0]!.physicalLocation.artifactLocation.uri).sort(), [
    'zones/nospf.zone',
    'zones/we%20ird%231%25zz%20%5Bx%5D.zone',
  ]);
  t.regex(r.summary, /^## mailaudit: 2 domains, 1 error, 1 warning/);
});
