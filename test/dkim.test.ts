// Serial: the fixture DNS server runs in this process, and many audits at once starve its event loop
// until c-ares (adaptive timeouts, checked on a 1 s tick) gives up on queries that were merely queued.
import test from 'ava';
import { audit } from '../src/audit.js';
import { BUILTIN_SELECTORS, parseKeyRecord, selectorProblem } from '../src/collect/dkim.js';
import type { DkimFacts } from '../src/facts/index.js';
import { InputError } from '../src/input/domain.js';
import { runCli } from './helpers/cli.js';
import { startDnsServer, type TestDnsServer } from './helpers/dns-server.js';
import { fixtureRecords, startFixtureDns, QUIET_RULES } from './helpers/fixtures.js';

let dns: TestDnsServer;
test.before(async () => {
  dns = await startFixtureDns();
});
test.after.always(async () => {
  await dns?.close();
});

async function dkimOf(domain: string, dkimSelectors?: string[], server = dns): Promise<{ dkim: DkimFacts; ids: string[] }> {
  const report = await audit(domain, { dnsServers: [server.address], timeoutMs: 3000, tries: 1, dkimSelectors, smtp: false });
  const d = report.domains[0]!;
  return { dkim: d.records.dkim!, ids: d.findings.map((f) => f.ruleId) };
}

test.serial('key sizes are read from the keys themselves: RSA 512 to 4096 (SPKI and PKCS#1), Ed25519', async (t) => {
  const { dkim } = await dkimOf('dkim-keys.test');
  const bySelector = Object.fromEntries(dkim.keys.map((k) => [k.selector, [k.keyType, k.bits, k.encoding]]));
  t.deepEqual(bySelector['google'], ['rsa', 2048, 'spki']);
  t.deepEqual(bySelector['selector1'], ['rsa', 1024, 'spki']);
  t.deepEqual(bySelector['selector2'], ['rsa', 512, 'spki']);
  t.deepEqual(bySelector['s1'], ['rsa', 4096, 'spki']);
  t.deepEqual(bySelector['mail'], ['rsa', 2048, 'pkcs1']);
  t.deepEqual(bySelector['k1'], ['ed25519', 256, undefined]);
  t.true(dkim.keys.find((k) => k.selector === 's1')!.chunks.length > 1, 'the 4096-bit key spans several strings');
  t.true(dkim.keys.find((k) => k.selector === 's2')!.revoked);
  t.like(dkim.keys.find((k) => k.selector === 'k3'), { strictIdentity: true, sha1Allowed: true, hashAlgorithms: ['sha1', 'sha256'] });
  t.is(dkim.status, 'found');
  t.deepEqual(dkim.tried, [...BUILTIN_SELECTORS]);
  t.deepEqual(dkim.answered.sort(), ['dkim', 'google', 'k1', 'k2', 'k3', 'key1', 'key2', 'mail', 's1', 's2', 'selector1', 'selector2']);
});

test.serial('record parsing: tags, defaults, Ed25519 of the wrong length, services without email', (t) => {
  const short = parseKeyRecord('x', 'x._domainkey.a.test', ['v=DKIM1; k=ed25519; p=AAAA']);
  t.regex(short.problems[0]!.reason, /32 bytes/);
  const noEmail = parseKeyRecord('x', 'n', ['k=ed25519; s=other; p=' + Buffer.alloc(32, 1).toString('base64')]);
  t.is(noEmail.key.bits, 256);
  t.regex(noEmail.problems[0]!.reason, /does not include email/);
  t.is(noEmail.problems[0]!.kind, 'not-for-email');
  const late = parseKeyRecord('x', 'n', ['k=rsa; v=DKIM1; p=']);
  t.regex(late.problems[0]!.reason, /first tag/);
  t.true(late.key.revoked);
});

