/**
 * The SMTP client's parts: reply parsing (RFC 5321 §4.2) with its caps, EHLO keywords, reverse
 * names, and conversations with misbehaving servers on loopback (floods, endless replies, plaintext
 * injected after STARTTLS, an expired certificate from an unknown CA), each bounded by its timeouts.
 */
import net from 'node:net';
import test from 'ava';
import { collectSmtp } from '../src/collect/smtp.js';
import { reverseName } from '../src/dns/reverse.js';
import type { DnsSource } from '../src/dns/types.js';
import type { MxFacts } from '../src/facts/index.js';
import { TrustStore } from '../src/probe/certificate.js';
import { SmtpProber } from '../src/probe/prober.js';
import { authMechanisms, ehloKeywords, MAX_REPLY_LINES, ReplyError, ReplyParser } from '../src/probe/reply.js';
import { converse } from '../src/probe/smtp.js';
import { keyPair, pem, startRawServer, startSmtpServer } from './helpers/smtp-servers.js';

const parse = (text: string) => {
  const p = new ReplyParser();
  p.push(Buffer.from(text));
  return p.next();
};

test('a single-line reply, a bare code, a multi-line reply, bare LF', (t) => {
  t.deepEqual(parse('220 mx.example ESMTP\r\n'), { code: 220, lines: ['mx.example ESMTP'] });
  t.deepEqual(parse('250\r\n'), { code: 250, lines: [''] });
  t.deepEqual(parse('250-a\r\n250-b c\r\n250 d\r\n'), { code: 250, lines: ['a', 'b c', 'd'] });
  t.deepEqual(parse('250-a\n250 b\n'), { code: 250, lines: ['a', 'b'] });
});

test('an incomplete reply waits for more; replies are taken one at a time', (t) => {
  const p = new ReplyParser();
  p.push(Buffer.from('250-a\r\n250 b'));
  t.is(p.next(), undefined);
  p.push(Buffer.from('\r\n221 bye\r\n'));
  t.deepEqual(p.next(), { code: 250, lines: ['a', 'b'] });
  t.deepEqual(p.next(), { code: 221, lines: ['bye'] });
  t.is(p.next(), undefined);
});

test('garbage, mixed codes, too many lines and endless lines are errors', (t) => {
  t.throws(() => parse('HTTP/1.1 400 Bad Request\r\n'), { instanceOf: ReplyError, message: /not an SMTP reply/ });
  t.throws(() => parse('250-a\r\n251 b\r\n'), { message: /different codes/ });
  t.throws(() => parse('220-x\r\n'.repeat(MAX_REPLY_LINES + 1)), { message: /more than/ });
  t.throws(() => parse(`220 ${'x'.repeat(5000)}`), { message: /longer than/ });
  t.throws(() => parse(`220 ${'x'.repeat(5000)}\r\n`), { message: /longer than/ });
});

test('EHLO keywords and AUTH mechanisms, old AUTH= spelling included', (t) => {
  const kw = ehloKeywords({ code: 250, lines: ['mx.example greets you', 'pipelining', 'SIZE 1000', 'AUTH=LOGIN PLAIN', 'AUTH PLAIN CRAM-MD5', 'STARTTLS'] });
  t.deepEqual(kw, ['PIPELINING', 'SIZE 1000', 'AUTH LOGIN PLAIN', 'AUTH PLAIN CRAM-MD5', 'STARTTLS']);
  t.deepEqual(authMechanisms(kw), ['LOGIN', 'PLAIN', 'CRAM-MD5']);
  t.is(authMechanisms(['STARTTLS']), undefined);
});

test('reverse names for IPv4 and IPv6', (t) => {
  t.is(reverseName('192.0.2.25'), '25.2.0.192.in-addr.arpa');
  t.is(reverseName('2001:db8::1'), `1.0.0.0.${'0.'.repeat(20)}8.b.d.0.1.0.0.2.ip6.arpa`);
  t.is(reverseName('::1').split('.').length, 34);
});

