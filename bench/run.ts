/**
 * `npm run bench`: the real CLI over N synthetic domains served by the test DNS server, which runs in
 * its own process so that its CPU is not the CLI's. Prints domains/s, DNS queries/s (counted by the
 * server) and the CLI's peak RSS, for each N and concurrency.
 *
 *   node dist/bench/run.js [--n 2000,20000] [--modes full,dkim-off,checkdmarc] [--sequential 2000,20000] [--concurrency 16,64] [--node=--cpu-prof]
 *
 * --sequential: the sizes also run with --concurrency 1 (the baseline); --concurrency: the values to
 * run instead of the default; --node: options for the node running the CLI (e.g. --cpu-prof);
 * --extra: more CLI options; --delay MS: the server answers every question after MS (a resolver's
 * round trip; the default 0 is an authoritative server on loopback); --processes K: K CLI processes at
 * once, each auditing its --shard of the list (peak RSS is then their sum). The last lines are a
 * markdown table of every run. CPU: the CLI's (GNU time) and the DNS server process's (/proc), per domain.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDnsServerProcess } from '../test/helpers/dns-server.js';
import { DEFAULT_STREAM_CONCURRENCY } from '../src/audit.js';
import { builtinRules } from '../src/engine/load.js';
import { benchZone } from './synth.js';

/**
 * What a run audits. full: every collector and rule (the default CLI); dkim-off: every dkim-* rule
 * disabled, which skips the selector probe; checkdmarc: only the rule categories checkdmarc checks
 * (MX, SPF, DMARC, MTA-STS, TLS-RPT, BIMI, DNSSEC, DNS): DKIM, DANE, SMTP and policy rules off.
 */
const MODES: Record<string, () => string[]> = {
  full: () => [],
  'dkim-off': () => builtinRules().filter((r) => r.category === 'dkim').flatMap((r) => ['--disable', r.id]),
  checkdmarc: () =>
    builtinRules()
      .filter((r) => ['dkim', 'dane', 'smtp', 'submission', 'policy'].includes(r.category))
      .flatMap((r) => ['--disable', r.id]),
};

const BIN = join(process.cwd(), 'bin', 'mailaudit.js');
const TIME = '/usr/bin/time';

interface Result {
  mode: string;
  n: number;
  concurrency: number;
  seconds: number;
  lines: number;
  queries: number;
  peakRssMb: number;
  exitCode: number | null;
  /** CPU time of the CLI (user + system, from GNU time): far less sensitive to a loaded machine than wall time. */
  cpuSeconds: number;
  /** CPU time of the DNS server process over the run (/proc/PID/stat): it shares the machine's cores. */
  serverCpuSeconds: number;
}

/** User + system CPU seconds of a process so far, from /proc (NaN where there is no /proc). */
function processCpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Peak RSS: GNU time's figure if it is there, else VmHWM polled from /proc while the CLI runs. */
let nodeArgs: string[] = [];
let processes = 1;

async function runCli(args: string[]): Promise<{ seconds: number; lines: number; peakKb: number; code: number | null; stderr: string; cpuSeconds: number }> {
  const useTime = existsSync(TIME);
  const node = [process.execPath, ...nodeArgs, BIN, ...args];
  const argv = useTime ? [TIME, '-v', ...node] : node;
  const t0 = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  let stderr = '';
  let polledKb = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20000)));
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKb = Math.max(polledKb, Number(m[1]));
        } catch {
          /* exited */
        }
      }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = (performance.now() - t0) / 1000;
  if (poll) clearInterval(poll);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  const cpuSeconds = user && system ? Number(user[1]) + Number(system[1]) : NaN;
  return { seconds, lines, peakKb: m ? Number(m[1]) : polledKb, code, stderr, cpuSeconds };
}