test.serial('a wildcard under _domainkey is set aside; a real key beside it is still found', async (t) => {
  const only = await dkimOf('dkim-wildcard.test');
  t.true(only.dkim.wildcard);
  t.deepEqual(only.dkim.keys, []);
  t.is(only.dkim.wildcardSelectors.length, BUILTIN_SELECTORS.length);
  t.true(only.ids.includes('dkim-no-selector-found'));
  t.false(only.ids.includes('dkim-key-weak'), 'the 1024-bit wildcard key is not taken for a key of the domain');
  const mixed = await dkimOf('dkim-wildcardkey.test');
  t.deepEqual(mixed.dkim.answered, ['google']);
  t.deepEqual(mixed.dkim.keys.map((k) => k.bits), [2048]);
});

test.serial('--dkim-selector adds selectors (multi-label ones too) to the built-in list', async (t) => {
  const without = await dkimOf('dkim-custom.test');
  t.true(without.ids.includes('dkim-no-selector-found'));
  const withIt = await dkimOf('dkim-custom.test', ['s2024.mail']);
  t.deepEqual(withIt.dkim.answered, ['s2024.mail']);
  t.deepEqual(withIt.dkim.userSelectors, ['s2024.mail']);
  t.is(withIt.dkim.tried.at(-1), 's2024.mail');
  t.false(withIt.ids.includes('dkim-no-selector-found'));
  const cli = await runCli(['dkim-custom.test', '--dkim-selector', 's2024.mail', '--format', 'json', '--dns-server', dns.address, '--timeout', '3000', '--tries', '1', '--no-smtp']);
  t.is(cli.code, 0, cli.stderr);
  t.deepEqual(JSON.parse(cli.stdout).domains[0].records.dkim.answered, ['s2024.mail']);
});

test.serial('a bad selector is a usage error: exit 2, one line', async (t) => {
  for (const bad of ['-x', 'a..b', 'under_score', 'x'.repeat(64), '']) t.truthy(selectorProblem(bad), bad);
  t.is(selectorProblem('s2024.mail'), undefined);
  await t.throwsAsync(audit('clean.test', { dnsServers: [dns.address], dkimSelectors: ['bad selector'] }), { instanceOf: InputError });
  const r = await runCli(['clean.test', '--dkim-selector', 'no/slash', '--dns-server', dns.address, '--no-smtp']);
  t.is(r.code, 2);
  t.regex(r.stderr, /^mailaudit: bad DKIM selector "no\/slash": .+\n$/);
});

test.serial('a domain that sends no mail needs no key: null MX or no MX, with v=spf1 -all', async (t) => {
  for (const domain of ['parked.test', 'dkim-nomx.test']) {
    const { dkim, ids } = await dkimOf(domain);
    t.is(dkim.status, 'absent', domain);
    t.false(dkim.sendsMail, domain);
    t.false(ids.includes('dkim-no-selector-found'), domain);
  }
  const sends = await dkimOf('dkim-none.test');
  t.true(sends.dkim.sendsMail);
});

test.serial('every selector is asked at once', async (t) => {
  const server = await startDnsServer({ records: fixtureRecords(), delayMs: 100 });
  try {
    const { dkim } = await dkimOf('dkim-none.test', undefined, server);
    t.true(server.inFlightMax >= dkim.tried.length, `at most ${server.inFlightMax} questions waited at once`);
  } finally {
    await server.close();
  }
});

test.serial('when the wildcard probe fails, DKIM is undetermined with one failed lookup, not one per selector', async (t) => {
  const server = await startDnsServer({ records: fixtureRecords(), behaviours: { '*._domainkey.dkim-none.test': 'timeout' } });
  try {
    const report = await audit('dkim-none.test', { dnsServers: [server.address], timeoutMs: 300, tries: 1, disable: QUIET_RULES, smtp: false, dkimDiscovery: 'full' });
    const d = report.domains[0]!;
    t.is(d.records.dkim!.status, 'undetermined');
    t.deepEqual(d.findings.map((f) => [f.ruleId, f.location.name]), [['dns-lookup-failed', 'mailaudit-wildcard-probe-7q2x._domainkey.dkim-none.test']]);
  } finally {
    await server.close();
  }
});

/** parseKeyRecord on one record: the problems by kind and tag, and what the key fact says. */
function keyVerdict(text: string) {
  const { key, problems } = parseKeyRecord('x', 'x._domainkey.a.test', [text]);
  return { valid: key.valid, problems: problems.map((p) => `${p.kind} ${p.tag}`) };
}