// Generous: a loaded machine slows handshakes; only the cases about timeouts use short ones.
const options = (stepTimeoutMs = 8000) => ({
  ehloName: 'probe.mailaudit.test',
  stepTimeoutMs,
  deadlineMs: stepTimeoutMs * 6,
  trust: new TrustStore([pem('ca.pem')]),
});

test('a server that floods its greeting is cut off at the cap', async (t) => {
  t.timeout(30_000);
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.write('220-flood\r\n'.repeat(500));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.20', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const fact = await converse({ host: 'mx.flood.test', address: '127.0.0.20', port, mode: 'starttls' }, options());
    t.is(fact.outcome, 'no-banner');
    t.is(fact.error, 'ETOOBIG');
  } finally {
    server.close();
  }
});

test('a reply that never ends is bounded by the step timeout, a conversation by its deadline', async (t) => {
  t.timeout(30_000);
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    // A continuation line every 50 ms: each step sees data, the reply never completes.
    const timer = setInterval(() => s.write('220-still talking\r\n'), 50);
    timers.add(timer);
    s.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.21', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const target = { host: 'mx.slow.test', address: '127.0.0.21', port, mode: 'starttls' as const };
    const step = await converse(target, { ...options(1000), deadlineMs: 60_000 });
    t.is(step.outcome, 'no-banner');
    t.is(step.error, 'ETIMEDOUT', 'data trickling in does not extend the wait for a reply');
    const whole = await converse(target, { ...options(60_000), deadlineMs: 1500 });
    t.is(whole.outcome, 'no-banner');
    t.is(whole.error, 'EDEADLINE');
  } finally {
    for (const timer of timers) clearInterval(timer);
    server.close();
  }
});

test('plaintext the server sends after its 220 to STARTTLS is discarded, not read as a reply', async (t) => {
  t.timeout(30_000);
  const injecting = await startRawServer('127.0.0.22', 0, {
    greeting: ['220 mx1.smtpgood.test ESMTP'],
    replies: { EHLO: '250-mx1.smtpgood.test\r\n250 STARTTLS', 'EHLO+TLS': '250-mx1.smtpgood.test\r\n250 8BITMIME' },
    starttls: keyPair('good'),
    injectAfterStarttls: '250 injected in plaintext\r\n',
  });
  try {
    const fact = await converse({ host: 'mx1.smtpgood.test', address: '127.0.0.22', port: injecting.port, mode: 'starttls' }, options());
    t.is(fact.outcome, 'tls');
    t.deepEqual(fact.ehloTls, ['8BITMIME']);
  } finally {
    await injecting.close();
  }
});

test('an expired certificate from an unknown CA is both expired and untrusted', async (t) => {
  t.timeout(30_000);
  const server = await startSmtpServer('127.0.0.23', 0, { name: 'mx1.smtpexpired.test', ...keyPair('expired'), disabledCommands: ['AUTH'] });
  try {
    const fact = await converse(
      { host: 'mx1.smtpexpired.test', address: '127.0.0.23', port: server.port, mode: 'starttls' },
      { ...options(), trust: new TrustStore([]) },
    );
    t.is(fact.tls!.validity, 'expired');
    t.false(fact.tls!.trusted);
    t.truthy(fact.tls!.trustError);
    t.true(fact.tls!.nameMatches);
  } finally {
    await server.close();
  }
});

test('the prober: one conversation per target, one connection at a time per address', async (t) => {
  t.timeout(30_000);
  let current = 0;
  let most = 0;
  const server = await startSmtpServer('127.0.0.24', 0, {
    name: 'mx1.smtpgood.test',
    ...keyPair('good'),
    disabledCommands: ['AUTH'],
    onConnect: (_s, cb) => {
      most = Math.max(most, ++current);
      cb();
    },
    onClose: () => {
      current--;
    },
  });
  try {
    const prober = new SmtpProber({ ehloName: 'probe.mailaudit.test', stepTimeoutMs: 8000, caPems: [pem('ca.pem')] });
    const targets = ['mx1.smtpgood.test', 'mx2.smtpgood.test', 'mx1.smtpgood.test', 'mx1.smtpauth.test', 'mx2.smtpgood.test'].map((host) => ({
      host,
      address: '127.0.0.24',
      port: server.port,
      mode: 'starttls' as const,
    }));
    const facts = await Promise.all(targets.map((target) => prober.probe(target)));
    t.true(facts.every((f) => f.outcome === 'tls'));
    t.is(prober.connections, 3);
    t.is(prober.maxPerAddress, 1);
    t.is(most, 1);
    facts[0]!.host = 'changed';
    t.is((await prober.probe(targets[0]!)).host, 'mx1.smtpgood.test', 'callers get copies');
  } finally {
    await server.close();
  }
});

