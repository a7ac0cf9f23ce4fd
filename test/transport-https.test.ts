/**
 * MTA-STS policies and BIMI logos fetched from a real HTTPS server on loopback. Each test starts its
 * own DNS server (mta-sts.<domain> and the logo host → 127.0.0.1) and HTTPS server, and points the
 * audit at them only through options a user has too: dnsServers, httpsPort, caFile, httpTimeoutMs.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import test from 'ava';
import { Ajv } from 'ajv';
import { buildReport } from '../src/audit.js';
import { builtinRules } from '../src/engine/load.js';
import { renderText } from '../src/report/text.js';
import { audit, type AuditOptions } from '../src/audit.js';
import { mxMatchesPattern, parseMtaStsPolicy, parseMtaStsRecord } from '../src/collect/mta-sts.js';
import { parseTlsRptRecord } from '../src/collect/tls-rpt.js';
import { checkBimiSvg, parseBimiRecord } from '../src/collect/bimi.js';
import { parseZone } from '../src/dns/zonefile.js';
import type { DomainReport } from '../src/types.js';
import { startDnsServer } from './helpers/dns-server.js';
import { runCli } from './helpers/cli.js';

const CA_FILE = 'test/certs/ca.pem';
const pem = (name: string) => ({ cert: readFileSync(`test/certs/${name}.pem`), key: readFileSync(`test/certs/${name}.key`) });

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Served {
  port: number;
  requests: { host: string | undefined; url: string | undefined; servername: string | undefined }[];
  close(): Promise<void>;
}

async function startHttps(handler: Handler, certName = 'server'): Promise<Served> {
  const requests: Served['requests'] = [];
  const server = https.createServer(pem(certName), (req, res) => {
    requests.push({ host: req.headers.host, url: req.url, servername: (req.socket as unknown as { servername?: string }).servername });
    handler(req, res);
  });
  const sockets = new Set<{ destroy(): void }>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const policy = (lines: string[]) => `${lines.join('\r\n')}\r\n`;
const GOOD_POLICY = policy(['version: STSv1', 'mode: enforce', 'mx: mx1.sts-good.test', 'mx: *.backup.sts-good.test', 'max_age: 86400']);

const textPlain =
  (body: string | Buffer, type = 'text/plain; charset=utf-8'): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  };

function zone(extra: string[], mx = ['10 mx1', '20 a.backup']): string {
  return [
    '$ORIGIN sts-good.test.',
    '$TTL 1h',
    '@ IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )',
    '  IN NS ns1',
    ...mx.map((m) => `  IN MX ${m}`),
    '_mta-sts IN TXT "v=STSv1; id=20260101"',
    '_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@sts-good.test"',
    'mta-sts IN A 127.0.0.1',
    'mx1 IN A 127.0.0.25',
    'a.backup IN A 127.0.0.26',
    'ns1 IN A 127.0.0.53',
    ...extra,
    '',
  ].join('\n');
}

interface Scenario {
  zoneText?: string;
  domain?: string;
  handler?: Handler;
  cert?: string;
  options?: Partial<AuditOptions>;
}

/** Runs one audit against its own DNS and HTTPS servers; returns the domain report and what the server saw. */
async function run(s: Scenario): Promise<{ report: DomainReport; served: Served }> {
  const served = await startHttps(s.handler ?? textPlain(GOOD_POLICY), s.cert);
  const dns = await startDnsServer({ records: parseZone(s.zoneText ?? zone([]), { file: 'test.zone' }).records });
  try {
    const report = await audit(s.domain ?? 'sts-good.test', {
      dnsServers: [dns.address],
      // Generous bounds: these tests share a loaded machine; the slow-server test sets its own.
      timeoutMs: 10_000,
      tries: 1,
      httpsPort: served.port,
      caFile: CA_FILE,
      httpTimeoutMs: 10_000,
      ...s.options,
    });
    return { report: report.domains[0]!, served };
  } finally {
    await Promise.all([served.close(), dns.close()]);
  }
}

const transportIds = (r: DomainReport) =>
  r.findings.map((f) => f.ruleId).filter((id) => /^(mta-sts|tlsrpt|bimi)-/.test(id)).sort();
const unavailable = (r: DomainReport) => r.findings.find((f) => f.ruleId === 'mta-sts-policy-unavailable');

// ------------------------------------------------------------------------------------------------
// Parsers

