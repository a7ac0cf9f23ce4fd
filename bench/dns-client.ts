/**
 * CPU per DNS question: bare node:dns (c-ares), the project's DnsClient, and LiveDnsSource on it (the
 * owner and type checks and typed records included), against the test DNS server in its own process.
 *
 *   node dist/bench/dns-client.js [--questions 20000] [--in-flight 64] [--rounds 3]
 *
 * Reports, per path and round, the client process's CPU time (user + system, process.cpuUsage) per
 * question: unlike wall time, it hardly depends on what else the machine runs. Questions are TXT for
 * names that half exist (a key-sized record) and half do not (NXDOMAIN), like DKIM selectors.
 */
import { promises as dnsPromises } from 'node:dns';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DnsClient } from '../src/dns/client.js';
import { ConcurrencyLimit } from '../src/dns/limit.js';
import { LiveDnsSource } from '../src/dns/live.js';
import type { ZoneRecord } from '../src/dns/types.js';
import { startDnsServerProcess } from '../test/helpers/dns-server.js';

const origin = { file: 'bench', line: 1 };
const KEY = `v=DKIM1; k=rsa; p=${'A'.repeat(392)}`;

async function measure(label: string, n: number, inFlight: number, ask: (name: string) => Promise<unknown>): Promise<number> {
  const limit = new ConcurrencyLimit(inFlight);
  const names = Array.from({ length: n }, (_, i) => `s${i % 1000}.${i % 2 ? 'yes' : 'no'}${Math.floor(i / 1000)}.bench.test`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let failed = 0;
  await Promise.all(names.map((name) => limit.run(() => ask(name).catch(() => failed++))));
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const usPerQuestion = (cpu.user + cpu.system) / n;
  process.stdout.write(
    `${label.padEnd(28)} ${usPerQuestion.toFixed(1).padStart(6)} µs CPU/question  ${(n / seconds).toFixed(0).padStart(6)} questions/s wall  ${failed} failed\n`,
  );
  return usPerQuestion;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      questions: { type: 'string', default: '20000' },
      'in-flight': { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
      only: { type: 'string', default: '' },
      before: { type: 'string', default: '' },
    },
  });
  const n = Number(values.questions);
  const inFlight = Number(values['in-flight']);
  const records: ZoneRecord[] = [];
  for (let b = 0; b * 1000 < n; b++) {
    for (let s = 0; s < 1000; s++) records.push({ name: `s${s}.yes${b}.bench.test`, type: 'TXT', ttl: 300, data: [KEY], origin });
  }
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-dnsbench-'));
  const recordsFile = join(dir, 'records.json');
  writeFileSync(recordsFile, JSON.stringify({ records }));
  const server = await startDnsServerProcess({ recordsFile, startTimeoutMs: 60000 });
  try {
    const resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([server.address]);
    const client = new DnsClient({ servers: [server.address], timeoutMs: 2000, tries: 2, maxInFlight: inFlight });
    const live = new LiveDnsSource({ servers: [server.address], timeoutMs: 2000, tries: 2, maxInFlight: inFlight });
    let paths: [string, (name: string) => Promise<unknown>][] = [
      ['c-ares (node:dns resolveTxt)', (name) => resolver.resolveTxt(name)],
      ['DnsClient.query', (name) => client.query({ name, type: 'TXT' })],
      ['LiveDnsSource.resolve', (name) => live.resolve(name, 'TXT')],
    ];
    if (values.before) {
      // Another build's LiveDnsSource (e.g. the one on c-ares, before this client): --before DIR.
      const { LiveDnsSource: Before } = (await import(join(values.before, 'dist/src/dns/live.js'))) as { LiveDnsSource: typeof LiveDnsSource };
      const before = new Before({ servers: [server.address], timeoutMs: 2000, tries: 2, maxInFlight: inFlight });
      paths.push([`LiveDnsSource (--before)`, (name) => before.resolve(name, 'TXT')]);
    }
    if (values.only) paths = paths.filter(([label]) => label.startsWith(values.only));
    // A first pass warms the JIT and the server's caches.
    for (const [label, ask] of paths) await measure(`(warm-up) ${label}`, Math.min(n, 2000), inFlight, ask);
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const [label, ask] of paths) await measure(label, n, inFlight, ask);
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