const mxOf = (hosts: { exchange: string; addresses: string[] }[]): MxFacts => ({
  status: 'found',
  nullMx: false,
  nullMixed: false,
  hostCount: hosts.length,
  hosts: hosts.map((h, i) => ({ preference: i + 1, exchange: h.exchange, isNull: false, ipLiteral: false, addresses: h.addresses, addressStatus: 'found' as const })),
});
const noDns: DnsSource = { resolve: async (name, type) => ({ name, type, status: 'nxdomain', records: [], source: 'dns' }) };

test('names on one silent address share its outcome: one connection, not one per name', async (t) => {
  t.timeout(30_000);
  const silent = await startRawServer('127.0.0.30', 0, {});
  try {
    // Three MX names on one address that accepts and never speaks: once it timed out at the greeting,
    // the other names get that outcome without queueing for a full step each.
    const prober = new SmtpProber({ ehloName: 'probe.mailaudit.test', stepTimeoutMs: 3000, domainDeadlineMs: 4500 });
    const mx = mxOf([1, 2, 3].map((i) => ({ exchange: `mx${i}.slow.test`, addresses: ['127.0.0.30'] })));
    const facts = await collectSmtp({ domain: 'slow.test', dns: noDns }, mx, { prober, port: silent.port });
    t.deepEqual(
      facts.addresses.map((a) => `${a.host} ${a.outcome} ${a.error} ${a.sameAddressAs ?? '-'}`),
      ['mx1.slow.test no-banner ETIMEDOUT -', 'mx2.slow.test no-banner ETIMEDOUT mx1.slow.test', 'mx3.slow.test no-banner ETIMEDOUT mx1.slow.test'],
    );
    t.regex(facts.addresses[1]!.verdict, /^no greeting \(ETIMEDOUT\) \(as for mx1\.slow\.test: not connected again\)$/);
    t.is(silent.connections, 1);
    t.is(prober.connections, 1);
  } finally {
    await silent.close();
  }
});