const ED = 'p=' + Buffer.alloc(32, 7).toString('base64');
// RFC 6376 §3.6.1 (key record tags), §3.2 (tag-list); RFC 8301 §3.1 (sha1); RFC 8463 (Ed25519).
const KEY_GRAMMAR: [string, string, { valid?: boolean; problems?: string[] }][] = [
  ['v is optional', `k=ed25519; ${ED}`, {}],
  ['v=DKIM1 first', `v=DKIM1; k=ed25519; ${ED}`, {}],
  ['v must be first when present', `k=ed25519; v=DKIM1; ${ED}`, { valid: false, problems: ['syntax v'] }],
  ['v must be DKIM1', `v=DKIM2; k=ed25519; ${ED}`, { valid: false, problems: ['syntax v'] }],
  ['h: an unknown algorithm beside sha256 is ignored', `v=DKIM1; k=ed25519; h=sha256:foo; ${ED}`, {}],
  ['h: sha1 alone leaves no usable algorithm (RFC 8301)', `v=DKIM1; k=ed25519; h=sha1; ${ED}`, { valid: false, problems: ['no-usable-hash h'] }],
  ['h: only unknown algorithms', `v=DKIM1; k=ed25519; h=foo:bar; ${ED}`, { valid: false, problems: ['no-usable-hash h'] }],
  ['h: empty', `v=DKIM1; k=ed25519; h=; ${ED}`, { valid: false, problems: ['syntax h'] }],
  ['k: rsa is the default', 'v=DKIM1; p=AAAA', { valid: false, problems: ['syntax p'] }],
  ['k: an unknown key type', `v=DKIM1; k=dsa; ${ED}`, { valid: false, problems: ['unknown-key-type k'] }],
  ['k: empty', `v=DKIM1; k=; ${ED}`, { valid: false, problems: ['syntax k'] }],
  ['k=rsa over a well-formed EC key: unusable, not a syntax error', 'v=DKIM1; k=rsa; p=MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMNi290Ql1/PB2fpVYiA/2Jq0eP45cmgrA+fkIFS50Ed2tdy7aki/oYzSVbcv+uXa/VOD5c7yd0A1+3mMATPgQ==', { valid: false, problems: ['key-type-mismatch p'] }],
  ['n: notes, anything', `v=DKIM1; k=ed25519; n=rotated=2024; ${ED}`, {}],
  ['p: required', 'v=DKIM1; k=ed25519', { valid: false, problems: ['syntax p'] }],
  ['p: empty means revoked (no problem, not valid)', 'v=DKIM1; k=ed25519; p=', { valid: false }],
  ['p: base64 with white space inside', `v=DKIM1; k=ed25519; p=${Buffer.alloc(32, 7).toString('base64').replace(/(.{8})/g, '$1 ')}`, {}],
  ['p: not base64', 'v=DKIM1; k=ed25519; p=not*base64', { valid: false, problems: ['syntax p'] }],
  ['s: email among unknown service types', `v=DKIM1; k=ed25519; s=email:other; ${ED}`, {}],
  ['s: *', `v=DKIM1; k=ed25519; s=*; ${ED}`, {}],
  ['s: no email', `v=DKIM1; k=ed25519; s=other; ${ED}`, { valid: false, problems: ['not-for-email s'] }],
  ['t: unknown flags are ignored', `v=DKIM1; k=ed25519; t=y:x; ${ED}`, {}],
  ['an unknown tag is ignored', `v=DKIM1; k=ed25519; z=1; ${ED}`, {}],
  ['a repeated tag', `v=DKIM1; k=ed25519; k=ed25519; ${ED}`, { valid: false, problems: ['syntax k'] }],
  ['a part that is not tag=value', `v=DKIM1; k=ed25519; junk; ${ED}`, { valid: false, problems: ['syntax '] }],
];

for (const [what, text, expected] of KEY_GRAMMAR) {
  test.serial(`DKIM key grammar: ${what}`, (t) => {
    t.deepEqual(keyVerdict(text), { valid: true, problems: [], ...expected });
  });
}

