/**
 * The test DNS server as a process:
 *
 *   node dist/test/helpers/dns-server-main.js --records FILE.json [--port N] [--host H]
 *
 * FILE.json is an array of ZoneRecord, or { records, behaviours?, authenticatedZones?, delayMs? }.
 * Prints one line {"address":"127.0.0.1:PORT"} on stdout once both sockets are bound, then serves
 * until SIGTERM/SIGINT. A line `stats` on stdin prints {"queries":N,"udp":U,"tcp":T}.
 * Records may omit `origin`; a missing `ttl` means 300.
 */
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import type { ZoneRecord } from '../../src/dns/types.js';
import { startDnsServer, type DnsServerOptions } from './dns-server.js';

type ServerFile = ZoneRecord[] | Omit<DnsServerOptions, 'host' | 'port'>;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
    },
    strict: true,
  });
  if (!values.records) throw new Error('usage: dns-server-main --records FILE.json [--port N] [--host H]');
  const parsed = JSON.parse(readFileSync(values.records, 'utf8')) as ServerFile;
  const config = Array.isArray(parsed) ? { records: parsed } : parsed;
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);

  const server = await startDnsServer({ ...config, host: values.host ?? '127.0.0.1', port });
  process.stdout.write(`${JSON.stringify({ address: server.address })}\n`);

  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== 'stats') return;
    let udp = 0;
    for (const q of server.queries) if (q.transport === 'udp') udp++;
    const queries = server.queries.length;
    process.stdout.write(`${JSON.stringify({ queries, udp, tcp: queries - udp })}\n`);
  });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    lines.close();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`dns-server-main: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