test('a domain deadline cancels what it no longer waits for: queued conversations dropped, open sockets destroyed', async (t) => {
  t.timeout(30_000);
  // Four silent addresses, one connection at a time across the run, a step far longer than the domain deadline.
  const addresses = ['127.0.0.31', '127.0.0.32', '127.0.0.33', '127.0.0.34'];
  const first = await startRawServer(addresses[0]!, 0, {});
  const servers = [first, ...(await Promise.all(addresses.slice(1).map((a) => startRawServer(a, first.port, {}))))];
  try {
    const prober = new SmtpProber({ ehloName: 'probe.mailaudit.test', stepTimeoutMs: 20_000, domainDeadlineMs: 1000, maxConnections: 1 });
    const mx = mxOf(addresses.map((a, i) => ({ exchange: `mx${i + 1}.stuck.test`, addresses: [a] })));
    const started = performance.now();
    const facts = await collectSmtp({ domain: 'stuck.test', dns: noDns }, mx, { prober, port: first.port });
    const took = performance.now() - started;
    t.true(took < 10_000, `the domain ends at its deadline, not after a 20 s step (${Math.round(took)} ms)`);
    t.deepEqual(
      facts.addresses.map((a) => `${a.outcome} ${a.notHeld}`),
      ['undetermined cut-off', 'undetermined queued', 'undetermined queued', 'undetermined queued'],
    );
    t.regex(facts.addresses[0]!.verdict, /still running at the domain's probe deadline \(1000 ms\)/);
    t.regex(facts.addresses[1]!.verdict, /still queued behind other conversations with 127\.0\.0\.32/);
    // The running conversation's socket is gone, and nothing queued ever connects.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.is(servers[0]!.openConnections(), 0, 'the cut-off conversation was closed');
    t.deepEqual(servers.map((s) => s.connections), [1, 0, 0, 0]);
    t.is(prober.connections, 1);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});

test('a conversation another domain still waits for survives one domain\'s deadline', async (t) => {
  t.timeout(30_000);
  const slow = await startRawServer('127.0.0.35', 0, {
    greetingFor: () => undefined,
  });
  try {
    const prober = new SmtpProber({ ehloName: 'probe.mailaudit.test', stepTimeoutMs: 1500 });
    const target = { host: 'mx.shared.test', address: '127.0.0.35', port: slow.port, mode: 'starttls' as const };
    const impatient = new AbortController();
    const a = prober.probe(target, impatient.signal);
    const b = prober.probe(target);
    impatient.abort();
    t.is((await a).outcome, 'undetermined');
    const fact = await b;
    t.is(fact.outcome, 'no-banner', 'the patient caller still gets the real outcome');
    t.is(fact.error, 'ETIMEDOUT');
    t.is(slow.connections, 1);
  } finally {
    await slow.close();
  }
});

test('a 421 greeting is retried once after a bounded back-off; a 421 that clears becomes a normal conversation', async (t) => {
  t.timeout(30_000);
  const busy = await startRawServer('127.0.0.36', 0, { greeting: ['421 4.7.0 mx.busy.test Too many connections, try again later'] });
  const clears = await startRawServer('127.0.0.37', busy.port, {
    greetingFor: (n) => (n === 1 ? ['421 4.3.2 Service shutting down and closing transmission channel'] : ['220 mx.clears.test ESMTP']),
    replies: { EHLO: '250-mx.clears.test\r\n250 8BITMIME' },
  });
  try {
    const prober = new SmtpProber({ ehloName: 'probe.mailaudit.test', stepTimeoutMs: 1000 });
    const started = performance.now();
    const stuck = await prober.probe({ host: 'mx.busy.test', address: '127.0.0.36', port: busy.port, mode: 'starttls' });
    const took = performance.now() - started;
    t.is(stuck.outcome, 'greeting-refused');
    t.is(stuck.refusal, '421 4.7.0');
    t.is(stuck.failedReply?.enhancedCode, '4.7.0');
    t.is(stuck.retriedAfterMs, 500, 'half the step timeout');
    t.is(busy.connections, 2, 'one retry, no more');
    t.true(took >= 490 && took < 5000, `the retry waited the back-off (${Math.round(took)} ms)`);
    t.deepEqual(busy.commands, ['QUIT', 'QUIT'], 'QUIT after each 421, nothing else');
    const ok = await prober.probe({ host: 'mx.clears.test', address: '127.0.0.37', port: busy.port, mode: 'starttls' });
    t.is(ok.outcome, 'no-starttls');
    t.is(ok.retriedAfterMs, 500);
    t.is(clears.connections, 2);
  } finally {
    await Promise.all([busy.close(), clears.close()]);
  }
});

test('--smtp-interval spaces connections to one address across the run', async (t) => {
  t.timeout(30_000);
  const server = await startRawServer('127.0.0.38', 0, {
    greeting: ['220 mx.spaced.test ESMTP'],
    replies: { EHLO: '250-mx.spaced.test\r\n250 8BITMIME' },
  });
  try {
    const prober = new SmtpProber({ ehloName: 'probe.mailaudit.test', stepTimeoutMs: 5000, intervalMs: 300 });
    const facts = await Promise.all(
      [1, 2, 3, 4].map((i) => prober.probe({ host: `mx${i}.spaced.test`, address: '127.0.0.38', port: server.port, mode: 'starttls' })),
    );
    t.true(facts.every((f) => f.outcome === 'no-starttls'));
    t.is(server.connections, 4);
    const gaps = server.connectedAt.slice(1).map((at, i) => at - server.connectedAt[i]!);
    // The allowance is for this test process noticing each accepted connection late under load.
    for (const gap of gaps) t.true(gap >= 300 - 50, `connections ${Math.round(gap)} ms apart`);
  } finally {
    await server.close();
  }
});