test.serial('h=sha256:foo signs with sha256: the unknown name is kept apart, not an error', (t) => {
  const { key, problems } = parseKeyRecord('x', 'n', [`v=DKIM1; k=ed25519; h=sha256:foo; ${ED}`]);
  t.deepEqual(problems, []);
  t.deepEqual(key.hashAlgorithms, ['sha256', 'foo']);
  t.deepEqual(key.ignoredHashAlgorithms, ['foo']);
  t.false(key.sha1Allowed);
});

test.serial('a resolver outage at _domainkey and below: two failed lookups (_domainkey, the wildcard probe), not one per selector', async (t) => {
  const server = await startDnsServer({
    records: fixtureRecords(),
    behaviours: { '_domainkey.dkim-none.test': 'timeout', '*._domainkey.dkim-none.test': 'timeout' },
  });
  try {
    const report = await audit('dkim-none.test', { dnsServers: [server.address], timeoutMs: 300, tries: 1, disable: QUIET_RULES, smtp: false });
    const d = report.domains[0]!;
    t.is(d.records.dkim!.status, 'undetermined');
    t.is(d.records.dkim!.discovery.reason, 'domainkey-failed');
    t.deepEqual(d.findings.map((f) => [f.ruleId, f.location.name]), [
      ['dns-lookup-failed', '_domainkey.dkim-none.test'],
      ['dns-lookup-failed', 'mailaudit-wildcard-probe-7q2x._domainkey.dkim-none.test'],
    ]);
  } finally {
    await server.close();
  }
});

