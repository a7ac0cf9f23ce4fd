/**
 * Start-up of the real CLI: wall and CPU time of short runs against the test DNS server (its own
 * process, serving the fixture zones), each command run R times, alternated, with the median and the
 * range. `--bin DIR` adds another build's bin/mailaudit.js (e.g. a copy of the tree before a change)
 * to compare on the same server and at the same moment.
 *
 *   node dist/bench/startup.js [--runs 20] [--bin /path/to/other/checkout]
 *
 * Commands: a single-domain audit as text (`clean.test --no-smtp`), a tiny list as ndjson (three
 * fixture domains, `--input FILE --no-smtp --format ndjson`, which runs in a worker thread), and
 * `--version` (module loading alone).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDnsServerProcess } from '../test/helpers/dns-server.js';
import { fixtureRecords } from '../test/helpers/fixtures.js';

const TIME = '/usr/bin/time';

interface Sample {
  wall: number;
  cpu: number;
}

function runOnce(bin: string, args: string[]): Promise<Sample> {
  const useTime = existsSync(TIME);
  const node = [process.execPath, bin, ...args];
  const argv = useTime ? [TIME, '-f', 'CPU %U %S', ...node] : node;
  const t0 = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = performance.now() - t0;
      // Exit 1 is "findings at or above --fail-on": a normal audit result.
      if (code !== 0 && code !== 1) return reject(new Error(`${args.join(' ')}: exit ${code}\n${stderr}`));
      const m = /CPU ([\d.]+) ([\d.]+)/.exec(stderr);
      resolve({ wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, bin: { type: 'string', multiple: true, default: [] } } });
  const runs = Number(values.runs);
  const bins: [string, string][] = [['this', join(process.cwd(), 'bin', 'mailaudit.js')], ...values.bin.map((d): [string, string] => [d, join(d, 'bin', 'mailaudit.js')])];
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-startup-'));
  const recordsFile = join(dir, 'records.json');
  writeFileSync(recordsFile, JSON.stringify(fixtureRecords()));
  const listFile = join(dir, 'domains.txt');
  writeFileSync(listFile, 'clean.test\nspf-pass-all.test\ndmarcnone.test\n');
  const server = await startDnsServerProcess({ recordsFile, startTimeoutMs: 60000 });
  const dns = ['--dns-server', server.address];
  const commands: [string, string[]][] = [
    ['single domain, text', ['clean.test', '--no-smtp', ...dns]],
    ['list of 3, ndjson (worker)', ['--input', listFile, '--no-smtp', '--format', 'ndjson', '--quiet', ...dns]],
    ['--version', ['--version']],
  ];
  const samples = new Map<string, Sample[]>();
  try {
    const load0 = loadavg()[0]!;
    // Alternated, so that a change in the machine's load touches every command and build alike.
    for (let i = 0; i < runs; i++)
      for (const [name, args] of commands)
        for (const [label, bin] of bins) {
          const key = `${label}\t${name}`;
          samples.set(key, [...(samples.get(key) ?? []), await runOnce(bin, args)]);
        }
    const load1 = loadavg()[0]!;
    process.stdout.write(`${runs} runs each; load average ${load0.toFixed(1)} before, ${load1.toFixed(1)} after\n\n`);
    process.stdout.write('| build | command | wall median (ms) | wall min–max (ms) | CPU median (ms) |\n|---|---|---|---|---|\n');
    for (const [key, xs] of samples) {
      const [label, name] = key.split('\t');
      const walls = xs.map((s) => s.wall);
      const cell = (v: number) => v.toFixed(0);
      process.stdout.write(`| ${label} | ${name} | ${cell(median(walls))} | ${cell(Math.min(...walls))}–${cell(Math.max(...walls))} | ${cell(median(xs.map((s) => s.cpu)))} |\n`);
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
