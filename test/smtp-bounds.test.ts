/**
 * Bounds of the SMTP probe against hostile shapes on loopback (issue 12 item 4, issue 16): thirty MX
 * names on one address that accepts and never speaks; ten MX hosts with 300 addresses each; a 421
 * greeting; and the spacing of connections to one address during a list run (`--smtp-interval`).
 * Every case runs the real CLI, so "the process exits promptly after the report" is measured too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { audit } from '../src/audit.js';
import { builtinRules } from '../src/engine/load.js';
import { parseZone } from '../src/dns/zonefile.js';
import { runCli } from './helpers/cli.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { startRawServer, type RunningServer } from './helpers/smtp-servers.js';

const SILENT = '127.0.2.1';
const POLITE = '127.0.2.2';
const BUSY = '127.0.2.3';
const BLOCKED = '127.0.2.4';
const HOSTS = 10;
const ADDRESSES_PER_HOST = 300;
/** Addresses of MX host h (1-based): 127.(10+h).x.y. */
const addressOf = (h: number, i: number) => `127.${10 + h}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

let zone = '$ORIGIN test.\n$TTL 300\n';
// Thirty domains, each with its own MX name, all on one silent address.
for (let i = 1; i <= 30; i++) zone += `silent${i} MX 10 mx.silent${i}\nmx.silent${i} A ${SILENT}\n`;
// One domain with ten MX hosts of 300 addresses each.
for (let h = 1; h <= HOSTS; h++) {
  zone += `wide MX ${h} mx${h}.wide\n`;
  for (let i = 0; i < ADDRESSES_PER_HOST; i++) zone += `mx${h}.wide A ${addressOf(h, i)}\n`;
}
for (let i = 1; i <= 6; i++) zone += `polite${i} MX 10 mx.polite${i}\nmx.polite${i} A ${POLITE}\n`;
zone += `busy MX 10 mx.busy\nmx.busy A ${BUSY}\n`;
zone += `blocked MX 10 mx.blocked\nmx.blocked A ${BLOCKED}\n`;
zone += `stuck MX 10 mx1.stuck\nstuck MX 20 mx2.stuck\nmx1.stuck A ${SILENT}\nmx2.stuck A ${SILENT}\n`;

const disableOthers = builtinRules()
  .filter((r) => !['smtp', 'submission'].includes(r.category))
  .flatMap((r) => ['--disable', r.id]);

let dns: TestDnsServer;
const servers: RunningServer[] = [];
let silent: RunningServer;
let polite: RunningServer;
let busy: RunningServer;
let port = 0;

test.before(async () => {
  dns = await startDnsServer({ records: parseZone(zone, { file: 'smtp-bounds.zone' }).records });
  silent = await startRawServer(SILENT, 0, {});
  port = silent.port;
  polite = await startRawServer(POLITE, port, { greeting: ['220 mx.polite.test ESMTP'], replies: { EHLO: '250-mx.polite.test\r\n250 8BITMIME' } });
  busy = await startRawServer(BUSY, port, { greeting: ['421 4.7.0 Too many concurrent SMTP connections from this IP address; please try again later'] });
  const blocked = await startRawServer(BLOCKED, port, {
    greeting: ['554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org'],
  });
  servers.push(silent, polite, busy, blocked);
  // Only the first 4 addresses of each wide host listen (and never speak): the others must never be tried.
  for (let h = 1; h <= HOSTS; h++) for (let i = 0; i < 4; i++) servers.push(await startRawServer(addressOf(h, i), port, {}));
});

test.after.always(async () => {
  await dns?.close();
  await Promise.all(servers.map((s) => s.close()));
});

const cli = (args: string[]) => runCli([...args, '--dns-server', dns.address, '--smtp-port', String(port), '--ehlo-name', 'probe.mailaudit.test', ...disableOthers]);

test.serial('thirty MX names on one silent address: every domain gets the no-banner finding, one connection, seconds', async (t) => {
  t.timeout(120_000);
  const domains = Array.from({ length: 30 }, (_, i) => `silent${i + 1}.test`);
  const started = performance.now();
  const r = await cli([...domains, '--format', 'json', '--smtp-timeout', '2000']);
  const took = performance.now() - started;
  t.is(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.domains.length, 30);
  for (const d of report.domains) {
    const a = d.records.smtp.addresses[0];
    t.is(a.outcome, 'no-banner', d.domain);
    t.is(a.error, 'ETIMEDOUT', d.domain);
    t.deepEqual(d.findings.map((f: { ruleId: string }) => f.ruleId), ['smtp-no-banner'], d.domain);
  }
  t.is(silent.connections, 1, 'the address is asked once; the other 29 names share its outcome');
  // Before: conversations queued behind one another, 30 × 2 s, and 19 domains "skipped (EDEADLINE)".
  t.true(took < 30_000, `the run took ${Math.round(took)} ms`);
});

test.serial('ten MX hosts with 300 addresses each: 4 probed per host, the rest listed; the process exits with the report', async (t) => {
  t.timeout(120_000);
  const started = performance.now();
  const r = await cli(['wide.test', '--format', 'json', '--smtp-timeout', '1000']);
  const took = performance.now() - started;
  t.is(r.code, 1, r.stderr);
  const d = JSON.parse(r.stdout).domains[0];
  const smtp = d.records.smtp;
  t.is(smtp.addresses.length, HOSTS * 4);
  t.true(smtp.addresses.every((a: { outcome: string }) => a.outcome === 'no-banner'));
  t.is(smtp.notProbed.length, HOSTS);
  t.deepEqual(smtp.notProbed[0], {
    host: 'mx1.wide.test',
    total: ADDRESSES_PER_HOST,
    probed: 4,
    addresses: Array.from({ length: 10 }, (_, i) => addressOf(1, i + 4)),
    count: ADDRESSES_PER_HOST - 4,
  });
  t.is(smtp.notProbedCount, HOSTS * (ADDRESSES_PER_HOST - 4));
  const note = d.findings.find((f: { ruleId: string }) => f.ruleId === 'smtp-mx-addresses-not-probed');
  t.truthy(note);
  t.regex(note.message, /2960 MX addresses of wide\.test were not probed: .*\(not probed: mx1\.wide\.test: 296 of 300, mx2\.wide\.test: 296 of 300, /);
  const listening = servers.slice(4);
  t.deepEqual(listening.map((s) => s.connections), listening.map(() => 1));
  // Before: the report at 13 s, the process alive until 189 s (queued conversations ran on).
  t.true(took < 60_000, `the process ended ${Math.round(took)} ms after it started`);
});

test.serial('a 421 greeting: its own finding with the codes, retried once, checks after the greeting undetermined (text, SARIF)', async (t) => {
  t.timeout(60_000);
  const text = await cli(['busy.test', '--smtp-timeout', '1000']);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /greeting deferred: 421 4\.7\.0 Too many concurrent SMTP connections.*again after a retry 500 ms later/);
  t.regex(text.stdout, /smtp-greeting-busy/);
  t.is(busy.connections, 2);
  t.deepEqual(busy.commands, ['QUIT', 'QUIT']);
  const sarif = JSON.parse((await cli(['busy.test', '--smtp-timeout', '1000', '--format', 'sarif'])).stdout);
  const results = sarif.runs[0].results as { ruleId: string; message: { text: string } }[];
  t.deepEqual(results.map((x) => x.ruleId), ['smtp-greeting-busy']);
  t.regex(results[0]!.message.text, /greeted with 421 4\.7\.0/);
  t.regex(results[0]!.message.text, /busy, has too many connections, or rate-limits/);
});

test.serial('a list run: one connection at a time per address, at least --smtp-interval apart', async (t) => {
  t.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'mailaudit-interval-'));
  const list = join(dir, 'list.txt');
  writeFileSync(list, Array.from({ length: 6 }, (_, i) => `polite${i + 1}.test`).join('\n') + '\n');
  const before = polite.connections;
  const r = await cli(['-i', list, '-f', 'ndjson', '--smtp-timeout', '3000', '--smtp-interval', '400', '--concurrency', '6']);
  t.is(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 6);
  t.true(lines.every((d) => d.records.smtp.addresses[0].outcome === 'no-starttls'));
  t.is(polite.connections - before, 6, 'one conversation per MX name');
  const at = polite.connectedAt.slice(before);
  const gaps = at.slice(1).map((x, i) => x - at[i]!);
  // Without the interval these connections come a few ms apart; the allowance is for the time this
  // (loaded) test process takes to notice each accepted connection, not slack in the prober.
  for (const gap of gaps) t.true(gap >= 400 - 50, `connections to one address ${Math.round(gap)} ms apart`);
});

test.serial('--smtp-interval and --cert-expiry-days out of range: exit 2 with one line', async (t) => {
  for (const [args, message] of [
    [['--smtp-interval', '-1'], /--smtp-interval must be an integer from 0 to 600000/],
    [['--smtp-interval', '1.5'], /--smtp-interval/],
    [['--cert-expiry-days', '99999'], /--cert-expiry-days must be an integer from 0 to 3650/],
  ] as [string[], RegExp][]) {
    const r = await cli(['polite1.test', ...args]);
    t.is(r.code, 2, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1);
    t.regex(r.stderr, message);
  }
});

test.serial('library: refusals and a deadline give their own findings for MX hosts and submission ports', async (t) => {
  t.timeout(60_000);
  const base = { dnsServers: [dns.address], timeoutMs: 3000, tries: 1, smtpPort: port, ehloName: 'probe.mailaudit.test', disable: disableOthers.filter((a) => a !== '--disable') };
  const ids = (r: Awaited<ReturnType<typeof audit>>) => r.domains[0]!.findings.map((f) => f.ruleId).sort();
  const blocked = await audit('blocked.test', { ...base, smtpTimeoutMs: 2000, submission: BLOCKED, submissionPorts: { implicitTls: port, starttls: port } });
  t.deepEqual(ids(blocked), ['smtp-greeting-refused', 'submission-greeting-refused', 'submission-tls-handshake-failed']);
  const f = blocked.domains[0]!.findings.find((x) => x.ruleId === 'smtp-greeting-refused')!;
  t.regex(f.message, /greeted with 554 5\.7\.1 .*often because the address the probe runs from is on a block list/);
  t.is(blocked.domains[0]!.records.smtp!.addresses[0]!.retriedAfterMs, undefined, '554 is not retried');
  const busySub = await audit('blocked.test', { ...base, smtp: false, smtpTimeoutMs: 1000, submission: BUSY, submissionPorts: { implicitTls: port, starttls: port } });
  t.deepEqual(ids(busySub), ['submission-greeting-busy', 'submission-tls-handshake-failed']);
  // A domain deadline shorter than one greeting step: undetermined, with the reason, never "unreachable".
  const stuck = await audit('stuck.test', {
    ...base,
    smtpTimeoutMs: 20_000,
    smtpDomainDeadlineMs: 800,
    submission: SILENT,
    submissionPorts: { implicitTls: port, starttls: port },
  });
  t.deepEqual(ids(stuck), ['smtp-probe-undetermined', 'smtp-probe-undetermined', 'submission-probe-undetermined', 'submission-probe-undetermined']);
  const [first, second] = stuck.domains[0]!.records.smtp!.addresses;
  t.is(first!.notHeld, 'cut-off');
  t.is(second!.notHeld, 'queued');
  t.regex(stuck.domains[0]!.findings[0]!.message, /is undetermined: undetermined: /);
});