test('MTA-STS record syntax (RFC 8461 §3.1)', (t) => {
  t.deepEqual(parseMtaStsRecord('v=STSv1; id=20260101T000000;'), { id: '20260101T000000', problems: [] });
  t.deepEqual(parseMtaStsRecord('v=STSv1;id=abc; ext=1').problems, []);
  t.true(parseMtaStsRecord('v=STSv1').problems.includes('the id field is missing'));
  t.regex(parseMtaStsRecord('v=STSv1; id=' + 'a'.repeat(33)).problems[0]!, /1 to 32/);
  t.regex(parseMtaStsRecord('v=stsv1; id=1').problems[0]!, /must start with "v=STSv1"/);
  t.regex(parseMtaStsRecord('v=STSv1; id=1; junk').problems[0]!, /not name=value/);
});

test('MTA-STS policy syntax (RFC 8461 §3.2)', (t) => {
  const good = parseMtaStsPolicy(GOOD_POLICY);
  t.deepEqual(good, { version: 'STSv1', mode: 'enforce', mx: ['mx1.sts-good.test', '*.backup.sts-good.test'], maxAge: 86400, problems: [] });
  t.deepEqual(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 0\n').problems, [], 'LF line ends; mode none needs no mx');
  t.deepEqual(parseMtaStsPolicy('version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557600').problems, []);
  const bad = parseMtaStsPolicy('version: STSv2\nmode: strict\nmx: bad_host!\nmax_age: 31557601\nnonsense\n');
  t.is(bad.problems.length, 5, bad.problems.join('; '));
  t.true(parseMtaStsPolicy('version: STSv1\nmode: enforce\nmax_age: 1').problems.some((p) => p.includes('no mx field')));
  t.true(parseMtaStsPolicy('version: STSv1\nmode: enforce\nmode: testing\nmx: a.test\nmax_age: 1').problems.some((p) => p.includes('more than once')));
});

test('MX patterns: exact names, and a wildcard covers exactly one label (RFC 8461 §4.1)', (t) => {
  t.true(mxMatchesPattern('mx1.example.com', 'MX1.example.com.'));
  t.true(mxMatchesPattern('a.example.com', '*.example.com'));
  t.false(mxMatchesPattern('a.b.example.com', '*.example.com'));
  t.false(mxMatchesPattern('example.com', '*.example.com'));
  t.false(mxMatchesPattern('aexample.com', '*.example.com'));
  t.false(mxMatchesPattern('mx2.example.com', 'mx1.example.com'));
});

test('TLS-RPT record syntax (RFC 8460 §3)', (t) => {
  t.deepEqual(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.com/tls'), {
    rua: ['mailto:a@example.com', 'https://r.example.com/tls'],
    problems: [],
  });
  t.deepEqual(parseTlsRptRecord('v=TLSRPTv1').problems, ['the rua field is missing: reports have nowhere to go']);
  t.regex(parseTlsRptRecord('v=TLSRPTv1; rua=ftp://x.example').problems[0]!, /mailto: or https:/);
  t.regex(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:nobody').problems[0]!, /not a valid mailto/);
});

test('BIMI record syntax and the SVG Tiny PS check', (t) => {
  t.deepEqual(parseBimiRecord('v=BIMI1; l=https://x.example/l.svg; a=https://x.example/vmc.pem'), {
    logo: 'https://x.example/l.svg',
    authority: 'https://x.example/vmc.pem',
    problems: [],
  });
  t.deepEqual(parseBimiRecord('v=BIMI1; l=; a=;').problems, [], 'declination');
  t.regex(parseBimiRecord('v=BIMI1; a=https://x.example/a.pem').problems[0]!, /l= tag/);
  t.regex(parseBimiRecord('v=BIMI1; l=https://x.example/l.svg; a=http://x.example/a.pem').problems[0]!, /a= .* https/);
  t.is(checkBimiSvg(GOOD_SVG), undefined);
  t.regex(checkBimiSvg('<svg xmlns="http://www.w3.org/2000/svg"><title>x</title></svg>') ?? '', /Tiny PS/);
  t.regex(checkBimiSvg(GOOD_SVG.replace('</svg>', '<script>alert(1)</script></svg>')) ?? '', /Unallowed element/);
});

// ------------------------------------------------------------------------------------------------
// MTA-STS over HTTPS

test('a good enforce policy: fetched once with the right name, every MX host covered, no finding', async (t) => {
  const { report, served } = await run({});
  t.deepEqual(transportIds(report), []);
  const facts = report.records.mtaSts!;
  t.is(facts.id, '20260101');
  t.like(facts.policy, { valid: true, mode: 'enforce', maxAge: 86400, version: 'STSv1' });
  t.is(facts.policy?.fetch.status, 'ok');
  t.deepEqual(facts.mxMismatches, []);
  t.is(served.requests.length, 1);
  t.deepEqual(served.requests[0], { host: `mta-sts.sts-good.test:${served.port}`, url: '/.well-known/mta-sts.txt', servername: 'mta-sts.sts-good.test' });
  t.deepEqual(report.records.tlsRpt?.rua, ['mailto:tlsrpt@sts-good.test']);
});

test('testing mode: mta-sts-testing-mode', async (t) => {
  const { report } = await run({ handler: textPlain(GOOD_POLICY.replace('enforce', 'testing')) });
  t.deepEqual(transportIds(report), ['mta-sts-testing-mode']);
});

test('MX hosts outside the patterns (a wildcard covers one label only): mta-sts-mx-mismatch for each', async (t) => {
  const { report } = await run({ zoneText: zone(['x.y.backup IN A 127.0.0.27'], ['10 mx1', '20 x.y.backup', '30 mail.elsewhere.test.']) });
  const mismatches = report.findings.filter((f) => f.ruleId === 'mta-sts-mx-mismatch');
  t.deepEqual(mismatches.map((f) => f.args['host']).sort(), ['mail.elsewhere.test', 'x.y.backup.sts-good.test']);
  t.deepEqual(mismatches[0]!.location, { name: 'mta-sts.sts-good.test', type: 'HTTPS' });
});

test('mode none: MX hosts are not checked against the patterns', async (t) => {
  const { report } = await run({
    zoneText: zone([], ['10 mail.elsewhere.test.']),
    handler: textPlain(policy(['version: STSv1', 'mode: none', 'max_age: 86400'])),
  });
  t.deepEqual(transportIds(report), []);
});

test('a redirect is not followed: mta-sts-policy-unavailable (redirect)', async (t) => {
  const { report, served } = await run({
    handler: (req, res) => {
      if (req.url === '/.well-known/mta-sts.txt') {
        res.writeHead(301, { location: '/elsewhere.txt' });
        res.end();
      } else textPlain(GOOD_POLICY)(req, res);
    },
  });
  t.like(unavailable(report)?.args, { stage: 'redirect', host: 'mta-sts.sts-good.test' });
  t.regex(String(unavailable(report)?.args['reason']), /301 redirect to \/elsewhere.txt/);
  t.is(served.requests.length, 1);
});

test('a wrong content type: mta-sts-policy-unavailable (content-type)', async (t) => {
  const { report } = await run({ handler: textPlain(GOOD_POLICY, 'text/html') });
  t.like(unavailable(report)?.args, { stage: 'content-type' });
  t.regex(String(unavailable(report)?.args['reason']), /text\/html/);
});

test('an oversize policy, streamed or announced: reading stops, mta-sts-policy-unavailable (size)', async (t) => {
  const big = `${GOOD_POLICY}${'# padding\n'.repeat(7000)}`;
  const streamed = await run({
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Keeps sending: only the client's cap ends this response.
      const timer = setInterval(() => res.write(big), 5);
      res.on('close', () => clearInterval(timer));
    },
  });
  t.like(unavailable(streamed.report)?.args, { stage: 'size' });
  t.true((streamed.report.records.mtaSts?.policy?.fetch.bytes ?? Infinity) < 64 * 1024 + big.length * 2);
  const announced = await run({
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(big) });
      res.end(big);
    },
  });
  t.like(unavailable(announced.report)?.args, { stage: 'size' });
  t.regex(String(unavailable(announced.report)?.args['reason']), /Content-Length \d+ exceeds the 65536-byte limit/);
});

