/**
 * The published package as a user gets it: `npm pack`, then installed into an empty project from the
 * tarball with nothing but the npm cache (its dependencies are in the cache after `npm ci`; a lock file
 * written from ours means no registry question), then run as a CLI and imported as a library. Slow
 * for a test (about 10–20 s: an npm install) and bounded by the timeouts below.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { unsupportedNodeMessage } from '../src/runtime.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { startFixtureDns } from './helpers/fixtures.js';
import { findOldNode } from './helpers/old-node.js';

const NPM_TIMEOUT = 120_000;
const RUN_TIMEOUT = 30_000;

interface Installed {
  project: string;
  bin: string;
  files: string[];
  installLog: string;
}

let dns: TestDnsServer;
let installed: Installed;

function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  // npm through the Node running the tests (npm_execpath under `npm test`), else the npm on PATH.
  const cli = process.env.npm_execpath;
  return cli && cli.endsWith('.js')
    ? spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: NPM_TIMEOUT })
    : spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: NPM_TIMEOUT });
}

test.before(async () => {
  dns = await startFixtureDns();
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-pack-'));
  // --ignore-scripts: the tests' build is already in dist/ (`prepare` would rebuild it under the running tests).
  const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], process.cwd());
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const [{ filename, files }] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const ours = JSON.parse(readFileSync('package.json', 'utf8'));
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const tarball = `file:../${filename}`;
  const project = join(dir, 'project');
  mkdirSync(project);
  // The production part of our lock file: what `npm install mailaudit` resolves to, without asking the registry.
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { mailaudit: tarball } },
    'node_modules/mailaudit': { version: ours.version, resolved: tarball, license: ours.license, dependencies: ours.dependencies, bin: ours.bin, engines: ours.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean; link?: boolean }>)) {
    if (path && !entry.dev && !entry.link) packages[path] = entry;
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { mailaudit: tarball } }));
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }));
  const install = npm(['ci', '--offline', '--no-audit', '--no-fund'], project);
  if (install.status !== 0) throw new Error(`npm ci of the packed tarball failed: ${install.stderr}`);
  copyFileSync('fixtures/no-spf/zone.db', join(project, 'nospf.zone'));
  installed = { project, bin: join(project, 'node_modules', 'mailaudit', 'bin', 'mailaudit.js'), files: files.map((f) => f.path), installLog: install.stdout + install.stderr };
});
test.after.always(async () => {
  await dns?.close();
});

test('what ships: built JavaScript with its LICENSE and types, no source maps, no sources, no install script', (t) => {
  const { files } = installed;
  for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/mailaudit.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli.js', 'dist/src/runtime.js', 'rules/rule.schema.json', 'schemas/report.schema.json']) {
    t.true(files.includes(f), f);
  }
  t.deepEqual(files.filter((f) => f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))), []);
  t.false(files.some((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('action/')));
  t.regex(readFileSync(join(installed.project, 'node_modules', 'mailaudit', 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) 2026 mailaudit contributors\n/);
  const scripts = JSON.parse(readFileSync(join(installed.project, 'node_modules', 'mailaudit', 'package.json'), 'utf8')).scripts ?? {};
  for (const hook of ['preinstall', 'install', 'postinstall']) t.is(scripts[hook], undefined, `no ${hook} script`);
  t.false(/sourceMappingURL/.test(readFileSync(join(installed.project, 'node_modules', 'mailaudit', 'dist', 'src', 'cli.js'), 'utf8')));
  t.false(existsSync(join(installed.project, 'node_modules', 'typescript')), 'no devDependency installed');
  t.false(existsSync(join(installed.project, 'node_modules', 'node')), 'the node package is a devDependency only');
});

/**
 * A child run while this process keeps serving DNS (spawnSync would block the test server, and
 * every question the child asks outside its zone file would time out).
 */
function runChild(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: RUN_TIMEOUT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject).on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('the installed CLI audits a zone file with Node 24', async (t) => {
  const r = await runChild(process.execPath, [installed.bin, '--no-smtp', '--zone', 'nospf.zone', '--dns-server', dns.address, '--timeout', '2000', '--tries', '1'], {
    cwd: installed.project,
    env: { ...process.env, NO_COLOR: '1' },
  });
  t.is(r.status, 1, r.stderr);
  t.regex(r.stdout, /nospf\.test publishes no SPF record/);
  t.regex(r.stdout, /nospf\.test: 1 error/);
});

test('the installed package imports as a library with Node 24', async (t) => {
  const script = `import { audit, builtinRules } from 'mailaudit';
const report = await audit([], { zoneFile: 'nospf.zone', dnsServers: [${JSON.stringify(dns.address)}], timeoutMs: 2000, tries: 1, smtp: false });
console.log(JSON.stringify({ rules: builtinRules().length > 0, findings: report.domains.flatMap((d) => d.findings.map((f) => f.ruleId)) }));`;
  const r = await runChild(process.execPath, ['--input-type=module', '-e', script], { cwd: installed.project });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.true(out.rules);
  t.true(out.findings.includes('spf-missing'), r.stdout);
});

const oldNode = findOldNode();
const withOldNode = oldNode ? test : test.skip;

withOldNode('the installed CLI on the system Node (too old, as a global install finds it): exit 2, one line, no report', (t) => {
  const r = spawnSync(oldNode!.path, [installed.bin, '--no-smtp', '--zone', 'nospf.zone', '--dns-server', dns.address], { cwd: installed.project, encoding: 'utf8', timeout: RUN_TIMEOUT });
  t.is(r.status, 2);
  t.is(r.stdout, '');
  t.is(r.stderr, `${unsupportedNodeMessage(oldNode!.version, oldNode!.path)}\n`);
});

withOldNode('the installed library on the system Node (too old): the import throws the one line', (t) => {
  const script = `import('mailaudit').then(() => console.log('loaded'), (e) => { console.log(e.message); process.exitCode = 3; })`;
  const r = spawnSync(oldNode!.path, ['--input-type=module', '-e', script], { cwd: installed.project, encoding: 'utf8', timeout: RUN_TIMEOUT });
  t.is(r.status, 3, r.stdout + r.stderr);
  t.is(r.stdout, `${unsupportedNodeMessage(oldNode!.version, oldNode!.path)}\n`);
});