// DKIM discovery as RFC 8020 allows (issue 15): `_domainkey.<domain>` first.
const ED_KEY = ['v=DKIM1; k=ed25519; p=' + Buffer.alloc(32, 7).toString('base64')];
const discoveryOrigin = { file: 'discovery.test.zone', line: 1 };
const txt = (name: string, data: string[]) => ({ name, type: 'TXT' as const, ttl: 60, data, origin: discoveryOrigin });
const DISCOVERY_RECORDS = [
  { name: 'disc.test', type: 'SOA' as const, ttl: 60, origin: discoveryOrigin, data: { mname: 'ns.disc.test', rname: 'h.disc.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } },
  ...['common', 'rare', 'user', 'none', 'broken', 'brokenuser', 'flaky'].map((d) => txt(`${d}.disc.test`, ['v=spf1 ip4:192.0.2.1 -all'])),
  txt('google._domainkey.common.disc.test', ED_KEY),
  txt('fm2._domainkey.rare.disc.test', ED_KEY),
  txt('s2024._domainkey.user.disc.test', ED_KEY),
  txt('selector1._domainkey.broken.disc.test', ED_KEY),
  txt('fm2._domainkey.broken.disc.test', ED_KEY),
  txt('mine._domainkey.brokenuser.disc.test', ED_KEY),
  txt('fm2._domainkey.flaky.disc.test', ED_KEY),
];

async function discovery(t: { teardown(fn: () => Promise<void>): void }, behaviours: Record<string, 'nxdomain' | 'servfail'> = {}) {
  const server = await startDnsServer({ records: DISCOVERY_RECORDS, behaviours });
  t.teardown(() => server.close());
  const run = async (domain: string, extra: Parameters<typeof audit>[1] = {}) => {
    const before = server.queries.length;
    const report = await audit(domain, { dnsServers: [server.address], timeoutMs: 3000, tries: 1, smtp: false, ...extra });
    const d = report.domains[0]!;
    const asked = server.queries.slice(before).filter((q) => q.name.includes('_domainkey')).map((q) => q.name);
    return { dkim: d.records.dkim!, ids: d.findings.map((f) => f.ruleId), findings: d.findings, asked };
  };
  return { server, run };
}

test.serial('discovery: a key under a common selector, under a rare built-in one and under a user\'s selector is found', async (t) => {
  const { run } = await discovery(t);
  const common = await run('common.disc.test');
  t.deepEqual(common.dkim.answered, ['google']);
  t.like(common.dkim.discovery, { method: 'full', reason: 'domainkey-exists', domainkeyStatus: 'nodata', rfc8020Broken: false });
  const rare = await run('rare.disc.test');
  t.deepEqual(rare.dkim.answered, ['fm2']);
  const user = await run('user.disc.test', { dkimSelectors: ['s2024'] });
  t.deepEqual(user.dkim.answered, ['s2024']);
  t.is(user.dkim.tried.length, BUILTIN_SELECTORS.length + 1);
});

test.serial('discovery: NXDOMAIN at _domainkey asks only the guard selectors, and the message says so', async (t) => {
  const { run } = await discovery(t);
  const none = await run('none.disc.test', { dkimSelectors: ['mine'] });
  t.like(none.dkim.discovery, { method: 'short', reason: 'domainkey-nxdomain', domainkeyStatus: 'nxdomain', rfc8020Broken: false });
  t.deepEqual(none.dkim.tried, ['google', 'selector1', 'selector2', 'default', 'mine']);
  t.is(none.dkim.triedCount, 5);
  t.deepEqual(none.asked.sort(), ['_domainkey.none.disc.test', ...none.dkim.tried.map((s) => `${s}._domainkey.none.disc.test`)].sort());
  t.is(none.dkim.status, 'absent');
  const finding = none.findings.find((f) => f.ruleId === 'dkim-no-selector-found');
  t.truthy(finding);
  t.regex(finding!.message, /under any of the 5 selectors tried \(_domainkey\.none\.disc\.test does not exist, so by RFC 8020 no selector below it does: only the given and the most common selectors were asked\)/);
  t.false(finding!.message.includes('selector2'), 'the selectors are in the facts, not inline');
  const full = await run('none.disc.test', { dkimDiscovery: 'full' });
  t.like(full.dkim.discovery, { method: 'full', reason: 'forced' });
  t.is(full.dkim.tried.length, BUILTIN_SELECTORS.length);
  t.is(full.asked.length, BUILTIN_SELECTORS.length + 1, 'every selector and the wildcard probe, not _domainkey');
  t.regex(full.findings.find((f) => f.ruleId === 'dkim-no-selector-found')!.message, /any of the 31 selectors tried \(every selector was asked: --dkim-discovery full\)/);
});

test.serial('discovery: a server that answers NXDOMAIN for the empty non-terminal _domainkey (breaking RFC 8020) still gets the full probe', async (t) => {
  const { run } = await discovery(t, { '_domainkey.broken.disc.test': 'nxdomain', '_domainkey.brokenuser.disc.test': 'nxdomain' });
  const broken = await run('broken.disc.test');
  t.like(broken.dkim.discovery, { method: 'full', reason: 'rfc8020-broken', domainkeyStatus: 'nxdomain', rfc8020Broken: true });
  t.regex(broken.dkim.discovery.note, /breaks RFC 8020/);
  t.deepEqual(broken.dkim.answered.sort(), ['fm2', 'selector1']);
  const user = await run('brokenuser.disc.test', { dkimSelectors: ['mine'] });
  t.true(user.dkim.discovery.rfc8020Broken);
  t.deepEqual(user.dkim.answered, ['mine']);
});

test.serial('discovery: SERVFAIL at _domainkey falls back to the full probe', async (t) => {
  const { run } = await discovery(t, { '_domainkey.flaky.disc.test': 'servfail' });
  const flaky = await run('flaky.disc.test');
  t.like(flaky.dkim.discovery, { method: 'full', reason: 'domainkey-failed', domainkeyStatus: 'error' });
  t.deepEqual(flaky.dkim.answered, ['fm2']);
});

test.serial('--dkim-discovery full on the command line', async (t) => {
  const { server } = await discovery(t);
  const args = ['none.disc.test', '--format', 'json', '--dns-server', server.address, '--timeout', '3000', '--tries', '1', '--no-smtp'];
  const auto = await runCli(args);
  t.is(JSON.parse(auto.stdout).domains[0].records.dkim.discovery.method, 'short');
  const full = await runCli([...args, '--dkim-discovery', 'full']);
  t.is(JSON.parse(full.stdout).domains[0].records.dkim.discovery.method, 'full');
  const bad = await runCli([...args, '--dkim-discovery', 'some']);
  t.is(bad.code, 2);
});