test('HTTP 404: mta-sts-policy-unavailable (http-status)', async (t) => {
  const { report } = await run({ handler: (_req, res) => res.writeHead(404).end('not here') });
  t.like(unavailable(report)?.args, { stage: 'http-status', reason: 'HTTP status 404 (200 expected)' });
});

test('an expired certificate: mta-sts-policy-unavailable (tls)', async (t) => {
  const { report, served } = await run({ cert: 'expired' });
  t.like(unavailable(report)?.args, { stage: 'tls' });
  t.regex(String(unavailable(report)?.args['reason']), /CERT_HAS_EXPIRED/);
  t.is(served.requests.length, 0);
});

test('a certificate for another name: mta-sts-policy-unavailable (tls)', async (t) => {
  const { report } = await run({ cert: 'wrongname' });
  t.like(unavailable(report)?.args, { stage: 'tls' });
  t.regex(String(unavailable(report)?.args['reason']), /ERR_TLS_CERT_ALTNAME_INVALID/);
});

test('a certificate from a CA that is not trusted (no --ca-file): mta-sts-policy-unavailable (tls)', async (t) => {
  const { report } = await run({ options: { caFile: undefined } });
  t.like(unavailable(report)?.args, { stage: 'tls' });
});

test('nothing listening: mta-sts-policy-unavailable (tcp)', async (t) => {
  const free = net.createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = (free.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => free.close(() => resolve()));
  const { report } = await run({ options: { httpsPort: port } });
  t.like(unavailable(report)?.args, { stage: 'tcp' });
  t.regex(String(unavailable(report)?.args['reason']), /ECONNREFUSED/);
});