async function bench(n: number, concurrencies: number[], modes: string[], extra: string[], delayMs: number): Promise<Result[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-bench-'));
  const zone = benchZone(n);
  const recordsFile = join(dir, 'records.json');
  writeFileSync(recordsFile, JSON.stringify({ records: zone.records, behaviours: zone.behaviours, delayMs }));
  const listFile = join(dir, 'domains.txt');
  writeFileSync(listFile, `# ${n} synthetic domains\n${zone.domains.join('\n')}\n`);
  const server = await startDnsServerProcess({ recordsFile, startTimeoutMs: 60000 });
  const results: Result[] = [];
  try {
    for (const mode of modes)
    for (const concurrency of concurrencies) {
      const before = (await server.stats()).queries;
      const serverCpu0 = processCpuSeconds(server.pid);
      const args = ['--input', listFile, '--no-smtp', '--format', 'ndjson', '--dns-server', server.address, '--quiet',
        '--concurrency', String(concurrency), '--fail-on', 'none', '--timeout', '2000', '--tries', '2', ...MODES[mode]!(), ...extra];
      // --processes K: K CLIs at once, each on its shard of the list (what --workers K would do, sharing nothing).
      const r =
        processes > 1
          ? await Promise.all(Array.from({ length: processes }, (_, k) => runCli([...args, '--shard', `${k + 1}/${processes}`]))).then((rs) => ({
              seconds: Math.max(...rs.map((x) => x.seconds)),
              lines: rs.reduce((sum, x) => sum + x.lines, 0),
              peakKb: rs.reduce((sum, x) => sum + x.peakKb, 0),
              code: rs.find((x) => x.code !== 0)?.code ?? 0,
              stderr: rs.map((x) => x.stderr).join(''),
              cpuSeconds: rs.reduce((sum, x) => sum + x.cpuSeconds, 0),
            }))
          : await runCli(args);
      const queries = (await server.stats()).queries - before;
      const serverCpuSeconds = processCpuSeconds(server.pid) - serverCpu0;
      if (r.code !== 0 || r.lines !== n) {
        process.stderr.write(`bench: N=${n} c=${concurrency}: exit ${r.code}, ${r.lines} lines\n${r.stderr.slice(-2000)}\n`);
      }
      const result = { mode, n, concurrency, seconds: r.seconds, lines: r.lines, queries, peakRssMb: r.peakKb / 1024, exitCode: r.code, cpuSeconds: r.cpuSeconds, serverCpuSeconds };
      results.push(result);
      process.stdout.write(`${line(result)}\n`);
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function line(r: Result): string {
  return [
    r.mode.padEnd(10),
    `N=${r.n}`.padEnd(8),
    `concurrency=${r.concurrency}`.padEnd(15),
    `${(r.n / r.seconds).toFixed(0)} domains/s`.padEnd(16),
    `${(r.queries / r.seconds).toFixed(0)} DNS queries/s`.padEnd(20),
    `${(r.queries / r.n).toFixed(2)} queries/domain`.padEnd(22),
    `peak RSS ${r.peakRssMb.toFixed(1)} MB`.padEnd(20),
    `CPU ${((r.cpuSeconds / r.n) * 1000).toFixed(2)} ms/domain`.padEnd(24),
    `server CPU ${((r.serverCpuSeconds / r.n) * 1000).toFixed(2)} ms/domain`.padEnd(31),
    `${r.seconds.toFixed(2)} s`,
  ].join(' ');
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} CPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} free), node ${process.version}, ${process.platform} ${process.arch}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '2000,20000' },
      sequential: { type: 'string', default: '' },
      modes: { type: 'string', default: Object.keys(MODES).join(',') },
      processes: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '' },
      extra: { type: 'string', default: '' },
      node: { type: 'string', default: '' },
      delay: { type: 'string', default: '0' },
    },
  });
  const sizes = values.n.split(',').filter(Boolean).map(Number);
  const sequential = new Set(values.sequential.split(',').filter(Boolean).map(Number));
  const concurrency = values.concurrency ? values.concurrency.split(',').map(Number) : [];
  nodeArgs = values.node ? values.node.split(' ') : [];
  const extra = values.extra ? values.extra.split(' ') : [];
  const modes = values.modes.split(',').filter(Boolean);
  processes = Math.max(1, Number(values.processes));
  for (const m of modes) if (!MODES[m]) throw new Error(`unknown mode ${m} (${Object.keys(MODES).join(', ')})`);
  process.stdout.write(`machine: ${machine()}${values.delay !== '0' ? `; DNS answers delayed ${values.delay} ms` : ''}\n`);
  const all: Result[] = [];
  for (const n of sizes) {
    const cs = concurrency.length ? [...concurrency] : [DEFAULT_STREAM_CONCURRENCY];
    if (sequential.has(n)) cs.push(1);
    all.push(...(await bench(n, cs, modes, extra, Number(values.delay))));
  }
  const def = concurrency[0] ?? DEFAULT_STREAM_CONCURRENCY;
  for (const mode of modes) {
    const byN = (n: number) => all.find((r) => r.mode === mode && r.n === n && r.concurrency === def);
    const small = byN(2000);
    const large = byN(20000);
    if (small && large) process.stdout.write(`${mode}: RSS(20k)/RSS(2k) = ${(large.peakRssMb / small.peakRssMb).toFixed(2)}\n`);
  }
  process.stdout.write('\n| mode | N | concurrency | domains/s | DNS queries/s | queries/domain | peak RSS (MB) | CPU ms/domain | server CPU ms/domain | wall (s) |\n|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of all) {
    const cells = [r.mode, r.n, r.concurrency, (r.n / r.seconds).toFixed(0), (r.queries / r.seconds).toFixed(0), (r.queries / r.n).toFixed(2), r.peakRssMb.toFixed(1), ((r.cpuSeconds / r.n) * 1000).toFixed(2), ((r.serverCpuSeconds / r.n) * 1000).toFixed(2), r.seconds.toFixed(2)];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
