/**
 * A list run as ndjson/csv goes on in a worker thread (src/bulk/worker.ts); bin/mailaudit.js starts
 * that worker before the main thread loads the CLI when the command line plainly asks for it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test from 'ava';
import { runBulk, STREAMING_FORMATS } from '../src/bulk/run.js';
import { startsInWorker, WORKER_FORMATS } from '../src/bulk/worker.js';
import type { DnsAnswer, DnsSource, RRType } from '../src/dns/types.js';
import { parseDomainName } from '../src/input/domain.js';
import { BIN, runCli } from './helpers/cli.js';
import type { TestDnsServer } from './helpers/dns-server.js';
import { startFixtureDns } from './helpers/fixtures.js';

let fixtures: TestDnsServer;
test.before(async () => {
  fixtures = await startFixtureDns();
});
test.after.always(async () => {
  await fixtures?.close();
});

const dnsArgs = () => ['--dns-server', fixtures.address, '--timeout', '3000', '--tries', '1', '--no-smtp'];

test('startsInWorker: one plain --format ndjson or csv, outside `report` and help', (t) => {
  const yes = [
    ['-f', 'ndjson', 'example.com'],
    ['--format', 'csv', '-i', 'list.txt'],
    ['--format=ndjson', '-i', '-'],
    ['-f=csv', 'example.com'],
    ['example.com', '--bogus', '-f', 'ndjson'],
    ['-f', 'ndjson', '--', '-h'],
  ];
  const no = [
    ['example.com'],
    ['-f', 'json', 'example.com'],
    ['-f', 'text', '-f', 'ndjson', 'example.com'],
    ['-fndjson', 'example.com'],
    ['-f'],
    ['--', '-f', 'ndjson'],
    ['report', '-f', 'csv', 'a.ndjson'],
    ['-f', 'ndjson', '--help'],
    ['-f', 'ndjson', '-h'],
    ['-f', 'ndjson', '-qh'],
    ['-f', 'csv', '--version'],
  ];
  for (const argv of yes) t.true(startsInWorker(argv), argv.join(' '));
  for (const argv of no) t.false(startsInWorker(argv), argv.join(' '));
  t.deepEqual([...WORKER_FORMATS].sort(), [...STREAMING_FORMATS].sort(), 'the formats bulk/run.ts streams');
});

/** Runs the CLI with a module hook that lists, at exit, every file the main thread loaded. */
async function mainThreadModules(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; loaded: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-worker-'));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module';
import { isMainThread } from 'node:worker_threads';
if (isMainThread) {
  const loaded = [];
  registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
  process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify(loaded) + '\\n'));
}
`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', hook, BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.stdin.end('');
    child.on('close', (code) => {
      const m = /\nLOADED (.*)\n$/.exec(stderr);
      resolve({ code, stdout, stderr: m ? stderr.slice(0, m.index) : stderr, loaded: m ? (JSON.parse(m[1]!) as string[]) : [] });
    });
  });
}

test('a list run as ndjson starts its worker before the main thread loads the CLI; json loads it in the main thread', async (t) => {
  const cli = (loaded: string[]) => loaded.some((u) => u.endsWith('/dist/src/cli.js'));
  const ndjson = await mainThreadModules(['-f', 'ndjson', 'clean.test', ...dnsArgs()]);
  t.is(ndjson.code, 0, ndjson.stderr);
  t.is(JSON.parse(ndjson.stdout).domain, 'clean.test');
  t.true(ndjson.loaded.some((u) => u.endsWith('/dist/src/bulk/worker.js')), 'the hook saw the main thread load');
  t.false(cli(ndjson.loaded), 'the main thread never loads cli.js');
  t.false(ndjson.loaded.some((u) => u.includes('/node_modules/')), 'nor any dependency');
  const json = await mainThreadModules(['-f', 'json', 'clean.test', ...dnsArgs()]);
  t.is(json.code, 0, json.stderr);
  t.true(cli(json.loaded));
});

test('a worker run: a bad option or value is one line on stderr and exit 2, whichever thread parses it', async (t) => {
  // -f ndjson starts the worker at once; -qf ndjson is parsed in the main thread first.
  for (const format of [['-f', 'ndjson'], ['-qf', 'ndjson'], ['--format', 'csv']]) {
    for (const [args, message] of [
      [['--bogus'], /^mailaudit: unknown option --bogus: `mailaudit --help` lists the options\n$/],
      [['--timeout', '0'], /^mailaudit: --timeout must be an integer from 1 to \d+ \(ms\), got "0"\n$/],
      [['--zone', '-', '-i', '-'], /^mailaudit: --zone - and --input - both read standard input: give one of them a file\n$/],
      [[], /^mailaudit: no domain given/],
    ] as const) {
      const r = await runCli([...format, ...dnsArgs(), ...args, ...(args.length ? ['clean.test'] : [])]);
      const what = [...format, ...args].join(' ');
      t.is(r.code, 2, what);
      t.regex(r.stderr, message, what);
      t.is(r.stderr.split('\n').length, 2, `${what}: one line`);
      t.is(r.stdout, '', what);
    }
  }
});

test('a worker run reads standard input only when the command line says so (--input -, --zone -)', async (t) => {
  const list = await runCli(['-f', 'csv', '-i', '-', '--quiet', ...dnsArgs()], {}, 'clean.test\n');
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, /^domain,.*\r\nclean\.test,/);
  const zone = await runCli(['-f', 'ndjson', '--zone', '-', 'clean.test', ...dnsArgs()], {}, readFileSync(join('fixtures', 'clean', 'zone.db'), 'utf8'));
  t.is(zone.code, 0, zone.stderr);
  t.is(JSON.parse(zone.stdout).domain, 'clean.test');
  // Standard input left open: a run that does not read it does not wait for it.
  const open = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '-f', 'ndjson', 'clean.test', ...dnsArgs()], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
  t.is(open.code, 0);
  t.is(JSON.parse(open.stdout).domain, 'clean.test');
});

// Serial: ava runs serial tests before the others, so its busy event loop delays no answer of the fixture DNS server.
test.serial('a list run keeps no report once it is written: the heap stays flat however long the list', async (t) => {
  t.timeout(120_000);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // Every domain's SPF record has 200 terms of its own, which its facts describe one by one: a
  // report kept per domain would show at once.
  const spf = (name: string) => `v=spf1 ${Array.from({ length: 200 }, (_, k) => `ip4:10.${k}.0.0/16`).join(' ')} -all ${name}`;
  const dns: DnsSource = {
    resolve: async <T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> => {
      if (type === 'TXT' && name.startsWith('big-')) {
        return { name, type, status: 'ok', records: [[spf(name)]] as DnsAnswer<T>['records'], source: 'dns' };
      }
      return { name, type, status: name.startsWith('big-') ? 'nodata' : 'nxdomain', records: [], source: 'dns' };
    },
  };
  const n = 1500;
  const heapAt = new Map<number, number>();
  let written = 0;
  const code = await runBulk({
    domains: Array.from({ length: n }, (_, i) => parseDomainName(`big-${i}.test`)),
    format: 'text',
    textWriter: {
      domain: () => {
        written++;
        if (written === 300 || written === n) {
          gc();
          heapAt.set(written, process.memoryUsage().heapUsed);
        }
        return '';
      },
      end: () => '',
    },
    output: join(mkdtempSync(join(tmpdir(), 'mailaudit-heap-')), 'out.txt'),
    quiet: true,
    failOn: 'none',
    audit: { dns, smtp: false, concurrency: 16 },
  });
  t.is(code, 0);
  t.is(written, n);
  const growthMb = (heapAt.get(n)! - heapAt.get(300)!) / 2 ** 20;
  t.log(`heap growth over ${n - 300} domains: ${growthMb.toFixed(1)} MB`);
  // Kept, the 1,200 reports would hold over 45 MB.
  t.true(growthMb < 15, `${growthMb.toFixed(1)} MB`);
});