test('a server that never answers: the fetch is bounded by the HTTP timeout (timeout)', async (t) => {
  t.timeout(15_000, 'the fetch must give up after --http-timeout');
  const { report } = await run({ handler: () => {}, options: { httpTimeoutMs: 1000 } });
  t.like(unavailable(report)?.args, { stage: 'timeout' });
  t.regex(String(unavailable(report)?.args['reason']), /reading the response/);
});

test('a policy that does not parse: mta-sts-syntax-error located at the policy host', async (t) => {
  const { report } = await run({ handler: textPlain(policy(['version: STSv1', 'mode: enforce', 'mx: mx1.sts-good.test', 'max_age: forever'])) });
  const errors = report.findings.filter((f) => f.ruleId === 'mta-sts-syntax-error');
  t.is(errors.length, 1);
  t.deepEqual(errors[0]!.location, { name: 'mta-sts.sts-good.test', type: 'HTTPS' });
  t.regex(String(errors[0]!.args['message']), /max_age/);
  t.deepEqual(report.records.mtaSts?.mxMismatches, [], 'an invalid policy is not used for MX matching');
});

test('no _mta-sts record: no HTTPS fetch at all', async (t) => {
  const text = zone([]).replace(/^_mta-sts .*$/m, '');
  const { report, served } = await run({ zoneText: text });
  t.deepEqual(transportIds(report), ['mta-sts-missing']);
  t.is(served.requests.length, 0);
  t.is(report.records.mtaSts?.policy, undefined);
});

// ------------------------------------------------------------------------------------------------
// BIMI logos over HTTPS

const GOOD_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 10 10"><title>Example</title><rect width="10" height="10" fill="#036"/></svg>';

function bimiZone(dmarc: string): string {
  return [
    '$ORIGIN bimi-good.test.',
    '$TTL 1h',
    '@ IN SOA ns1 hostmaster ( 1 2h 1h 1w 1h )',
    '  IN NS ns1',
    '  IN MX 10 mx1',
    `_dmarc IN TXT "${dmarc}"`,
    'default._bimi IN TXT "v=BIMI1; l=https://logo.bimi-good.test/brand/logo.svg; a=https://logo.bimi-good.test/vmc.pem"',
    'logo IN A 127.0.0.1',
    'mx1 IN A 127.0.0.25',
    'ns1 IN A 127.0.0.53',
    '',
  ].join('\n');
}

const svg = (body: string): Handler => (_req, res) => {
  res.writeHead(200, { 'content-type': 'image/svg+xml' });
  res.end(body);
};

test('BIMI: a valid SVG Tiny PS logo under DMARC reject: no finding', async (t) => {
  const { report, served } = await run({ zoneText: bimiZone('v=DMARC1; p=reject'), domain: 'bimi-good.test', handler: svg(GOOD_SVG) });
  t.deepEqual(transportIds(report).filter((id) => id.startsWith('bimi')), []);
  t.like(report.records.bimi, { status: 'found', logoUrl: 'https://logo.bimi-good.test/brand/logo.svg', dmarcEnforced: true });
  t.is(report.records.bimi?.logo?.valid, true);
  t.is(served.requests[0]?.url, '/brand/logo.svg');
});

test('BIMI: a logo that is not SVG Tiny PS: bimi-logo-invalid', async (t) => {
  const { report } = await run({
    zoneText: bimiZone('v=DMARC1; p=reject'),
    domain: 'bimi-good.test',
    handler: svg('<svg xmlns="http://www.w3.org/2000/svg"><title>x</title></svg>'),
  });
  const found = report.findings.filter((f) => f.ruleId === 'bimi-logo-invalid');
  t.is(found.length, 1);
  t.deepEqual(found[0]!.location, { name: 'logo.bimi-good.test', type: 'HTTPS' });
  t.regex(String(found[0]!.args['problem']), /Tiny PS/);
});

test('BIMI: a logo that answers 404: bimi-logo-unavailable', async (t) => {
  const { report } = await run({ zoneText: bimiZone('v=DMARC1; p=reject'), domain: 'bimi-good.test', handler: (_q, res) => res.writeHead(404).end() });
  t.deepEqual(transportIds(report).filter((id) => id.startsWith('bimi')), ['bimi-logo-unavailable']);
});

test('BIMI: quarantine at pct=50 is not enforcement: bimi-dmarc-not-enforced', async (t) => {
  const { report } = await run({ zoneText: bimiZone('v=DMARC1; p=quarantine; pct=50'), domain: 'bimi-good.test', handler: svg(GOOD_SVG) });
  const found = report.findings.find((f) => f.ruleId === 'bimi-dmarc-not-enforced');
  t.deepEqual(found?.args, { dmarcPolicy: 'quarantine', dmarcPct: 50, name: 'default._bimi.bimi-good.test' });
});

// ------------------------------------------------------------------------------------------------
// The same through the CLI options a user has

test('CLI: --https-port, --ca-file and --http-timeout reach the fetcher', async (t) => {
  const served = await startHttps(textPlain(GOOD_POLICY.replace('enforce', 'testing')));
  const dns = await startDnsServer({ records: parseZone(zone([]), { file: 'test.zone' }).records });
  try {
    const r = await runCli([
      'sts-good.test', '--dns-server', dns.address, '--https-port', String(served.port), '--ca-file', CA_FILE,
      '--http-timeout', '10000', '--timeout', '10000', '--format', 'json', '--no-smtp',
    ]);
    const d = JSON.parse(r.stdout).domains[0];
    t.true(d.findings.some((f: { ruleId: string }) => f.ruleId === 'mta-sts-testing-mode'), r.stderr);
    t.is(served.requests.length, 1);
  } finally {
    await Promise.all([served.close(), dns.close()]);
  }
});

// ------------------------------------------------------------------------------------------------
// Reports

test('the JSON report with MTA-STS, TLS-RPT, BIMI, DNSSEC and DANE facts validates against the published schema', async (t) => {
  const sts = await run({});
  const bimi = await run({ zoneText: bimiZone('v=DMARC1; p=none'), domain: 'bimi-good.test', handler: svg('<svg/>') });
  const report = JSON.parse(JSON.stringify(buildReport([sts.report, bimi.report])));
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', (x: string) => !Number.isNaN(Date.parse(x)));
  const validate = ajv.compile(JSON.parse(readFileSync('schemas/report.schema.json', 'utf8')));
  t.true(validate(report), JSON.stringify(validate.errors?.slice(0, 3)));
  t.truthy(report.domains[0].records.mtaSts.policy && report.domains[1].records.bimi.logo && report.domains[0].records.dnssec);
});

test('text output: one line each for MTA-STS, TLS-RPT, BIMI, DNSSEC and DANE with the verdict', async (t) => {
  const sts = await run({});
  const bimi = await run({ zoneText: bimiZone('v=DMARC1; p=none'), domain: 'bimi-good.test', handler: svg('<svg/>') });
  const text = renderText(buildReport([sts.report, bimi.report]), { rules: builtinRules(), color: false });
  t.regex(text, /^ {2}MTA-STS mode enforce \(id 20260101, max_age 86400\), every MX host covered$/m);
  t.regex(text, /^ {2}TLS-RPT reports to mailto:tlsrpt@sts-good\.test$/m);
  t.regex(text, /^ {2}BIMI {4}none$/m);
  t.regex(text, /^ {2}DNSSEC {2}not authenticated \(no AD from the resolver; this depends on the resolver validating\); MX hosts authenticated: 0\/2$/m);
  t.regex(text, /^ {2}DANE {4}no TLSA records$/m);
  t.regex(text, /^ {2}MTA-STS none$/m);
  t.regex(text, /^ {2}BIMI {4}https:\/\/logo\.bimi-good\.test\/brand\/logo\.svg: logo invalid \(.*\); DMARC not enforced \(p=none, pct=100\)$/m);
});
